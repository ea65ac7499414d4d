package oidctest_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/oidctest"
)

const (
	clientID     = "basic-client"
	clientSecret = "basic-client-secret-0123456789"
	resource     = "https://api.example.test/"
)

func basicClient() map[string]any {
	return map[string]any{
		"client_id":                  clientID,
		"client_secret":              clientSecret,
		"token_endpoint_auth_method": "client_secret_basic",
	}
}

// postForm is a plain net/http form POST with client_secret_basic; it
// returns the status and the decoded JSON object (nil for an empty body).
func postForm(t *testing.T, endpoint string, form url.Values) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(clientSecret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) == 0 {
		return resp.StatusCode, nil
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("POST %s: HTTP %d, %v: %s", endpoint, resp.StatusCode, err, raw)
	}
	return resp.StatusCode, out
}

func str(t *testing.T, m map[string]any, key string) string {
	t.Helper()
	v, ok := m[key].(string)
	if !ok || v == "" {
		t.Fatalf("%s: want a non-empty string, got %#v in %v", key, m[key], m)
	}
	return v
}

func wantActive(t *testing.T, got map[string]any, want bool) {
	t.Helper()
	if active, ok := got["active"].(bool); !ok || active != want {
		t.Fatalf("introspection: want active=%v, got %v", want, got)
	}
}

// discovery reads the discovery document with plain net/http.
func discovery(t *testing.T, issuer string) map[string]any {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, issuer+"/.well-known/openid-configuration", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("discovery: HTTP %d", resp.StatusCode)
	}
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func stringList(t *testing.T, doc map[string]any, key string) []string {
	t.Helper()
	raw, ok := doc[key].([]any)
	if !ok {
		t.Fatalf("%s: want an array, got %#v", key, doc[key])
	}
	out := make([]string, 0, len(raw))
	for _, v := range raw {
		s, ok := v.(string)
		if !ok {
			t.Fatalf("%s: want strings, got %#v", key, v)
		}
		out = append(out, s)
	}
	return out
}

func TestClientCredentialsIntrospectRevoke(t *testing.T) {
	t.Parallel()
	s := oidctest.Start(t, []map[string]any{basicClient()})

	doc := discovery(t, s.Issuer)
	if got := str(t, doc, "issuer"); got != s.Issuer || !strings.HasPrefix(got, "http://127.0.0.1:") {
		t.Fatalf("issuer = %q, want %q on loopback", got, s.Issuer)
	}
	for key, want := range map[string][]string{
		"grant_types_supported": {"client_credentials", "refresh_token", "urn:openid:params:grant-type:ciba"},
		"token_endpoint_auth_methods_supported": {
			"client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "none",
		},
	} {
		got := stringList(t, doc, key)
		for _, w := range want {
			if !slices.Contains(got, w) {
				t.Errorf("%s = %v, missing %s", key, got, w)
			}
		}
	}
	tokenURL := str(t, doc, "token_endpoint")
	introspectionURL := str(t, doc, "introspection_endpoint")
	revocationURL := str(t, doc, "revocation_endpoint")
	if tokenURL != s.TokenURL || introspectionURL != s.IntrospectionURL || revocationURL != s.RevocationURL {
		t.Fatalf("Server endpoints %q %q %q differ from discovery", s.TokenURL, s.IntrospectionURL, s.RevocationURL)
	}

	// With a resource indicator: scopes are kept, aud is the resource.
	status, tok := postForm(t, tokenURL, url.Values{
		"grant_type": {"client_credentials"},
		"resource":   {resource},
		"scope":      {"read write"},
	})
	if status != http.StatusOK {
		t.Fatalf("client_credentials: HTTP %d: %v", status, tok)
	}
	at := str(t, tok, "access_token")
	if got := str(t, tok, "token_type"); got != "Bearer" {
		t.Errorf("token_type = %q", got)
	}
	if got := str(t, tok, "scope"); got != "read write" {
		t.Errorf("scope = %q, want %q", got, "read write")
	}
	if _, ok := tok["refresh_token"]; ok {
		t.Errorf("client_credentials issued a refresh token: %v", tok)
	}

	info := s.Introspect(t, at, clientID, clientSecret)
	wantActive(t, info, true)
	if info["aud"] != resource || info["client_id"] != clientID || info["scope"] != "read write" || info["iss"] != s.Issuer {
		t.Errorf("introspection = %v", info)
	}

	status, body := postForm(t, revocationURL, url.Values{"token": {at}, "token_type_hint": {"access_token"}})
	if status != http.StatusOK {
		t.Fatalf("revocation: HTTP %d: %v", status, body)
	}
	wantActive(t, s.Introspect(t, at, clientID, clientSecret), false)

	// Without a resource the token is still introspectable (no aud), but
	// scopes the provider does not know are dropped.
	tok = s.Token(t, oidctest.ClientSecretBasic(clientID, clientSecret), url.Values{
		"grant_type": {"client_credentials"},
		"scope":      {"read"},
	})
	if _, ok := tok["scope"]; ok {
		t.Errorf("unknown scope without a resource was kept: %v", tok)
	}
	info = s.Introspect(t, str(t, tok, "access_token"), clientID, clientSecret)
	wantActive(t, info, true)
	if _, ok := info["aud"]; ok {
		t.Errorf("token without resource has aud: %v", info)
	}

	// A wrong secret is invalid_client.
	status, body = s.Post(t, s.TokenURL, oidctest.ClientSecretBasic(clientID, "wrong"), url.Values{"grant_type": {"client_credentials"}})
	if status != http.StatusUnauthorized || body["error"] != "invalid_client" {
		t.Errorf("wrong secret: HTTP %d %v, want 401 invalid_client", status, body)
	}
}

// TestRefreshTokenViaCIBA obtains a refresh token without a browser through
// the CIBA poll flow, then uses, introspects and revokes it, all with plain
// net/http.
func TestRefreshTokenViaCIBA(t *testing.T) {
	t.Parallel()
	s := oidctest.Start(t, []map[string]any{basicClient()})
	doc := discovery(t, s.Issuer)
	tokenURL := str(t, doc, "token_endpoint")

	status, body := postForm(t, str(t, doc, "backchannel_authentication_endpoint"), url.Values{
		"login_hint": {"alice"},
		"scope":      {"openid offline_access read"},
		"resource":   {resource},
	})
	if status != http.StatusOK {
		t.Fatalf("backchannel authentication: HTTP %d: %v", status, body)
	}
	status, tok := postForm(t, tokenURL, url.Values{
		"grant_type":  {"urn:openid:params:grant-type:ciba"},
		"auth_req_id": {str(t, body, "auth_req_id")},
	})
	if status != http.StatusOK {
		t.Fatalf("ciba token: HTTP %d: %v", status, tok)
	}
	rt := str(t, tok, "refresh_token")
	str(t, tok, "id_token")
	info := s.Introspect(t, str(t, tok, "access_token"), clientID, clientSecret)
	wantActive(t, info, true)
	if info["sub"] != "alice" || info["aud"] != resource || info["scope"] != "read" {
		t.Errorf("CIBA access token introspection = %v", info)
	}
	rtInfo := s.Introspect(t, rt, clientID, clientSecret)
	wantActive(t, rtInfo, true)
	if rtInfo["sub"] != "alice" || rtInfo["scope"] != "openid offline_access read" {
		t.Errorf("refresh token introspection = %v", rtInfo)
	}

	// The refresh token grant, twice: a confidential client's refresh token
	// is not rotated early in its life.
	for range 2 {
		status, tok = postForm(t, tokenURL, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
		if status != http.StatusOK {
			t.Fatalf("refresh_token grant: HTTP %d: %v", status, tok)
		}
		if got := str(t, tok, "refresh_token"); got != rt {
			t.Errorf("refresh token rotated: %q -> %q", rt, got)
		}
		info = s.Introspect(t, str(t, tok, "access_token"), clientID, clientSecret)
		wantActive(t, info, true)
		if info["sub"] != "alice" || info["aud"] != resource {
			t.Errorf("refreshed access token introspection = %v", info)
		}
	}

	// Revoke the refresh token: it is inactive and the grant fails.
	status, body = postForm(t, str(t, doc, "revocation_endpoint"), url.Values{"token": {rt}, "token_type_hint": {"refresh_token"}})
	if status != http.StatusOK {
		t.Fatalf("revocation: HTTP %d: %v", status, body)
	}
	wantActive(t, s.Introspect(t, rt, clientID, clientSecret), false)
	status, body = postForm(t, tokenURL, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
	if status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Errorf("refresh with a revoked token: HTTP %d %v, want 400 invalid_grant", status, body)
	}

	// The helper does the same in one call.
	rt2 := s.RefreshToken(t, clientID, clientSecret)
	tok = s.Token(t, oidctest.ClientSecretBasic(clientID, clientSecret), url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {rt2},
	})
	wantActive(t, s.Introspect(t, str(t, tok, "access_token"), clientID, clientSecret), true)

	// A login_hint starting with "deny" is refused by the simulated end-user.
	status, body = postForm(t, str(t, doc, "backchannel_authentication_endpoint"), url.Values{
		"login_hint": {"deny-bob"}, "scope": {"openid offline_access"},
	})
	if status != http.StatusOK {
		t.Fatalf("backchannel authentication: HTTP %d: %v", status, body)
	}
	status, body = postForm(t, tokenURL, url.Values{
		"grant_type":  {"urn:openid:params:grant-type:ciba"},
		"auth_req_id": {str(t, body, "auth_req_id")},
	})
	if status != http.StatusBadRequest || body["error"] != "access_denied" {
		t.Errorf("denied CIBA: HTTP %d %v, want 400 access_denied", status, body)
	}
}

// TestClientAuthMethods gets tokens with each token_endpoint_auth_method the
// server supports, and a refresh token for each (CIBA needs the client to
// authenticate twice, so JWT assertions must be fresh each time).
func TestClientAuthMethods(t *testing.T) {
	t.Parallel()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	const secret = "another-client-secret-0123456789abcdef"
	jwksClient := func(id string, jwk map[string]any) map[string]any {
		return map[string]any{
			"client_id":                  id,
			"token_endpoint_auth_method": "private_key_jwt",
			"jwks":                       map[string]any{"keys": []any{jwk}},
		}
	}
	s := oidctest.StartConfig(t, oidctest.Config{
		Scopes: []string{"read"},
		Clients: []map[string]any{
			basicClient(),
			{"client_id": "post", "client_secret": secret, "token_endpoint_auth_method": "client_secret_post"},
			{"client_id": "hs", "client_secret": secret, "token_endpoint_auth_method": "client_secret_jwt"},
			jwksClient("rsa", oidctest.PublicJWK(t, rsaKey.Public(), "rsa-1")),
			jwksClient("ec", oidctest.PublicJWK(t, ecKey.Public(), "ec-1")),
			jwksClient("ed", oidctest.PublicJWK(t, edKey.Public(), "")),
			{"client_id": "public", "token_endpoint_auth_method": "none"},
		},
	})

	for _, tc := range []struct {
		name string
		auth oidctest.ClientAuth
	}{
		{"client_secret_basic", oidctest.ClientSecretBasic(clientID, clientSecret)},
		{"client_secret_post", oidctest.ClientSecretPost("post", secret)},
		{"client_secret_jwt", oidctest.ClientSecretJWT("hs", secret)},
		{"private_key_jwt RS256", oidctest.PrivateKeyJWT("rsa", rsaKey, "rsa-1")},
		{"private_key_jwt ES256", oidctest.PrivateKeyJWT("ec", ecKey, "ec-1")},
		{"private_key_jwt EdDSA", oidctest.PrivateKeyJWT("ed", edKey, "")},
		{"none", oidctest.PublicClient("public")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok := s.Token(t, tc.auth, url.Values{"grant_type": {"client_credentials"}, "scope": {"read"}})
			if tok["scope"] != "read" {
				t.Errorf("client_credentials scope = %v", tok["scope"])
			}
			wantActive(t, s.Introspect(t, str(t, tok, "access_token"), clientID, clientSecret), true)

			rt := str(t, s.CIBA(t, tc.auth, "carol", "openid offline_access", resource), "refresh_token")
			tok = s.Token(t, tc.auth, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
			info := s.Introspect(t, str(t, tok, "access_token"), clientID, clientSecret)
			wantActive(t, info, true)
			if info["sub"] != "carol" || info["aud"] != resource {
				t.Errorf("refreshed access token introspection = %v", info)
			}
			if tc.name == "none" {
				// Public clients' refresh tokens rotate on every use.
				if str(t, tok, "refresh_token") == rt {
					t.Errorf("public client's refresh token was not rotated")
				}
				wantActive(t, s.Introspect(t, rt, clientID, clientSecret), false)
			}
		})
	}

	// A JWT assertion is single-use (jti replay detection).
	assertion := url.Values{}
	oidctest.ClientSecretJWT("hs", secret)(t, nil, assertion, s.Issuer)
	for i, want := range []int{http.StatusOK, http.StatusUnauthorized} {
		form := url.Values{"grant_type": {"client_credentials"}}
		for k, v := range assertion {
			form[k] = v
		}
		if status, body := s.Post(t, s.TokenURL, nil, form); status != want {
			t.Errorf("assertion use %d: HTTP %d %v, want %d", i+1, status, body, want)
		}
	}
}

// TestJWTAccessTokens shows why tokens are opaque by default: oidc-provider
// refuses to introspect JWT access tokens.
func TestJWTAccessTokens(t *testing.T) {
	t.Parallel()
	s := oidctest.StartConfig(t, oidctest.Config{Clients: []map[string]any{basicClient()}, AccessTokenFormat: "jwt"})
	tok := s.Token(t, oidctest.ClientSecretBasic(clientID, clientSecret), url.Values{
		"grant_type": {"client_credentials"}, "resource": {resource},
	})
	at := str(t, tok, "access_token")
	if strings.Count(at, ".") != 2 {
		t.Fatalf("access token %q is not a JWT", at)
	}
	status, body := s.Post(t, s.IntrospectionURL, oidctest.ClientSecretBasic(clientID, clientSecret), url.Values{"token": {at}})
	if status != http.StatusBadRequest || body["error"] != "unsupported_token_type" {
		t.Errorf("introspecting a JWT: HTTP %d %v, want 400 unsupported_token_type", status, body)
	}
}
