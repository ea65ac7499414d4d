package ciissuer_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/ciissuer"
)

// A relying party that knows only the issuer URL can verify a minted token:
// discovery names the JWKS, the JWKS holds the key the header's kid names.
func TestMint_verifiesThroughDiscovery(t *testing.T) {
	for _, alg := range []jose.SignatureAlgorithm{jose.RS256, jose.ES256} {
		t.Run(string(alg), func(t *testing.T) {
			iss := ciissuer.Start(t, ciissuer.Options{Algorithm: alg})
			if !strings.HasPrefix(iss.URL, "http://127.0.0.1:") || strings.HasSuffix(iss.URL, "/") {
				t.Fatalf("URL = %q, want http://127.0.0.1:PORT", iss.URL)
			}

			var disco struct {
				Issuer  string   `json:"issuer"`
				JWKSURI string   `json:"jwks_uri"`
				Algs    []string `json:"id_token_signing_alg_values_supported"`
			}
			getJSON(t, iss.URL+ciissuer.DiscoveryPath, &disco)
			if disco.Issuer != iss.URL || disco.JWKSURI != iss.JWKSURL() {
				t.Fatalf("discovery = %+v, want issuer %s and jwks_uri %s", disco, iss.URL, iss.JWKSURL())
			}
			if len(disco.Algs) != 1 || disco.Algs[0] != string(alg) {
				t.Fatalf("id_token_signing_alg_values_supported = %v, want [%s]", disco.Algs, alg)
			}
			var jwks jose.JSONWebKeySet
			getJSON(t, disco.JWKSURI, &jwks)

			tok := iss.MustMint(t, map[string]any{"sub": "repo:octo/app:ref:refs/heads/main", "aud": "https://as.example"})
			parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{alg})
			if err != nil {
				t.Fatal(err)
			}
			h := parsed.Headers[0]
			if h.KeyID != iss.KeyID || h.ExtraHeaders["typ"] != "JWT" {
				t.Fatalf("header kid=%q typ=%v, want kid %q typ JWT", h.KeyID, h.ExtraHeaders["typ"], iss.KeyID)
			}
			keys := jwks.Key(h.KeyID)
			if len(keys) != 1 || !keys[0].IsPublic() {
				t.Fatalf("JWKS has %d public keys with kid %q, want 1", len(keys), h.KeyID)
			}
			var std jwt.Claims
			if err := parsed.Claims(keys[0].Key, &std); err != nil {
				t.Fatalf("signature does not verify with the published key: %v", err)
			}
			if err := std.ValidateWithLeeway(jwt.Expected{
				Issuer:      iss.URL,
				Subject:     "repo:octo/app:ref:refs/heads/main",
				AnyAudience: jwt.Audience{"https://as.example"},
			}, 0); err != nil {
				t.Fatal(err)
			}
			if std.ID == "" {
				t.Error("no jti")
			}
			if got := std.Expiry.Time().Sub(std.IssuedAt.Time()); got != ciissuer.DefaultLifetime {
				t.Errorf("exp - iat = %s, want %s", got, ciissuer.DefaultLifetime)
			}
			if iss.DiscoveryRequests() != 1 || iss.JWKSRequests() != 1 {
				t.Errorf("requests: discovery %d, JWKS %d, want 1 each", iss.DiscoveryRequests(), iss.JWKSRequests())
			}
		})
	}
}

// Keys are made per issuer: another issuer's key does not verify this one's
// tokens, which is what the "untrusted issuer" tests of the servers rely on.
func TestMint_keysDifferPerIssuer(t *testing.T) {
	a := ciissuer.Start(t, ciissuer.Options{})
	b := ciissuer.Start(t, ciissuer.Options{})
	if a.KeyID == b.KeyID {
		t.Fatal("two issuers share a key")
	}
	parsed, err := jwt.ParseSigned(a.MustMint(t, map[string]any{"sub": "x"}), []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	var c jwt.Claims
	if err := parsed.Claims(b.PublicJWK().Key, &c); err == nil {
		t.Fatal("a token of one issuer verifies with the key of another")
	}
}

// Claims override the defaults, nil removes one, time.Time becomes seconds,
// and the injected clock drives iat, nbf and exp.
func TestMint_claims(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	iss := ciissuer.Start(t, ciissuer.Options{Lifetime: time.Minute, Now: func() time.Time { return now }})
	tok := iss.MustMint(t, map[string]any{
		"sub":        "system:serviceaccount:ci:runner",
		"aud":        []string{"a", "b"},
		"nbf":        nil,
		"jti":        "fixed",
		"auth_time":  now.Add(-time.Hour),
		"kubernetes": map[string]any{"namespace": "ci"},
	})
	got := payload(t, tok)
	want := map[string]any{
		"iss":        iss.URL,
		"sub":        "system:serviceaccount:ci:runner",
		"aud":        []any{"a", "b"},
		"iat":        float64(now.Unix()),
		"exp":        float64(now.Add(time.Minute).Unix()),
		"jti":        "fixed",
		"auth_time":  float64(now.Add(-time.Hour).Unix()),
		"kubernetes": map[string]any{"namespace": "ci"},
	}
	if g, w := mustJSON(t, got), mustJSON(t, want); g != w {
		t.Fatalf("claims:\n got %s\nwant %s", g, w)
	}

	// Two tokens never share a default jti.
	a, b := payload(t, iss.MustMint(t, nil))["jti"], payload(t, iss.MustMint(t, nil))["jti"]
	if a == b || a == "" {
		t.Fatalf("jti %v and %v", a, b)
	}
}

func TestGitHubActionsClaims(t *testing.T) {
	c := ciissuer.GitHubActionsClaims("octo/app", "refs/heads/main", "https://as.example/token")
	if c["sub"] != "repo:octo/app:ref:refs/heads/main" || c["repository_owner"] != "octo" || c["aud"] != "https://as.example/token" {
		t.Fatalf("claims = %v", c)
	}
}

func TestNew_unsupportedAlgorithm(t *testing.T) {
	if _, err := ciissuer.New(ciissuer.Options{Algorithm: jose.HS256}); err == nil {
		t.Fatal("HS256 accepted")
	}
}

func TestServesOnlyItsDocuments(t *testing.T) {
	iss := ciissuer.Start(t, ciissuer.Options{})
	for _, tc := range []struct{ method, path string }{
		{http.MethodGet, "/token"},
		{http.MethodPost, ciissuer.JWKSPath},
	} {
		req, err := http.NewRequestWithContext(t.Context(), tc.method, iss.URL+tc.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode < 400 {
			t.Errorf("%s %s: HTTP %d, want an error", tc.method, tc.path, resp.StatusCode)
		}
	}
}

func getJSON(t *testing.T, u string, out any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET %s: HTTP %d, %s", u, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

// payload decodes a JWT's claims without verifying it.
func payload(t *testing.T, tok string) map[string]any {
	t.Helper()
	parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := parsed.UnsafeClaimsWithoutVerification(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
