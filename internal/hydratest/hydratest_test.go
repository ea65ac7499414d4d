package hydratest_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/ciissuer"
	"github.com/tfoauth2/terraform-provider-oauth2/internal/hydratest"
	"github.com/tfoauth2/terraform-provider-oauth2/internal/testproc"
)

// A CI identity token, minted by a stand-in CI issuer that Hydra trusts,
// is traded for an access token through the jwt-bearer grant, and Hydra's
// introspection says that token is active, belongs to the CI token's
// subject and was issued to the client that traded it.
func TestJWTBearer_ciTokenTradedForAccessToken(t *testing.T) {
	hydra := hydratest.Start(t)
	client := hydra.CreateClient(t, hydratest.Client{Scopes: []string{"api.read", "api.write"}})

	for _, alg := range []jose.SignatureAlgorithm{jose.RS256, jose.ES256} {
		t.Run(string(alg), func(t *testing.T) {
			ci := ciissuer.Start(t, ciissuer.Options{Algorithm: alg})
			claims := ciissuer.GitHubActionsClaims("octo/app", "refs/heads/main", hydra.TokenURL)
			sub := asString(claims["sub"])
			hydra.Trust(t, hydratest.Trust{
				Issuer:  ci.URL,
				Subject: sub,
				JWK:     ci.PublicJWK(),
				Scopes:  []string{"api.read"},
			})

			status, body := tokenRequest(t, hydra, client, url.Values{
				"grant_type": {hydratest.JWTBearerGrant},
				"assertion":  {ci.MustMint(t, claims)},
				"scope":      {"api.read"},
			})
			if status != http.StatusOK {
				t.Fatalf("token request: HTTP %d: %v", status, body)
			}
			token, _ := body["access_token"].(string)
			if token == "" || !strings.EqualFold(asString(body["token_type"]), "bearer") {
				t.Fatalf("token response without a bearer access_token: keys %v", keys(body))
			}
			if body["scope"] != "api.read" {
				t.Errorf("scope = %v, want api.read", body["scope"])
			}

			in := hydra.Introspect(t, token)
			if !in.Active {
				t.Fatalf("issued token is not active: %v", in.Raw)
			}
			if in.Subject != sub {
				t.Errorf("sub = %q, want the CI token's %q", in.Subject, sub)
			}
			if in.ClientID != client.ID {
				t.Errorf("client_id = %q, want %q", in.ClientID, client.ID)
			}
			if in.Scope != "api.read" {
				t.Errorf("scope = %q, want api.read", in.Scope)
			}
			if in.TokenUse != "access_token" {
				t.Errorf("token_use = %q, want access_token", in.TokenUse)
			}

			// And a token Hydra never issued is not active.
			if in := hydra.Introspect(t, token+"x"); in.Active {
				t.Errorf("a tampered token is active: %v", in.Raw)
			}

			for _, secret := range []string{client.Secret, token} {
				if strings.Contains(hydra.Logs(), secret) {
					t.Error("Hydra's log holds the client secret or the issued token")
				}
			}
		})
	}
}

// What Hydra refuses, and how it says so. Each case mints an assertion that
// is right but for one thing.
func TestJWTBearer_refused(t *testing.T) {
	hydra := hydratest.StartWith(t, hydratest.Options{AssertionMaxTTL: 10 * time.Minute})
	client := hydra.CreateClient(t, hydratest.Client{Scopes: []string{"api.read", "api.write"}})
	ci := ciissuer.Start(t, ciissuer.Options{})
	other := ciissuer.Start(t, ciissuer.Options{}) // trusted by nobody
	const sub = "repo:octo/app:ref:refs/heads/main"
	hydra.Trust(t, hydratest.Trust{Issuer: ci.URL, Subject: sub, JWK: ci.PublicJWK(), Scopes: []string{"api.read"}})

	good := func(extra map[string]any) map[string]any {
		c := map[string]any{"sub": sub, "aud": hydra.TokenURL}
		for k, v := range extra {
			c[k] = v
		}
		return c
	}
	replayed := ci.MustMint(t, good(nil))
	if status, body := tokenRequest(t, hydra, client, jwtBearer(replayed, "api.read")); status != http.StatusOK {
		t.Fatalf("first use of the assertion: HTTP %d: %v", status, body)
	}
	now := time.Now()

	for _, tc := range []struct {
		name      string
		assertion string
		scope     string
		client    *hydratest.Client
		status    int
		error     string
	}{
		{
			name:      "aud is the issuer, not the token endpoint",
			assertion: ci.MustMint(t, good(map[string]any{"aud": hydra.PublicURL})),
			status:    http.StatusBadRequest, error: "invalid_grant",
		},
		{
			name:      "no aud",
			assertion: ci.MustMint(t, good(map[string]any{"aud": nil})),
			status:    http.StatusBadRequest, error: "invalid_grant",
		},
		{
			name:      "untrusted issuer",
			assertion: other.MustMint(t, good(nil)),
			status:    http.StatusBadRequest, error: "invalid_grant",
		},
		{
			name:      "trusted iss and sub, signed with another key",
			assertion: other.MustMint(t, good(map[string]any{"iss": ci.URL})),
			status:    http.StatusBadRequest, error: "invalid_grant",
		},
		{
			name:      "trusted kid, payload changed after signing",
			assertion: tamper(t, ci.MustMint(t, good(nil))),
			status:    http.StatusBadRequest, error: "invalid_grant",
		},
		{
			name:      "subject not in the trust relationship",
			assertion: ci.MustMint(t, good(map[string]any{"sub": "repo:octo/app:ref:refs/heads/evil"})),
			status:    http.StatusBadRequest, error: "invalid_grant",
		},
		{
			name:      "scope beyond the trust relationship",
			assertion: ci.MustMint(t, good(nil)),
			scope:     "api.write",
			status:    http.StatusBadRequest, error: "invalid_scope",
		},
		{
			name:      "expired",
			assertion: ci.MustMint(t, good(map[string]any{"iat": now.Add(-3 * time.Minute), "nbf": now.Add(-3 * time.Minute), "exp": now.Add(-time.Minute)})),
			status:    http.StatusBadRequest, error: "invalid_grant",
		},
		{
			name:      "not yet valid",
			assertion: ci.MustMint(t, good(map[string]any{"nbf": now.Add(time.Minute)})),
			status:    http.StatusBadRequest, error: "invalid_grant",
		},
		{
			name:      "no iat",
			assertion: ci.MustMint(t, good(map[string]any{"iat": nil})),
			status:    http.StatusBadRequest, error: "invalid_grant",
		},
		{
			name:      "exp - iat beyond max_ttl",
			assertion: ci.MustMint(t, good(map[string]any{"exp": now.Add(time.Hour)})),
			status:    http.StatusBadRequest, error: "invalid_grant",
		},
		{
			name:      "no jti",
			assertion: ci.MustMint(t, good(map[string]any{"jti": nil})),
			status:    http.StatusBadRequest, error: "invalid_grant",
		},
		{
			name:      "replayed",
			assertion: replayed,
			status:    http.StatusBadRequest, error: "jti_known",
		},
		{
			name:      "wrong client secret",
			assertion: ci.MustMint(t, good(nil)),
			client:    &hydratest.Client{ID: client.ID, Secret: "not-the-secret"},
			status:    http.StatusUnauthorized, error: "invalid_client",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := client
			if tc.client != nil {
				c = *tc.client
			}
			scope := tc.scope
			if scope == "" {
				scope = "api.read"
			}
			status, body := tokenRequest(t, hydra, c, jwtBearer(tc.assertion, scope))
			if status != tc.status || body["error"] != tc.error {
				t.Fatalf("HTTP %d, error %v (%v); want HTTP %d, error %s", status, body["error"], body["error_description"], tc.status, tc.error)
			}
			if _, ok := body["access_token"]; ok {
				t.Fatal("an access token came with the error")
			}
			t.Logf("HTTP %d %s: %v", status, tc.error, body["error_description"])
		})
	}
}

// A relationship with allow_any_subject takes every subject of its issuer,
// and the access token carries whichever subject the assertion had.
func TestJWTBearer_anySubject(t *testing.T) {
	hydra := hydratest.Start(t)
	client := hydra.CreateClient(t, hydratest.Client{Scopes: []string{"deploy"}})
	ci := ciissuer.Start(t, ciissuer.Options{})
	hydra.Trust(t, hydratest.Trust{Issuer: ci.URL, AllowAnySubject: true, JWK: ci.PublicJWK(), Scopes: []string{"deploy"}})

	for _, sub := range []string{"system:serviceaccount:ci:runner", "project_path:group/app:ref_type:branch:ref:main"} {
		status, body := tokenRequest(t, hydra, client, jwtBearer(ci.MustMint(t, map[string]any{"sub": sub, "aud": hydra.TokenURL}), "deploy"))
		if status != http.StatusOK {
			t.Fatalf("%s: HTTP %d: %v", sub, status, body)
		}
		if in := hydra.Introspect(t, asString(body["access_token"])); !in.Active || in.Subject != sub {
			t.Errorf("introspection active=%v sub=%q, want active and %q", in.Active, in.Subject, sub)
		}
	}
}

// tamper swaps the payload of a signed JWT for another (a different jti),
// keeping the header and signature.
func tamper(t *testing.T, jwt string) string {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %d parts", len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatal(err)
	}
	claims["jti"] = "tampered-" + asString(claims["jti"])
	raw, err = json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	parts[1] = base64.RawURLEncoding.EncodeToString(raw)
	return strings.Join(parts, ".")
}

func jwtBearer(assertion, scope string) url.Values {
	return url.Values{"grant_type": {hydratest.JWTBearerGrant}, "assertion": {assertion}, "scope": {scope}}
}

// tokenRequest posts form to Hydra's token endpoint with client_secret_basic.
func tokenRequest(t *testing.T, hydra *hydratest.Server, c hydratest.Client, form url.Values) (int, map[string]any) {
	t.Helper()
	return testproc.PostToken(t, hydra.HTTPClient, hydra.TokenURL, c.ID, c.Secret, form)
}

func asString(v any) string {
	s, _ := v.(string)
	return s
}

// keys lists a response's fields without their values, which may be tokens.
func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
