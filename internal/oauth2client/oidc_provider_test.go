package oauth2client_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/oauth2client"
	"github.com/tfoauth2/terraform-provider-oauth2/internal/oidctest"
)

// These tests run the client against panva's oidc-provider, an OpenID
// Certified authorization server (tools/oidc-provider), so that every method
// is checked against an implementation the team did not write: discovery,
// each client authentication method, resource indicators, refresh and
// revocation, with the issued tokens checked through introspection.

const (
	introspector       = "introspector"
	introspectorSecret = "introspector-secret-0123456789-abcdef"
	apiResource        = "https://api.example.test/"
	// client_secret_jwt signs with HS256, which needs 32 bytes or more.
	longSecret = "s3cr@t &=+%/: with spaces, long enough for HS256"
)

func pkcs8(t *testing.T, key any) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func TestOIDCProvider_clientAuthMethods(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	client := func(id, method string, extra map[string]any) map[string]any {
		c := map[string]any{"client_id": id, "token_endpoint_auth_method": method,
			"grant_types": []string{"client_credentials", "refresh_token", "urn:openid:params:grant-type:ciba"}}
		for k, v := range extra {
			c[k] = v
		}
		return c
	}
	srv := oidctest.Start(t, []map[string]any{
		client(introspector, "client_secret_basic", map[string]any{"client_secret": introspectorSecret}),
		client("basic", "client_secret_basic", map[string]any{"client_secret": longSecret}),
		client("post", "client_secret_post", map[string]any{"client_secret": longSecret}),
		client("secret-jwt", "client_secret_jwt", map[string]any{"client_secret": longSecret}),
		client("rsa-jwt", "private_key_jwt", map[string]any{
			"jwks": map[string]any{"keys": []any{oidctest.PublicJWK(t, &rsaKey.PublicKey, "rsa-1")}}}),
		client("ec-jwt", "private_key_jwt", map[string]any{
			"jwks": map[string]any{"keys": []any{oidctest.PublicJWK(t, &ecKey.PublicKey, "ec-1")}}}),
	})
	c := oauth2client.New(oauth2client.Options{})

	md, err := c.Discover(t.Context(), srv.Issuer)
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	if md.TokenEndpoint != srv.TokenURL || md.RevocationEndpoint != srv.RevocationURL {
		t.Fatalf("discovered %s and %s, want %s and %s", md.TokenEndpoint, md.RevocationEndpoint, srv.TokenURL, srv.RevocationURL)
	}
	if method := oauth2client.PickClientAuth(md.TokenEndpointAuthMethodsSupported, true, false); method != oauth2client.AuthClientSecretBasic {
		t.Errorf("picked %q, want client_secret_basic", method)
	}

	signing := func(pemText, kid string) *oauth2client.SigningKey {
		k, err := oauth2client.ParseSigningKey(pemText, "", kid)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	for name, req := range map[string]oauth2client.Request{
		"client_secret_basic":   {ClientID: "basic", ClientAuth: oauth2client.SecretBasic{Secret: longSecret}},
		"client_secret_post":    {ClientID: "post", ClientAuth: oauth2client.SecretPost{Secret: longSecret}},
		"client_secret_jwt":     {ClientID: "secret-jwt", ClientAuth: oauth2client.SecretJWT{Secret: longSecret}},
		"private_key_jwt RS256": {ClientID: "rsa-jwt", ClientAuth: oauth2client.PrivateKeyJWT{Key: signing(pkcs8(t, rsaKey), "rsa-1")}},
		"private_key_jwt ES256": {ClientID: "ec-jwt", ClientAuth: oauth2client.PrivateKeyJWT{Key: signing(pkcs8(t, ecKey), "ec-1")}},
	} {
		t.Run(name, func(t *testing.T) {
			req.TokenURL = md.TokenEndpoint
			req.Resources = []string{apiResource}
			req.Scopes = []string{"api:read"}
			tok, _, err := c.Fetch(t.Context(), req)
			if err != nil {
				t.Fatalf("Fetch: %v\n%s", err, srv.Logs())
			}
			if tok.Scope == nil || *tok.Scope != "api:read" || tok.ExpiresIn == nil {
				t.Errorf("scope %v, expires_in %v", tok.Scope, tok.ExpiresIn)
			}
			info := srv.Introspect(t, tok.AccessToken, introspector, introspectorSecret)
			if info["active"] != true || info["client_id"] != req.ClientID || info["aud"] != apiResource {
				t.Fatalf("introspection of the issued token: %v", info)
			}

			if err := c.Revoke(t.Context(), md.RevocationEndpoint, req, tok.AccessToken, oauth2client.HintAccessToken); err != nil {
				t.Fatalf("Revoke: %v\n%s", err, srv.Logs())
			}
			if info := srv.Introspect(t, tok.AccessToken, introspector, introspectorSecret); info["active"] != false {
				t.Fatalf("the token is still active after revocation: %v", info)
			}
		})
	}

	t.Run("refresh_token", func(t *testing.T) {
		rt := srv.RefreshToken(t, "basic", longSecret)
		req := oauth2client.Request{
			TokenURL: md.TokenEndpoint, ClientID: "basic", ClientAuth: oauth2client.SecretBasic{Secret: longSecret},
			Grant: oauth2client.RefreshToken{RefreshToken: rt},
		}
		tok, _, err := c.Fetch(t.Context(), req)
		if err != nil {
			t.Fatalf("Fetch: %v\n%s", err, srv.Logs())
		}
		if tok.IDToken == nil {
			t.Error("the refreshed openid grant came without an id_token")
		}
		if info := srv.Introspect(t, tok.AccessToken, introspector, introspectorSecret); info["active"] != true {
			t.Fatalf("refreshed token: %v", info)
		}
		if err := c.Revoke(t.Context(), md.RevocationEndpoint, req, rt, oauth2client.HintRefreshToken); err != nil {
			t.Fatal(err)
		}
		// A revoked refresh token no longer works: the server's own words
		// reach the error, without the token.
		_, _, err = c.Fetch(t.Context(), req)
		if err == nil {
			t.Fatal("a revoked refresh token was accepted")
		}
		if text := err.Error(); !strings.Contains(text, "invalid_grant") || strings.Contains(text, rt) || strings.Contains(text, longSecret) {
			t.Errorf("error text:\n%s", text)
		}
	})

	t.Run("wrong secret", func(t *testing.T) {
		_, outcome, err := c.Fetch(t.Context(), oauth2client.Request{
			TokenURL: md.TokenEndpoint, ClientID: "basic", ClientAuth: oauth2client.SecretBasic{Secret: "wrong-" + longSecret},
		})
		if err == nil || outcome.Status != 401 {
			t.Fatalf("status %d, err %v", outcome.Status, err)
		}
		if text := err.Error(); !strings.Contains(text, "invalid_client") || strings.Contains(text, "wrong-") {
			t.Errorf("error text:\n%s", text)
		}
	})
}
