// Package dextest runs Dex v2.45.1 (bin/dex, built by `make dex`) on
// loopback for integration tests of OAuth 2.0 token exchange (RFC 8693):
// a static client trades an ID token of an upstream OpenID Provider, such
// as a stand-in CI issuer (internal/ciissuer), for a token Dex signs.
//
// The configuration is the one token exchange needs in this release:
// storage in memory, the token-exchange grant in oauth2.grantTypes, and an
// OIDC connector whose issuer is the upstream one, with userNameKey sub,
// scopes [profile] and insecureSkipEmailVerified, since CI tokens have no
// name and no verified email. Dex fetches the upstream discovery document
// when it starts, so the upstream must be running first.
//
// Things Dex does that a test must know:
//
//   - The exchange needs connector_id (a Dex parameter, not RFC 8693) and
//     subject_token_type urn:ietf:params:oauth:token-type:id_token; the
//     client must authenticate.
//   - The subject token's signature, iss and exp are checked against the
//     upstream; its aud is not (the connector's clientID plays no part).
//   - The issued token's sub is not the upstream sub: it is Dex's encoding
//     of (upstream sub, connector id), see DecodeSubject and
//     Server.BelongsTo. With scope federated:id the token also carries
//     federated_claims {connector_id, user_id} in clear.
//   - Access tokens are JWTs signed with Dex's keys (Server.Verify), and
//     the introspection endpoint answers anyone, without client
//     authentication (Server.Introspect).
//   - Errors: a subject token that does not verify is 401 access_denied
//     with no description; an unknown connector is 400 invalid_request.
package dextest

import (
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
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/testproc"
)

// Version is the Dex release tools/dex/go.mod pins.
const Version = "v2.45.1"

// Token exchange names (RFC 8693).
const (
	TokenExchangeGrant = "urn:ietf:params:oauth:grant-type:token-exchange"
	IDTokenType        = "urn:ietf:params:oauth:token-type:id_token"
	AccessTokenType    = "urn:ietf:params:oauth:token-type:access_token"
)

// DefaultConnectorID is the id of the OIDC connector unless Config says.
const DefaultConnectorID = "ci"

// Binary is where the harness finds Dex: $OAUTH2_DEX, else bin/dex.
var Binary = testproc.Binary{
	Name:    "dex",
	Product: "Dex " + Version,
	EnvVar:  "OAUTH2_DEX",
	Build:   "`make dex` (tools/servers.sh dex)",
}

// Config is what a test chooses about the server.
type Config struct {
	// UpstreamIssuer is the issuer URL of the OIDC connector: the party
	// whose ID tokens Dex accepts as subject tokens. Required.
	UpstreamIssuer string
	// ConnectorID is DefaultConnectorID when empty.
	ConnectorID string
	// Clients are the static clients; one with a random id and secret
	// when nil.
	Clients []Client
	// ConnectorConfig is merged over the connector's config (for
	// instance userIDKey, claimMapping, insecureSkipVerify).
	ConnectorConfig map[string]any
}

// Client is a static client, authenticated with its secret (Basic or
// body, Dex takes both).
type Client struct {
	ID     string
	Secret string
}

// Server is a running Dex.
type Server struct {
	// Issuer is http://127.0.0.1:PORT/dex, the iss of Dex's tokens.
	Issuer string
	// Endpoints, from Dex's discovery document.
	TokenURL         string
	IntrospectionURL string
	JWKSURL          string
	// ConnectorID is the connector_id a token exchange names.
	ConnectorID string
	// Clients are the static clients, with ids and secrets filled in.
	Clients []Client
	// HTTPClient talks to the server; it uses no proxy.
	HTTPClient *http.Client

	proc *testproc.Process
}

// Start runs `dex serve` on a free port of 127.0.0.1 with cfg, waits until
// it serves its discovery document and health check, and stops it when t
// ends. Without a Dex binary the test is skipped (failed under
// OAUTH2_TEST_NO_SKIP) with how to build one.
func Start(t testing.TB, cfg Config) *Server {
	t.Helper()
	if cfg.UpstreamIssuer == "" {
		t.Fatal("dextest: Config.UpstreamIssuer is required")
	}
	bin := testproc.Need(t, Binary)

	port, telemetry := testproc.FreePort(t), testproc.FreePort(t)
	web := "127.0.0.1:" + strconv.Itoa(port)
	s := &Server{
		Issuer:      "http://" + web + "/dex",
		ConnectorID: cfg.ConnectorID,
		HTTPClient:  &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{Proxy: nil}},
	}
	t.Cleanup(s.HTTPClient.CloseIdleConnections)
	if s.ConnectorID == "" {
		s.ConnectorID = DefaultConnectorID
	}
	s.Clients = append([]Client(nil), cfg.Clients...)
	if s.Clients == nil {
		s.Clients = []Client{{}}
	}
	static := make([]map[string]any, 0, len(s.Clients))
	for i := range s.Clients {
		c := &s.Clients[i]
		if c.ID == "" {
			c.ID = "client-" + testproc.RandomHex(t, 6)
		}
		if c.Secret == "" {
			c.Secret = testproc.RandomHex(t, 24)
		}
		static = append(static, map[string]any{
			"id":           c.ID,
			"secret":       c.Secret,
			"name":         c.ID,
			"redirectURIs": []string{"http://127.0.0.1/callback"},
		})
	}

	connector := map[string]any{
		"issuer": cfg.UpstreamIssuer,
		// Only the authorization code flow would use these; token
		// exchange ignores them, but Dex requires them.
		"clientID":                  "dex",
		"clientSecret":              "unused-" + testproc.RandomHex(t, 8),
		"redirectURI":               s.Issuer + "/callback",
		"userNameKey":               "sub",
		"scopes":                    []string{"profile"},
		"insecureSkipEmailVerified": true,
	}
	for k, v := range cfg.ConnectorConfig {
		connector[k] = v
	}
	conf := map[string]any{
		"issuer":    s.Issuer,
		"storage":   map[string]any{"type": "memory"},
		"web":       map[string]any{"http": web},
		"telemetry": map[string]any{"http": "127.0.0.1:" + strconv.Itoa(telemetry)},
		"logger":    map[string]any{"level": "info", "format": "text"},
		"oauth2": map[string]any{
			"grantTypes":         []string{"authorization_code", "refresh_token", TokenExchangeGrant},
			"skipApprovalScreen": true,
		},
		"staticClients": static,
		"connectors": []map[string]any{{
			"type":   "oidc",
			"id":     s.ConnectorID,
			"name":   "CI",
			"config": connector,
		}},
	}
	dir := t.TempDir()
	data, err := json.Marshal(conf)
	if err != nil {
		t.Fatalf("dextest: %v", err)
	}
	// JSON is YAML, which is what Dex reads.
	cfgPath := filepath.Join(dir, "dex.yaml")
	if err := os.WriteFile(cfgPath, data, 0o600); err != nil {
		t.Fatalf("dextest: %v", err)
	}

	s.proc = testproc.Start(t, testproc.Spec{
		Path: bin,
		Args: []string{"serve", cfgPath},
		// Dex expands $VARS in its config by default, which would
		// mangle a secret with a '$' in it.
		Env:       []string{"DEX_EXPAND_ENV=false"},
		Dir:       dir,
		ReadyURLs: []string{s.Issuer + "/.well-known/openid-configuration", s.Issuer + "/healthz"},
	})

	var disco struct {
		TokenURL         string   `json:"token_endpoint"`
		IntrospectionURL string   `json:"introspection_endpoint"`
		JWKSURL          string   `json:"jwks_uri"`
		GrantTypes       []string `json:"grant_types_supported"`
	}
	s.getJSON(t, s.Issuer+"/.well-known/openid-configuration", &disco)
	s.TokenURL, s.IntrospectionURL, s.JWKSURL = disco.TokenURL, disco.IntrospectionURL, disco.JWKSURL
	if s.TokenURL == "" || s.IntrospectionURL == "" || s.JWKSURL == "" {
		t.Fatalf("dextest: discovery lacks an endpoint: token %q, introspection %q, jwks %q", s.TokenURL, s.IntrospectionURL, s.JWKSURL)
	}
	if !contains(disco.GrantTypes, TokenExchangeGrant) {
		t.Fatalf("dextest: Dex does not list %s in grant_types_supported: %v", TokenExchangeGrant, disco.GrantTypes)
	}
	return s
}

// Client returns the first static client.
func (s *Server) Client() Client { return s.Clients[0] }

// Logs returns Dex's output so far. The harness shows it when a test fails.
func (s *Server) Logs() string { return s.proc.Logs() }

// Introspection is the part of Dex's RFC 7662 response the tests look at.
type Introspection struct {
	Active   bool   `json:"active"`
	Subject  string `json:"sub"`
	ClientID string `json:"client_id"`
	Issuer   string `json:"iss"`
	TokenUse string `json:"token_use"`
	Expiry   int64  `json:"exp"`
	Extra    struct {
		FederatedClaims *FederatedClaims `json:"federated_claims"`
	} `json:"ext"`
	// Raw is the whole response.
	Raw map[string]any `json:"-"`
}

// FederatedClaims are what Dex tells of the upstream identity, with scope
// federated:id.
type FederatedClaims struct {
	ConnectorID string `json:"connector_id"`
	UserID      string `json:"user_id"`
}

// Introspect posts token to Dex's introspection endpoint, which takes no
// client authentication.
func (s *Server) Introspect(t testing.TB, token string) Introspection {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, s.IntrospectionURL,
		strings.NewReader(url.Values{"token": {token}}.Encode()))
	if err != nil {
		t.Fatalf("dextest: %v", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	status, raw := s.do(t, req)
	if status != http.StatusOK {
		t.Fatalf("dextest: introspection: HTTP %d: %s", status, raw)
	}
	var in Introspection
	if err := json.Unmarshal(raw, &in); err != nil {
		t.Fatalf("dextest: introspection response: %v", err)
	}
	if err := json.Unmarshal(raw, &in.Raw); err != nil {
		t.Fatalf("dextest: introspection response: %v", err)
	}
	return in
}

// Claims are the claims of a token Dex issued.
type Claims struct {
	jwt.Claims
	AuthorizedParty   string           `json:"azp"`
	Name              string           `json:"name"`
	PreferredUsername string           `json:"preferred_username"`
	FederatedClaims   *FederatedClaims `json:"federated_claims"`
}

// Verify checks token as a relying party would, without Dex's help: its
// signature against Dex's JWKS, iss, and exp. It returns the claims, or an
// error saying what failed.
func (s *Server) Verify(t testing.TB, token string) (Claims, error) {
	t.Helper()
	var c Claims
	parsed, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA})
	if err != nil {
		return c, fmt.Errorf("not a signed JWT: %w", err)
	}
	var jwks jose.JSONWebKeySet
	s.getJSON(t, s.JWKSURL, &jwks)
	keys := jwks.Key(parsed.Headers[0].KeyID)
	if len(keys) == 0 {
		return c, fmt.Errorf("no key %q in Dex's JWKS", parsed.Headers[0].KeyID)
	}
	if err := parsed.Claims(keys[0].Key, &c); err != nil {
		return c, fmt.Errorf("signature: %w", err)
	}
	if err := c.ValidateWithLeeway(jwt.Expected{Issuer: s.Issuer, Time: time.Now()}, 0); err != nil {
		return c, err
	}
	return c, nil
}

// BelongsTo reports whether sub, the subject of a token Dex issued, is the
// upstream subject upstreamSub through this server's connector.
func (s *Server) BelongsTo(sub, upstreamSub string) bool {
	user, conn, err := DecodeSubject(sub)
	return err == nil && user == upstreamSub && conn == s.ConnectorID
}

func (s *Server) getJSON(t testing.TB, u string, out any) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatalf("dextest: %v", err)
	}
	status, raw := s.do(t, req)
	if status != http.StatusOK {
		t.Fatalf("dextest: GET %s: HTTP %d", u, status)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("dextest: GET %s: %v", u, err)
	}
}

// do sends req and returns the status and body. Requests do not use
// t.Context(), so helpers work inside t.Cleanup too.
func (s *Server) do(t testing.TB, req *http.Request) (int, []byte) {
	t.Helper()
	req.Header.Set("Accept", "application/json")
	resp, err := s.HTTPClient.Do(req)
	if err != nil {
		t.Fatalf("dextest: %s %s: %v", req.Method, req.URL, err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("dextest: %s %s: reading the response: %v", req.Method, req.URL, err)
	}
	return resp.StatusCode, raw
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
