package provider

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/oidctest"
	"github.com/tfoauth2/terraform-provider-oauth2/internal/tokenserver"
)

// These tests cover the grants and client authentication methods beyond the
// seed dialects, through both kinds of oauth2_token, against a server that
// verifies what it receives: JWTs with go-jose and the public key.

// jwtServer is an authorization server with discovery, a token endpoint that
// checks private_key_jwt assertions and jwt-bearer grants, token exchange,
// and a revocation endpoint.
type jwtServer struct {
	URL string
	key *ecdsa.PrivateKey

	mu      sync.Mutex
	forms   []url.Values
	issued  []string
	revoked map[string]string // token -> token_type_hint
	errs    []string
}

func newJWTServer(t *testing.T) *jwtServer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s := &jwtServer{key: key, revoked: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer":                                s.URL,
			"token_endpoint":                        s.URL + "/token",
			"revocation_endpoint":                   s.URL + "/revoke",
			"token_endpoint_auth_methods_supported": []string{"private_key_jwt"},
		})
	})
	mux.HandleFunc("/token", s.token)
	mux.HandleFunc("/revoke", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		if err := s.checkClient(r.PostForm, s.URL+"/revoke"); err != nil {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		s.mu.Lock()
		s.revoked[r.PostForm.Get("token")] = r.PostForm.Get("token_type_hint")
		s.mu.Unlock()
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

func (s *jwtServer) privateKeyPEM(t *testing.T) string {
	der, err := x509.MarshalPKCS8PrivateKey(s.key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// verify checks a JWT signed by the client's key and returns its claims.
func (s *jwtServer) verify(token, audience string) (map[string]any, error) {
	parsed, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return nil, err
	}
	var std jwt.Claims
	all := map[string]any{}
	if err := parsed.Claims(&s.key.PublicKey, &std, &all); err != nil {
		return nil, err
	}
	if err := std.Validate(jwt.Expected{AnyAudience: jwt.Audience{audience}}); err != nil {
		return nil, err
	}
	return all, nil
}

func (s *jwtServer) checkClient(form url.Values, audience string) error {
	if form.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
		return fmt.Errorf("client_assertion_type = %q", form.Get("client_assertion_type"))
	}
	claims, err := s.verify(form.Get("client_assertion"), audience)
	if err != nil {
		return err
	}
	if claims["iss"] != "app" || claims["sub"] != "app" || claims["jti"] == nil {
		return fmt.Errorf("client assertion claims %v", claims)
	}
	return nil
}

func (s *jwtServer) token(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	s.mu.Lock()
	s.forms = append(s.forms, r.PostForm)
	s.mu.Unlock()
	fail := func(err error) {
		s.mu.Lock()
		s.errs = append(s.errs, err.Error())
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant", "error_description": err.Error()})
	}
	if err := s.checkClient(r.PostForm, s.URL+"/token"); err != nil {
		fail(err)
		return
	}
	resp := map[string]any{"token_type": "Bearer", "expires_in": 300}
	switch r.PostForm.Get("grant_type") {
	case "client_credentials":
	case "urn:ietf:params:oauth:grant-type:jwt-bearer":
		claims, err := s.verify(r.PostForm.Get("assertion"), s.URL+"/token")
		if err != nil {
			fail(err)
			return
		}
		resp["scope"] = fmt.Sprintf("sub:%v roles:%v exp-is-number:%t", claims["sub"], claims["roles"], isNumber(claims["exp"]))
	case "urn:ietf:params:oauth:grant-type:token-exchange":
		if r.PostForm.Get("subject_token") == "" || r.PostForm.Get("subject_token_type") == "" {
			fail(fmt.Errorf("missing subject token"))
			return
		}
		resp["issued_token_type"] = "urn:ietf:params:oauth:token-type:jwt"
		resp["token_type"] = "N_A"
	default:
		fail(fmt.Errorf("grant %q", r.PostForm.Get("grant_type")))
		return
	}
	access := fmt.Sprintf("at-%d-%s", len(s.forms), strings.Repeat("x", 16))
	refresh := "rt-" + access
	resp["access_token"], resp["refresh_token"] = access, refresh
	s.mu.Lock()
	s.issued = append(s.issued, access, refresh)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

func isNumber(v any) bool {
	_, ok := v.(float64)
	return ok
}

func (s *jwtServer) check() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.errs) > 0 {
		return fmt.Errorf("server refused requests: %v", s.errs)
	}
	return nil
}

func jwtProviderBlock(t *testing.T, s *jwtServer) string {
	return fmt.Sprintf(`
provider "oauth2" {
  issuer_url     = %[1]q
  client_id      = "app"
  private_key    = %[2]q
  private_key_id = "key-1"
}
`, s.URL, s.privateKeyPEM(t))
}

// Discovery finds the token endpoint and picks private_key_jwt, the only
// method the server lists; the server verifies the assertion.
func TestAccTokenDataSource_discoveryPrivateKeyJWT(t *testing.T) {
	s := newJWTServer(t)
	unitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactoriesWithClock(time.Now),
		Steps: []resource.TestStep{{
			Config: jwtProviderBlock(t, s) + `data "oauth2_token" "test" {}`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.oauth2_token.test", tfjsonpath.New("token_type"), knownvalue.StringExact("Bearer")),
			},
			Check: func(*terraform.State) error { return s.check() },
		}},
	})
}

func TestAccTokenDataSource_jwtBearerClaims(t *testing.T) {
	s := newJWTServer(t)
	unitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactoriesWithClock(time.Now),
		Steps: []resource.TestStep{{
			Config: jwtProviderBlock(t, s) + `
data "oauth2_token" "test" {
  jwt_bearer_grant = {
    claims = {
      sub   = "workload-7"
      roles = ["reader"]
      exp   = 4102444800
    }
  }
}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.oauth2_token.test", tfjsonpath.New("scope"),
					knownvalue.StringExact("sub:workload-7 roles:[reader] exp-is-number:true")),
			},
			Check: func(*terraform.State) error { return s.check() },
		}},
	})
}

func TestAccTokenEphemeralResource_tokenExchangeThenRevoke(t *testing.T) {
	s := newJWTServer(t)
	ephemeralUnitTest(t, resource.TestCase{
		TerraformVersionChecks:   ephemeralVersions,
		ProtoV6ProviderFactories: protoV6ProviderFactoriesWithClock(time.Now),
		Steps: []resource.TestStep{{
			Config: jwtProviderBlock(t, s) + `
ephemeral "oauth2_token" "test" {
  revoke_on_close = true
  token_exchange_grant = {
    subject_token      = "subject-token-value"
    subject_token_type = "urn:ietf:params:oauth:token-type:access_token"
  }
}

provider "echo" {
  data = {
    issued_token_type = ephemeral.oauth2_token.test.issued_token_type
    header            = ephemeral.oauth2_token.test.authorization_header
  }
}

resource "echo" "test" {}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("echo.test", tfjsonpath.New("data").AtMapKey("issued_token_type"),
					knownvalue.StringExact("urn:ietf:params:oauth:token-type:jwt")),
				// token_type N_A (RFC 8693 section 2.2.1): not a bearer
				// token, so no Authorization header (RFC 6749 section 7.1).
				statecheck.ExpectKnownValue("echo.test", tfjsonpath.New("data").AtMapKey("header"),
					knownvalue.Null()),
			},
			Check: func(*terraform.State) error {
				if err := s.check(); err != nil {
					return err
				}
				s.mu.Lock()
				defer s.mu.Unlock()
				// Every token the resource was issued was revoked when
				// Terraform closed it, refresh tokens with their hint.
				for _, tok := range s.issued {
					want := "access_token"
					if strings.HasPrefix(tok, "rt-") {
						want = "refresh_token"
					}
					if s.revoked[tok] != want {
						return fmt.Errorf("%s... was not revoked as %s (revoked: %d tokens)", tok[:5], want, len(s.revoked))
					}
				}
				return nil
			},
		}},
	})
}

func TestAccTokenEphemeralResource_revokeNeedsEndpoint(t *testing.T) {
	srv := basicServer(t)
	ephemeralUnitTest(t, resource.TestCase{
		TerraformVersionChecks:   ephemeralVersions,
		ProtoV6ProviderFactories: protoV6ProviderFactoriesWithClock(time.Now),
		Steps: []resource.TestStep{{
			Config: providerBlock(srv.URL) + `
ephemeral "oauth2_token" "test" {
  revoke_on_close = true
}

provider "echo" {
  data = ephemeral.oauth2_token.test.token_type
}

resource "echo" "test" {}
`,
			ExpectError: regexp.MustCompile(`No Revocation Endpoint[\s\S]*revocation_url`),
		}},
	})
	if n := srv.TokenRequests(); n != 0 {
		t.Errorf("%d tokens were issued although they could not be revoked", n)
	}
}

func TestAccTokenDataSource_grantValidation(t *testing.T) {
	cases := map[string]struct {
		provider, token, want string
	}{
		"two grant blocks": {"", `
  jwt_bearer_grant     = { assertion = "a.b.c" }
  token_exchange_grant = { subject_token = "s", subject_token_type = "t" }`, `Invalid Attribute Combination[\s\S]*token_exchange_grant`},
		"assertion and claims": {"", `jwt_bearer_grant = {
    assertion = "a.b.c"
    claims    = { sub = "x" }
  }`, `Invalid Attribute Combination`},
		"actor token without type": {"", `token_exchange_grant = {
    subject_token      = "s"
    subject_token_type = "t"
    actor_token        = "a"
  }`, `actor_token_type`},
		"private_key_jwt without key": {`client_auth = "private_key_jwt"`, ``, `Missing Private Key`},
		"bad private key":             {`private_key = "not a key"`, ``, `Invalid Private Key`},
		"short secret for client_secret_jwt": {`client_auth = "client_secret_jwt"
  client_secret = "short"`, ``, `Client Secret Too Short[\s\S]*32 bytes`},
		"tls auth without certificate":  {`client_auth = "tls_client_auth"`, ``, `Missing Client Certificate`},
		"both token_url and issuer_url": {`issuer_url = "https://auth.example.com"`, ``, `Conflicting Token Endpoint Settings`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			unitTest(t, resource.TestCase{
				ProtoV6ProviderFactories: protoV6ProviderFactoriesWithClock(time.Now),
				Steps: []resource.TestStep{{
					Config: fmt.Sprintf(`
provider "oauth2" {
  token_url = "https://auth.example.com/token"
  client_id = "app"
  %s
}

data "oauth2_token" "test" {
  %s
}
`, tc.provider, tc.token),
					ExpectError: regexp.MustCompile(tc.want),
				}},
			})
		})
	}
}

// Against oidc-provider, an OpenID Certified server: discovery, a resource
// indicator, and revoke_on_close leaving the token inactive.
func TestAccTokenEphemeralResource_oidcProviderRevokeOnClose(t *testing.T) {
	const secret = "client-secret-0123456789-0123456789"
	srv := oidctest.Start(t, []map[string]any{{
		"client_id": "tf", "client_secret": secret, "token_endpoint_auth_method": "client_secret_post",
		"grant_types": []string{"client_credentials"},
	}})
	var token string
	ephemeralUnitTest(t, resource.TestCase{
		TerraformVersionChecks:   ephemeralVersions,
		ProtoV6ProviderFactories: protoV6ProviderFactoriesWithClock(time.Now),
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
provider "oauth2" {
  issuer_url    = %[1]q
  client_id     = "tf"
  client_secret = %[2]q
}

ephemeral "oauth2_token" "test" {
  revoke_on_close = true
  resource        = ["https://api.example.test/"]
  scopes          = ["api:read"]
}

provider "echo" {
  data = ephemeral.oauth2_token.test
}

resource "echo" "test" {}
`, srv.Issuer, secret),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("echo.test", tfjsonpath.New("data").AtMapKey("scope"), knownvalue.StringExact("api:read")),
			},
			Check: resource.TestCheckResourceAttrWith("echo.test", "data.access_token", func(v string) error {
				token = v
				return nil
			}),
		}},
	})
	if token == "" {
		t.Fatal("no token reached the echo provider")
	}
	// The token was issued to client "tf" with the resource as audience,
	// and was revoked when Terraform closed the ephemeral resource.
	if info := srv.Introspect(t, token, "tf", secret); info["active"] != false {
		t.Fatalf("the token is still active after Close: %v", info)
	}
}

func TestAccTokenDataSource_oidcProviderDiscovery(t *testing.T) {
	const secret = "client-secret-0123456789-0123456789"
	srv := oidctest.Start(t, []map[string]any{{
		"client_id": "tf", "client_secret": secret, "token_endpoint_auth_method": "client_secret_basic",
		"grant_types": []string{"client_credentials"},
	}})
	unitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactoriesWithClock(time.Now),
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
provider "oauth2" {
  issuer_url    = %[1]q
  client_id     = "tf"
  client_secret = %[2]q
}

data "oauth2_token" "test" {
  resource = ["https://api.example.test/"]
}
`, srv.Issuer, secret),
			Check: resource.TestCheckResourceAttrWith("data.oauth2_token.test", "access_token", func(v string) error {
				if info := srv.Introspect(t, v, "tf", secret); info["active"] != true || info["aud"] != "https://api.example.test/" {
					return fmt.Errorf("introspection: %v", info)
				}
				return nil
			}),
		}},
	})
}

// The grants of the jwtServer test above, in the other kind each.
func TestAccTokenKinds_jwtBearerEphemeralAndTokenExchangeData(t *testing.T) {
	s := newJWTServer(t)
	ephemeralUnitTest(t, resource.TestCase{
		TerraformVersionChecks:   ephemeralVersions,
		ProtoV6ProviderFactories: protoV6ProviderFactoriesWithClock(time.Now),
		Steps: []resource.TestStep{{
			Config: jwtProviderBlock(t, s) + `
ephemeral "oauth2_token" "bearer" {
  jwt_bearer_grant = {
    claims = { sub = "eph", roles = ["a", "b"] }
  }
}

data "oauth2_token" "exchange" {
  token_exchange_grant = {
    subject_token        = "subject-token-value"
    subject_token_type   = "urn:ietf:params:oauth:token-type:jwt"
    actor_token          = "actor-token-value"
    actor_token_type     = "urn:ietf:params:oauth:token-type:jwt"
    requested_token_type = "urn:ietf:params:oauth:token-type:jwt"
  }
}

provider "echo" {
  data = ephemeral.oauth2_token.bearer.scope
}

resource "echo" "test" {}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("echo.test", tfjsonpath.New("data"), knownvalue.StringExact("sub:eph roles:[a b] exp-is-number:true")),
				statecheck.ExpectKnownValue("data.oauth2_token.exchange", tfjsonpath.New("issued_token_type"),
					knownvalue.StringExact("urn:ietf:params:oauth:token-type:jwt")),
			},
			Check: func(*terraform.State) error {
				if err := s.check(); err != nil {
					return err
				}
				s.mu.Lock()
				defer s.mu.Unlock()
				for _, f := range s.forms {
					if f.Get("grant_type") == "urn:ietf:params:oauth:grant-type:token-exchange" &&
						(f.Get("actor_token") != "actor-token-value" || f.Get("requested_token_type") == "") {
						return fmt.Errorf("token exchange parameters: %v", f)
					}
				}
				return nil
			},
		}},
	})
}

// tls_client_auth: the provider presents client_certificate_pem on the
// token request and trusts the server through ca_certificate_pem.
func TestAccTokenDataSource_tlsClientAuth(t *testing.T) {
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "clients"}, IsCA: true, BasicConstraintsValid: true,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	clientKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	clientDER, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "app"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}, caCert, &clientKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	clientKeyDER, _ := x509.MarshalPKCS8PrivateKey(clientKey)
	pemOf := func(typ string, der []byte) string {
		return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
	}

	tokens := tokenserver.New(tokenserver.Options{
		Clients: []tokenserver.Client{{ID: "app", Auth: tokenserver.AuthNone}},
		Users:   []tokenserver.User{{Username: "u", Password: "p"}},
	})
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TLS.PeerCertificates) == 0 || r.TLS.PeerCertificates[0].Subject.CommonName != "app" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"invalid_client","error_description":"no client certificate"}`))
			return
		}
		tokens.ServeHTTP(w, r)
	}))
	srv.TLS = &tls.Config{ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: pool}
	srv.StartTLS()
	t.Cleanup(srv.Close)

	config := func(withCert bool) string {
		cert := ""
		if withCert {
			cert = fmt.Sprintf("client_certificate_pem = %q\n  client_key_pem = %q", pemOf("CERTIFICATE", clientDER), pemOf("PRIVATE KEY", clientKeyDER))
		}
		return fmt.Sprintf(`
provider "oauth2" {
  token_url          = %[1]q
  client_id          = "app"
  client_auth        = %[2]q
  ca_certificate_pem = %[3]q
  %[4]s
}

data "oauth2_token" "test" {
  password_grant = { username = "u", password = "p" }
}
`, srv.URL+"/token", map[bool]string{true: "tls_client_auth", false: "none"}[withCert], pemOf("CERTIFICATE", srv.Certificate().Raw), cert)
	}
	unitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories(),
		Steps: []resource.TestStep{
			{Config: config(false), ExpectError: regexp.MustCompile(`invalid_client[\s\S]*no client certificate`)},
			{Config: config(true), Check: resource.TestCheckResourceAttr("data.oauth2_token.test", "token_type", "Bearer")},
		},
	})
}
