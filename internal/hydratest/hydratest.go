// Package hydratest runs Ory Hydra v2.3.0 (bin/hydra, built by
// `make hydra`) on loopback for integration tests, with an in-memory
// database, and drives its admin API: OAuth 2.0 clients, trust relationships
// for the JWT bearer grant (RFC 7523 section 2.1) and token introspection
// (RFC 7662).
//
// What Hydra demands of a jwt-bearer assertion, so that a test can mint one
// (see ciissuer.Issuer.Mint):
//
//   - a trust relationship (Server.Trust) whose issuer is the assertion's
//     iss, whose subject is its sub (or that allows any subject), and whose
//     JWK has the kid of the assertion's header;
//   - aud containing Server.TokenURL exactly;
//   - exp in the future, iat present, and exp - iat at most
//     Options.AssertionMaxTTL; nbf, if present, not in the future;
//   - a jti Hydra has not seen: a replay is refused;
//   - requested scopes within both the trust relationship's and the
//     client's.
//
// The client itself must authenticate (Hydra has no anonymous jwt-bearer)
// and have urn:ietf:params:oauth:grant-type:jwt-bearer among its
// grant_types. The access token's sub is the assertion's sub.
package hydratest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/testproc"
)

// Version is the Hydra release tools/hydra/go.mod pins.
const Version = "v2.3.0"

// JWTBearerGrant is the grant_type of RFC 7523 section 2.1.
const JWTBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// Binary is where the harness finds Hydra: $OAUTH2_HYDRA, else bin/hydra.
var Binary = testproc.Binary{
	Name:    "hydra",
	Product: "Ory Hydra " + Version,
	EnvVar:  "OAUTH2_HYDRA",
	Build:   "`make hydra` (tools/servers.sh hydra)",
}

// Options adjust the server's configuration.
type Options struct {
	// AssertionMaxTTL is oauth2.grant.jwt.max_ttl, the longest exp - iat
	// Hydra accepts in an assertion. Hydra's default, 720h, if zero.
	AssertionMaxTTL time.Duration
}

// Server is a running Hydra.
type Server struct {
	// PublicURL is the public listener, http://127.0.0.1:PORT, and also
	// the issuer of Hydra's tokens.
	PublicURL string
	// TokenURL is the token endpoint, PublicURL + /oauth2/token: the aud
	// a jwt-bearer assertion must contain.
	TokenURL string
	// AdminURL is the admin listener, http://127.0.0.1:PORT.
	AdminURL string
	// HTTPClient talks to the server; it uses no proxy.
	HTTPClient *http.Client

	proc *testproc.Process
}

// Start runs Hydra with the default Options.
func Start(t testing.TB) *Server {
	t.Helper()
	return StartWith(t, Options{})
}

// StartWith runs `hydra serve all --dev --sqa-opt-out` with both listeners
// on free ports of 127.0.0.1 and an in-memory database, waits until both
// answer /health/ready, and stops it when t ends. Without a Hydra binary the
// test is skipped (failed under OAUTH2_TEST_NO_SKIP) with how to build one.
func StartWith(t testing.TB, opts Options) *Server {
	t.Helper()
	bin := testproc.Need(t, Binary)

	public, admin := testproc.FreePort(t), testproc.FreePort(t)
	s := &Server{
		PublicURL:  "http://127.0.0.1:" + strconv.Itoa(public),
		AdminURL:   "http://127.0.0.1:" + strconv.Itoa(admin),
		HTTPClient: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{Proxy: nil}},
	}
	s.TokenURL = s.PublicURL + "/oauth2/token"
	t.Cleanup(s.HTTPClient.CloseIdleConnections)

	grantJWT := map[string]any{}
	if opts.AssertionMaxTTL > 0 {
		grantJWT["max_ttl"] = opts.AssertionMaxTTL.String()
	}
	cfg := map[string]any{
		"dsn": "memory",
		"serve": map[string]any{
			"public": map[string]any{"host": "127.0.0.1", "port": public},
			"admin":  map[string]any{"host": "127.0.0.1", "port": admin},
		},
		"urls": map[string]any{
			"self": map[string]any{"issuer": s.PublicURL, "public": s.PublicURL, "admin": s.AdminURL},
		},
		"secrets": map[string]any{"system": []string{testproc.RandomHex(t, 32)}},
		"oauth2":  map[string]any{"grant": map[string]any{"jwt": grantJWT}},
		"sqa":     map[string]any{"opt_out": true},
		"log":     map[string]any{"level": "info", "leak_sensitive_values": false},
	}
	dir := t.TempDir()
	// JSON is YAML, which Hydra reads by the file name's extension.
	cfgPath := filepath.Join(dir, "hydra.yaml")
	data, err := json.Marshal(cfg)
	if err != nil {
		t.Fatalf("hydratest: %v", err)
	}
	if err := os.WriteFile(cfgPath, data, 0o600); err != nil {
		t.Fatalf("hydratest: %v", err)
	}

	// Even opted out, Hydra's telemetry library queues an event at start;
	// a proxy on a closed port makes it fail at once, offline or not.
	deadProxy := "http://127.0.0.1:" + strconv.Itoa(testproc.FreePort(t))
	s.proc = testproc.Start(t, testproc.Spec{
		Path: bin,
		Args: []string{"serve", "all", "--dev", "--sqa-opt-out", "--config", cfgPath},
		Env: []string{
			"DSN=memory",
			"HTTP_PROXY=" + deadProxy, "HTTPS_PROXY=" + deadProxy,
			"http_proxy=" + deadProxy, "https_proxy=" + deadProxy,
			"NO_PROXY=127.0.0.1,localhost", "no_proxy=127.0.0.1,localhost",
		},
		Dir:       dir,
		ReadyURLs: []string{s.AdminURL + "/health/ready", s.PublicURL + "/health/ready"},
	})
	return s
}

// Logs returns Hydra's output so far. The harness shows it when a test fails.
func (s *Server) Logs() string { return s.proc.Logs() }

// Client is an OAuth 2.0 client to register.
type Client struct {
	// ID and Secret; random when empty.
	ID     string
	Secret string
	// TokenEndpointAuthMethod is client_secret_basic when empty. Hydra
	// accepts only the registered method.
	TokenEndpointAuthMethod string
	// GrantTypes is [JWTBearerGrant] when nil.
	GrantTypes []string
	// Scopes the client may be granted.
	Scopes []string
	// Audience values the client may request.
	Audience []string
}

// CreateClient registers c through the admin API and returns it with the
// defaults filled in.
func (s *Server) CreateClient(t testing.TB, c Client) Client {
	t.Helper()
	if c.ID == "" {
		c.ID = "client-" + testproc.RandomHex(t, 6)
	}
	if c.Secret == "" {
		c.Secret = testproc.RandomHex(t, 24)
	}
	if c.TokenEndpointAuthMethod == "" {
		c.TokenEndpointAuthMethod = "client_secret_basic"
	}
	if c.GrantTypes == nil {
		c.GrantTypes = []string{JWTBearerGrant}
	}
	body := map[string]any{
		"client_id":                  c.ID,
		"client_secret":              c.Secret,
		"token_endpoint_auth_method": c.TokenEndpointAuthMethod,
		"grant_types":                c.GrantTypes,
		"scope":                      strings.Join(c.Scopes, " "),
		"audience":                   nonNil(c.Audience),
	}
	var out struct {
		ClientID string `json:"client_id"`
	}
	s.admin(t, http.MethodPost, "/admin/clients", body, http.StatusCreated, &out)
	if out.ClientID != c.ID {
		t.Fatalf("hydratest: created client has client_id %q, want %q", out.ClientID, c.ID)
	}
	return c
}

// Trust is a trust relationship for the JWT bearer grant: Hydra accepts
// assertions from Issuer, about Subject, signed with JWK, for Scopes.
type Trust struct {
	Issuer string
	// Subject is the one sub allowed; leave it empty and set
	// AllowAnySubject to allow every subject of the issuer.
	Subject         string
	AllowAnySubject bool
	// JWK is the issuer's public key, with its kid (ciissuer.PublicJWK).
	JWK jose.JSONWebKey
	// Scopes an access token may be granted through this relationship.
	Scopes []string
	// ExpiresAt ends the relationship; an hour from now when zero.
	ExpiresAt time.Time
}

// Trust adds tr through the admin API (POST
// /admin/trust/grants/jwt-bearer/issuers) and returns its id.
func (s *Server) Trust(t testing.TB, tr Trust) string {
	t.Helper()
	if tr.ExpiresAt.IsZero() {
		tr.ExpiresAt = time.Now().Add(time.Hour)
	}
	body := map[string]any{
		"issuer":            tr.Issuer,
		"allow_any_subject": tr.AllowAnySubject,
		"jwk":               tr.JWK,
		"scope":             nonNil(tr.Scopes),
		"expires_at":        tr.ExpiresAt.UTC().Format(time.RFC3339),
	}
	if tr.Subject != "" {
		body["subject"] = tr.Subject
	}
	var out struct {
		ID string `json:"id"`
	}
	s.admin(t, http.MethodPost, "/admin/trust/grants/jwt-bearer/issuers", body, http.StatusCreated, &out)
	if out.ID == "" {
		t.Fatal("hydratest: trust relationship created without an id")
	}
	return out.ID
}

// Introspection is the part of an RFC 7662 response the tests look at.
type Introspection struct {
	Active    bool   `json:"active"`
	Subject   string `json:"sub"`
	ClientID  string `json:"client_id"`
	Scope     string `json:"scope"`
	TokenType string `json:"token_type"`
	TokenUse  string `json:"token_use"`
	Issuer    string `json:"iss"`
	ExpiresAt int64  `json:"exp"`
	// Raw is the whole response.
	Raw map[string]any `json:"-"`
}

// Introspect asks the admin API (POST /admin/oauth2/introspect, which needs
// no credentials) about token.
func (s *Server) Introspect(t testing.TB, token string) Introspection {
	t.Helper()
	status, raw := s.do(t, http.MethodPost, s.AdminURL+"/admin/oauth2/introspect",
		"application/x-www-form-urlencoded", []byte(url.Values{"token": {token}}.Encode()))
	if status != http.StatusOK {
		t.Fatalf("hydratest: introspection: HTTP %d: %s", status, raw)
	}
	var in Introspection
	if err := json.Unmarshal(raw, &in); err != nil {
		t.Fatalf("hydratest: introspection response: %v", err)
	}
	if err := json.Unmarshal(raw, &in.Raw); err != nil {
		t.Fatalf("hydratest: introspection response: %v", err)
	}
	return in
}

// admin sends a JSON request to the admin API and decodes the answer into
// out, failing t unless the status is want.
func (s *Server) admin(t testing.TB, method, path string, body any, want int, out any) {
	t.Helper()
	data, err := json.Marshal(body)
	if err != nil {
		t.Fatalf("hydratest: %v", err)
	}
	status, raw := s.do(t, method, s.AdminURL+path, "application/json", data)
	if status != want {
		// Hydra's error bodies say what was wrong and echo no secret.
		t.Fatalf("hydratest: %s %s: HTTP %d, want %d: %s", method, path, status, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("hydratest: %s %s: decoding the response: %v", method, path, err)
		}
	}
}

// do sends one request and returns the status and body. It does not use
// t.Context(), so it works inside t.Cleanup too.
func (s *Server) do(t testing.TB, method, u, contentType string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("hydratest: %v", err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept", "application/json")
	resp, err := s.HTTPClient.Do(req)
	if err != nil {
		t.Fatalf("hydratest: %s %s: %v", method, u, err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("hydratest: %s %s: reading the response: %v", method, u, err)
	}
	return resp.StatusCode, raw
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// String describes the server without secrets, for test logs.
func (s *Server) String() string {
	return fmt.Sprintf("Hydra %s (public %s, admin %s)", Version, s.PublicURL, s.AdminURL)
}
