package oauth2client

import (
	"crypto/elliptic"
	"crypto/sha1" //nolint:gosec // x5t is a SHA-1 thumbprint by definition
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// capture is a token endpoint that records the parameters of each request
// (query and body apart) and answers with a fixed token response.
type capture struct {
	mu       sync.Mutex
	query    []url.Values
	form     []url.Values
	response map[string]any
}

func (c *capture) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	c.mu.Lock()
	c.query = append(c.query, r.URL.Query())
	c.form = append(c.form, form)
	c.mu.Unlock()
	resp := c.response
	if resp == nil {
		resp = map[string]any{"access_token": "issued-token", "token_type": "Bearer", "expires_in": 60}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

func (c *capture) last() (query, form url.Values) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.query[len(c.query)-1], c.form[len(c.form)-1]
}

func TestFetch_privateKeyJWT(t *testing.T) {
	for name, tc := range map[string]struct {
		pem string
		alg jose.SignatureAlgorithm
		pub any
	}{
		"RS256": {pkcs1PEM(jwtTestRSAKey()), jose.RS256, &jwtTestRSAKey().PublicKey},
	} {
		t.Run(name, func(t *testing.T) {
			srv := &capture{}
			tokenURL := serve(t, srv) + "/token"
			key, err := ParseSigningKey(tc.pem, "", "kid-1")
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = newTestClient().Fetch(t.Context(), Request{
				TokenURL: tokenURL, ClientID: "app", ClientAuth: PrivateKeyJWT{Key: key},
				ParamsIn: ParamsInQuery, Scopes: []string{"a"},
			})
			if err != nil {
				t.Fatal(err)
			}
			query, form := srv.last()
			if form.Get("client_assertion_type") != ClientAssertionType || form.Get("client_id") != "app" {
				t.Errorf("client authentication did not stay in the body: body %v", form)
			}
			if query.Get("scope") != "a" || query.Has("client_assertion") {
				t.Errorf("query %v", query)
			}
			std, _ := verifyJWT(t, form.Get("client_assertion"), tc.alg, tc.pub)
			if std.Issuer != "app" || std.Subject != "app" || len(std.Audience) != 1 || std.Audience[0] != tokenURL {
				t.Errorf("claims %+v", std)
			}
		})
	}
	t.Run("ES256", func(t *testing.T) {
		ec := jwtTestECKey(t, elliptic.P256())
		key, err := ParseSigningKey(sec1PEM(t, ec), "", "")
		if err != nil {
			t.Fatal(err)
		}
		srv := &capture{}
		tokenURL := serve(t, srv)
		if _, _, err := newTestClient().Fetch(t.Context(), Request{
			TokenURL: tokenURL, ClientID: "app", ClientAuth: PrivateKeyJWT{Key: key},
		}); err != nil {
			t.Fatal(err)
		}
		_, form := srv.last()
		verifyJWT(t, form.Get("client_assertion"), jose.ES256, &ec.PublicKey)
		if form.Has("client_secret") {
			t.Error("a secret was sent with private_key_jwt")
		}
	})
}

func TestFetch_clientSecretJWT(t *testing.T) {
	secret := "0123456789abcdef0123456789abcdef-long-enough"
	srv := &capture{}
	tokenURL := serve(t, srv)
	if _, _, err := newTestClient().Fetch(t.Context(), Request{
		TokenURL: tokenURL, ClientID: "app", ClientAuth: SecretJWT{Secret: secret},
	}); err != nil {
		t.Fatal(err)
	}
	_, form := srv.last()
	if form.Has("client_secret") {
		t.Error("client_secret_jwt sent the secret itself")
	}
	std, _ := verifyJWT(t, form.Get("client_assertion"), jose.HS256, []byte(secret))
	if std.Issuer != "app" {
		t.Errorf("iss = %q", std.Issuer)
	}

	// A secret too short for HS256 fails before anything is sent.
	_, _, err := newTestClient().Fetch(t.Context(), Request{
		TokenURL: tokenURL, ClientID: "app", ClientAuth: SecretJWT{Secret: "short-secret"},
	})
	assertErrorText(t, err, []string{"not sent", "32 bytes"}, "short-secret")
}

func TestFetch_jwtBearerGrant(t *testing.T) {
	srv := &capture{}
	tokenURL := serve(t, srv)
	key, err := ParseSigningKey(pkcs8PEM(t, jwtTestRSAKey()), "PS256", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := newTestClient().Fetch(t.Context(), Request{
		TokenURL: tokenURL, ClientID: "app", ClientAuth: SecretBasic{Secret: hardSecret},
		Grant: JWTBearer{Claims: map[string]any{"sub": "user-1"}, Key: key},
	}); err != nil {
		t.Fatal(err)
	}
	_, form := srv.last()
	if form.Get("grant_type") != GrantJWTBearer {
		t.Errorf("grant_type = %q", form.Get("grant_type"))
	}
	std, _ := verifyJWT(t, form.Get("assertion"), jose.PS256, &jwtTestRSAKey().PublicKey)
	if std.Subject != "user-1" || std.Issuer != "app" || std.Audience[0] != tokenURL {
		t.Errorf("claims %+v", std)
	}

	const ready = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."
	if _, _, err := newTestClient().Fetch(t.Context(), Request{
		TokenURL: tokenURL, ClientID: "app", ClientAuth: SecretBasic{Secret: hardSecret}, Grant: JWTBearer{Assertion: ready},
	}); err != nil {
		t.Fatal(err)
	}
	if _, form := srv.last(); form.Get("assertion") != ready {
		t.Errorf("assertion = %q", form.Get("assertion"))
	}

	_, _, err = newTestClient().Fetch(t.Context(), Request{
		TokenURL: tokenURL, ClientID: "app", ClientAuth: SecretBasic{Secret: hardSecret}, Grant: JWTBearer{Claims: map[string]any{"sub": "x"}},
	})
	assertErrorText(t, err, []string{"not sent", "need a private key"})
}

func TestFetch_tokenExchange(t *testing.T) {
	srv := &capture{response: map[string]any{
		"access_token": "exchanged", "token_type": "N_A",
		"issued_token_type": "urn:ietf:params:oauth:token-type:jwt",
	}}
	tokenURL := serve(t, srv)
	tok, _, err := newTestClient().Fetch(t.Context(), Request{
		TokenURL: tokenURL, ClientID: "app", ClientAuth: SecretBasic{Secret: hardSecret},
		Grant: TokenExchange{
			SubjectToken: "subject-secret-token", SubjectTokenType: "urn:ietf:params:oauth:token-type:access_token",
			ActorToken: "actor-secret-token", ActorTokenType: "urn:ietf:params:oauth:token-type:jwt",
			RequestedTokenType: "urn:ietf:params:oauth:token-type:jwt",
		},
		Audience: "https://api",
	})
	if err != nil {
		t.Fatal(err)
	}
	_, form := srv.last()
	for k, want := range map[string]string{
		"grant_type": GrantTokenExchange, "subject_token": "subject-secret-token", "actor_token": "actor-secret-token",
		"subject_token_type": "urn:ietf:params:oauth:token-type:access_token", "audience": "https://api",
		"requested_token_type": "urn:ietf:params:oauth:token-type:jwt",
	} {
		if form.Get(k) != want {
			t.Errorf("%s = %q, want %q", k, form.Get(k), want)
		}
	}
	if tok.IssuedTokenType == nil || *tok.IssuedTokenType != "urn:ietf:params:oauth:token-type:jwt" {
		t.Errorf("issued_token_type = %v", tok.IssuedTokenType)
	}
	if _, ok := tok.Extra["issued_token_type"]; ok {
		t.Error("issued_token_type must not also be in extra")
	}
}

func TestFetch_tlsClientAuth(t *testing.T) {
	ca := newTLSTestCA(t, "clients")
	certPEM, keyPEM := ca.issueClient(t, "app")
	capt := &capture{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TLS.PeerCertificates) == 0 || r.TLS.PeerCertificates[0].Subject.CommonName != "app" {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		capt.ServeHTTP(w, r)
	}))
	srv.TLS = &tls.Config{ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: ca.pool()}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	serverCA := pemText("CERTIFICATE", srv.Certificate().Raw)

	withCert, err := TLSOptions{ClientCertificatePEM: certPEM, ClientKeyPEM: keyPEM, CACertificatePEM: serverCA}.TLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	req := Request{TokenURL: srv.URL + "/token", ClientID: "app", ClientAuth: TLSClientAuth{}}
	if _, _, err := New(Options{TLS: withCert, sleep: noSleep}).Fetch(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	if _, form := capt.last(); form.Get("client_id") != "app" || form.Has("client_secret") {
		t.Errorf("body %v", form)
	}

	withoutCert, err := TLSOptions{CACertificatePEM: serverCA}.TLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = New(Options{TLS: withoutCert, sleep: noSleep}).Fetch(t.Context(), req)
	assertErrorText(t, err, []string{"401", "invalid_client"})
}

func TestSigningKey_certificateThumbprints(t *testing.T) {
	ca := newTLSTestCA(t, "credential")
	key, err := ParseSigningKey(sec1PEM(t, ca.key), "", "")
	if err != nil {
		t.Fatal(err)
	}
	other := newTLSTestCA(t, "other")
	if err := key.WithCertificate(other.pem); err == nil || strings.Contains(err.Error(), "BEGIN") {
		t.Fatalf("a certificate for another key was accepted, or the error quotes it: %v", err)
	}
	// The matching certificate after an unrelated one, as in a chain file.
	if err := key.WithCertificate(other.pem + ca.pem); err != nil {
		t.Fatal(err)
	}
	assertion, err := key.ClientAssertion("app", "https://login.example/token", fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	h := jwtHeader(t, assertion)
	s1, s256 := sha1.Sum(ca.cert.Raw), sha256.Sum256(ca.cert.Raw)
	if h["x5t"] != base64.RawURLEncoding.EncodeToString(s1[:]) || h["x5t#S256"] != base64.RawURLEncoding.EncodeToString(s256[:]) {
		t.Errorf("header %v lacks the certificate's thumbprints", h)
	}
}
