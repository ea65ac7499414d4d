package dextest_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/ciissuer"
	"github.com/tfoauth2/terraform-provider-oauth2/internal/dextest"
	"github.com/tfoauth2/terraform-provider-oauth2/internal/testproc"
)

// A CI identity token from a stand-in CI issuer is exchanged at Dex for a
// Dex access token; the token verifies against Dex's JWKS, Dex's
// introspection says it is active, and its subject is the CI token's
// subject through the connector.
func TestTokenExchange_ciTokenForAccessToken(t *testing.T) {
	ci := ciissuer.Start(t, ciissuer.Options{})
	dex := dextest.Start(t, dextest.Config{UpstreamIssuer: ci.URL})
	client := dex.Client()
	claims := ciissuer.GitHubActionsClaims("octo/app", "refs/heads/main", "dex")
	ciSub := asString(claims["sub"])

	status, body := exchange(t, dex, client, url.Values{
		"subject_token":      {ci.MustMint(t, claims)},
		"subject_token_type": {dextest.IDTokenType},
		"connector_id":       {dex.ConnectorID},
	})
	if status != http.StatusOK {
		t.Fatalf("token exchange: HTTP %d: %v", status, body)
	}
	token, _ := body["access_token"].(string)
	if token == "" || !strings.EqualFold(asString(body["token_type"]), "bearer") {
		t.Fatalf("no bearer access_token in the response: fields %v", fields(body))
	}
	if body["issued_token_type"] != dextest.AccessTokenType {
		t.Errorf("issued_token_type = %v, want %s", body["issued_token_type"], dextest.AccessTokenType)
	}
	if ci.JWKSRequests() == 0 {
		t.Error("Dex accepted the CI token without fetching the CI issuer's keys")
	}

	got, err := dex.Verify(t, token)
	if err != nil {
		t.Fatalf("the issued token does not verify against Dex's keys: %v", err)
	}
	if !dex.BelongsTo(got.Subject, ciSub) {
		user, conn, err := dextest.DecodeSubject(got.Subject)
		t.Fatalf("sub %q is (user %q, connector %q, %v), want (%q, %q)", got.Subject, user, conn, err, ciSub, dex.ConnectorID)
	}
	if got.Subject == ciSub {
		t.Error("Dex passed the upstream sub through unencoded")
	}
	if !got.Audience.Contains(client.ID) {
		t.Errorf("aud = %v, want the client %s", got.Audience, client.ID)
	}

	in := dex.Introspect(t, token)
	if !in.Active || in.Subject != got.Subject || in.ClientID != client.ID || in.TokenUse != "access_token" {
		t.Fatalf("introspection: %v", in.Raw)
	}
	if in := dex.Introspect(t, token[:len(token)-2]+"xx"); in.Active {
		t.Errorf("a token with a broken signature is active: %v", in.Raw)
	}

	for _, secret := range []string{client.Secret, token} {
		if strings.Contains(dex.Logs(), secret) {
			t.Error("Dex's log holds the client secret or the issued token")
		}
	}
}

// With scope federated:id, the upstream identity is in the token in clear,
// and with requested_token_type id_token Dex issues an ID token instead.
func TestTokenExchange_federatedClaimsAndIDToken(t *testing.T) {
	ci := ciissuer.Start(t, ciissuer.Options{})
	dex := dextest.Start(t, dextest.Config{UpstreamIssuer: ci.URL, ConnectorID: "github-actions"})
	const sub = "repo:octo/app:environment:prod"

	for _, requested := range []string{dextest.AccessTokenType, dextest.IDTokenType} {
		t.Run(requested, func(t *testing.T) {
			status, body := exchange(t, dex, dex.Client(), url.Values{
				"subject_token":        {ci.MustMint(t, map[string]any{"sub": sub, "aud": "sts.example"})},
				"subject_token_type":   {dextest.IDTokenType},
				"connector_id":         {"github-actions"},
				"requested_token_type": {requested},
				"scope":                {"openid federated:id"},
			})
			if status != http.StatusOK {
				t.Fatalf("HTTP %d: %v", status, body)
			}
			if body["issued_token_type"] != requested {
				t.Errorf("issued_token_type = %v, want %s", body["issued_token_type"], requested)
			}
			got, err := dex.Verify(t, asString(body["access_token"]))
			if err != nil {
				t.Fatal(err)
			}
			if f := got.FederatedClaims; f == nil || f.UserID != sub || f.ConnectorID != "github-actions" {
				t.Fatalf("federated_claims = %+v, want user_id %q connector_id github-actions", f, sub)
			}
			if !dex.BelongsTo(got.Subject, sub) || got.Subject != dextest.EncodeSubject(sub, "github-actions") {
				t.Errorf("sub %q does not encode (%q, github-actions)", got.Subject, sub)
			}
		})
	}
}

// Dex checks the subject token's signature, issuer and expiry, but not its
// audience: a CI token minted for another party is accepted. A client of
// Dex must ask its CI system for a token with a narrow audience anyway;
// this test pins the behaviour so an upgrade that changes it is noticed.
func TestTokenExchange_audienceNotChecked(t *testing.T) {
	ci := ciissuer.Start(t, ciissuer.Options{})
	dex := dextest.Start(t, dextest.Config{UpstreamIssuer: ci.URL})
	status, body := exchange(t, dex, dex.Client(), url.Values{
		"subject_token":      {ci.MustMint(t, map[string]any{"sub": "x", "aud": "https://somebody-else.example"})},
		"subject_token_type": {dextest.IDTokenType},
		"connector_id":       {dex.ConnectorID},
	})
	if status != http.StatusOK {
		t.Fatalf("HTTP %d: %v (Dex now checks aud: update this test and the package doc)", status, body)
	}
}

// What Dex refuses, and how it says so.
func TestTokenExchange_refused(t *testing.T) {
	ci := ciissuer.Start(t, ciissuer.Options{})
	other := ciissuer.Start(t, ciissuer.Options{}) // no connector trusts it
	dex := dextest.Start(t, dextest.Config{UpstreamIssuer: ci.URL})
	client := dex.Client()
	now := time.Now()
	good := map[string]any{"sub": "repo:octo/app:ref:refs/heads/main", "aud": "dex"}
	with := func(extra map[string]any) map[string]any {
		c := map[string]any{}
		for k, v := range good {
			c[k] = v
		}
		for k, v := range extra {
			c[k] = v
		}
		return c
	}

	for _, tc := range []struct {
		name   string
		form   url.Values
		client dextest.Client
		status int
		error  string
	}{
		{
			name:   "token of an untrusted issuer",
			form:   url.Values{"subject_token": {other.MustMint(t, good)}},
			status: http.StatusUnauthorized, error: "access_denied",
		},
		{
			name:   "trusted iss, signed with another key",
			form:   url.Values{"subject_token": {other.MustMint(t, with(map[string]any{"iss": ci.URL}))}},
			status: http.StatusUnauthorized, error: "access_denied",
		},
		{
			name:   "expired",
			form:   url.Values{"subject_token": {ci.MustMint(t, with(map[string]any{"iat": now.Add(-10 * time.Minute), "exp": now.Add(-5 * time.Minute)}))}},
			status: http.StatusUnauthorized, error: "access_denied",
		},
		{
			name:   "unknown connector",
			form:   url.Values{"subject_token": {ci.MustMint(t, good)}, "connector_id": {"nope"}},
			status: http.StatusBadRequest, error: "invalid_request",
		},
		{
			name:   "subject_token_type jwt",
			form:   url.Values{"subject_token": {ci.MustMint(t, good)}, "subject_token_type": {"urn:ietf:params:oauth:token-type:jwt"}},
			status: http.StatusBadRequest, error: "request_not_supported",
		},
		{
			name:   "no subject_token",
			form:   url.Values{},
			status: http.StatusBadRequest, error: "invalid_request",
		},
		{
			name:   "wrong client secret",
			form:   url.Values{"subject_token": {ci.MustMint(t, good)}},
			client: dextest.Client{ID: client.ID, Secret: "not-the-secret"},
			status: http.StatusUnauthorized, error: "invalid_client",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			form := url.Values{"subject_token_type": {dextest.IDTokenType}, "connector_id": {dex.ConnectorID}}
			for k, v := range tc.form {
				form[k] = v
			}
			c := tc.client
			if c.ID == "" {
				c = client
			}
			status, body := exchange(t, dex, c, form)
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

// The subject encoding, against a value Dex itself produced in the first
// test run of this package (user "repo:octo/app:ref:refs/heads/main",
// connector "ci").
func TestSubjectEncoding(t *testing.T) {
	const fromDex = "CiFyZXBvOm9jdG8vYXBwOnJlZjpyZWZzL2hlYWRzL21haW4SAmNp"
	user, conn, err := dextest.DecodeSubject(fromDex)
	if err != nil || user != "repo:octo/app:ref:refs/heads/main" || conn != "ci" {
		t.Fatalf("DecodeSubject = %q, %q, %v", user, conn, err)
	}
	if got := dextest.EncodeSubject(user, conn); got != fromDex {
		t.Fatalf("EncodeSubject = %q, want %q", got, fromDex)
	}
	long := strings.Repeat("x", 300) // a length that needs a two-byte varint
	if u, c, err := dextest.DecodeSubject(dextest.EncodeSubject(long, "c")); err != nil || u != long || c != "c" {
		t.Fatalf("round trip of a long subject: %q, %q, %v", u, c, err)
	}
	for _, bad := range []string{"!!", "CgE", "CAE"} {
		if _, _, err := dextest.DecodeSubject(bad); err == nil {
			t.Errorf("DecodeSubject(%q) succeeded", bad)
		}
	}
}

// exchange posts a token exchange request with client_secret_basic and
// returns the status and the JSON body.
func exchange(t *testing.T, dex *dextest.Server, c dextest.Client, form url.Values) (int, map[string]any) {
	t.Helper()
	form.Set("grant_type", dextest.TokenExchangeGrant)
	return testproc.PostToken(t, dex.HTTPClient, dex.TokenURL, c.ID, c.Secret, form)
}

func asString(v any) string {
	s, _ := v.(string)
	return s
}

// fields lists a response's field names, not the values, which may be tokens.
func fields(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
