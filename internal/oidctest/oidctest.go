// Package oidctest runs a real OpenID Provider, panva's oidc-provider (npm,
// OpenID Certified), on loopback for integration tests.
//
// The server is tools/oidc-provider/server.mjs, with the oidc-provider
// version pinned by the checked-in package-lock.json. Start installs its
// node_modules with `npm ci` when needed, starts it on a free port of
// 127.0.0.1 with the clients the test gives, and stops it when the test ends.
//
// The provider has client_credentials, refresh_token, introspection (RFC
// 7662), revocation (RFC 7009), resource indicators (RFC 8707) and OpenID
// CIBA in poll mode enabled. Clients are oidc-provider client metadata
// (snake_case, as in OpenID Connect Dynamic Client Registration); the server
// fills in grant_types [client_credentials, refresh_token,
// urn:openid:params:grant-type:ciba], response_types [] and
// token_endpoint_auth_method client_secret_basic when a client leaves them
// out. token_endpoint_auth_method may be client_secret_basic,
// client_secret_post, client_secret_jwt, private_key_jwt (public keys inline:
// "jwks": {"keys": [...]}, see PublicJWK) or none.
//
// Things oidc-provider does that a test must know:
//
//   - Without a resource parameter, only the scopes the provider knows are
//     kept (openid, offline_access and Config.Scopes); any other requested
//     scope is silently dropped. With resource=<absolute https URI> the
//     resource server takes any scope and the access token's aud is the
//     resource. At most one resource per token request.
//   - Access tokens are opaque by default, because oidc-provider refuses to
//     introspect or revoke JWT access tokens (unsupported_token_type).
//   - client_credentials never issues a refresh token. To get one without a
//     browser, use CIBA (see Server.CIBA and Server.RefreshToken): any
//     login_hint is an end-user with that subject who approves at once
//     (a hint starting with "deny" is refused), and the scope must contain
//     offline_access.
//   - Refresh tokens of confidential clients are not rotated (the same one
//     comes back) until 70% of their lifetime has passed; those of public
//     clients (none) are rotated on every use, and reusing a rotated one
//     revokes the whole grant.
package oidctest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/testproc"
)

// startTimeout bounds the wait for the server's ready line.
const startTimeout = 60 * time.Second

// Config is the server's configuration, written to the JSON file server.mjs
// reads.
type Config struct {
	// Clients are oidc-provider client metadata, each with a client_id.
	Clients []map[string]any `json:"clients"`
	// Scopes are scope names besides openid and offline_access that the
	// provider knows, so that they survive a request without a resource.
	Scopes []string `json:"scopes,omitempty"`
	// AccessTokenFormat is "opaque" (the default) or "jwt". JWT access
	// tokens cannot be introspected or revoked.
	AccessTokenFormat string `json:"accessTokenFormat,omitempty"`
	// AccessTokenTTL and RefreshTokenTTL are lifetimes in seconds (defaults
	// 3600 and 86400).
	AccessTokenTTL  int `json:"accessTokenTTL,omitempty"`
	RefreshTokenTTL int `json:"refreshTokenTTL,omitempty"`
}

// Server is a running oidc-provider.
type Server struct {
	// Issuer is http://127.0.0.1:PORT, without a trailing slash.
	Issuer string
	// Discovery is the provider's /.well-known/openid-configuration.
	Discovery map[string]any
	// Endpoints, from Discovery.
	TokenURL         string
	IntrospectionURL string
	RevocationURL    string
	BackchannelURL   string
	JWKSURL          string

	// HTTPClient talks to the server; it uses no proxy.
	HTTPClient *http.Client

	cmd    *exec.Cmd
	stdin  io.WriteCloser
	logs   *testproc.LogBuffer
	waitCh chan error
}

// Start installs tools/oidc-provider's node_modules with `npm ci` when
// missing or stale (serialised with a lock file so parallel test packages
// don't race), starts server.mjs with the given clients, waits for the ready
// line, and stops it at t.Cleanup. A missing node or npm fails the test with
// what to install (t.Fatal, never skip).
func Start(t testing.TB, clients []map[string]any) *Server {
	t.Helper()
	return StartConfig(t, Config{Clients: clients})
}

// StartConfig is Start with the whole configuration.
func StartConfig(t testing.TB, cfg Config) *Server {
	t.Helper()
	if cfg.Clients == nil {
		cfg.Clients = []map[string]any{}
	}
	dir := filepath.Join(findRepoRoot(t), filepath.FromSlash(toolDir))
	node := findNode(t)
	ensureNodeModules(t, dir)

	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		t.Fatalf("oidctest: encoding the configuration: %v", err)
	}
	cfgPath := filepath.Join(t.TempDir(), "oidc-provider.json")
	if err := os.WriteFile(cfgPath, cfgJSON, 0o600); err != nil {
		t.Fatalf("oidctest: %v", err)
	}

	start := time.Now()
	cmd := exec.Command(node, "server.mjs", "--port", "0", "--exit-on-stdin-close", cfgPath)
	cmd.Dir = dir
	// The environment is inherited: OIDCTEST_VERBOSE=1 makes the server log
	// more to stderr, shown when the test fails. NODE_ENV needs no setting:
	// neither oidc-provider nor koa look at it, and http issuers are allowed.
	logs := &testproc.LogBuffer{}
	cmd.Stderr = logs
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("oidctest: %v", err)
	}
	// server.mjs exits when its stdin closes, so it also goes away when this
	// test binary dies before its cleanups run.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatalf("oidctest: %v", err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("oidctest: starting %s server.mjs: %v", node, err)
	}
	s := &Server{
		cmd:    cmd,
		stdin:  stdin,
		logs:   logs,
		waitCh: make(chan error, 1),
		HTTPClient: &http.Client{
			Timeout:   30 * time.Second,
			Transport: &http.Transport{Proxy: nil, DisableCompression: true},
		},
	}

	type ready struct {
		Issuer string `json:"issuer"`
		Port   int    `json:"port"`
	}
	readyCh := make(chan ready, 1)
	go func() {
		r := bufio.NewReader(stdout)
		line, err := r.ReadString('\n')
		var rd ready
		if err == nil && json.Unmarshal([]byte(line), &rd) == nil && rd.Issuer != "" {
			readyCh <- rd
		} else if line != "" {
			_, _ = fmt.Fprintf(logs, "unexpected stdout: %s\n", line)
		}
		_, _ = io.Copy(logs, r) // nothing else is expected; keep the pipe drained
	}()
	go func() { s.waitCh <- cmd.Wait() }()

	t.Cleanup(func() {
		if err := s.stop(); err != nil {
			t.Logf("oidctest: server.mjs: %v", err)
		}
		if t.Failed() {
			if out := logs.String(); out != "" {
				t.Logf("oidctest: server output:\n%s", out)
			}
		}
	})

	select {
	case rd := <-readyCh:
		s.Issuer = rd.Issuer
	case err := <-s.waitCh:
		s.waitCh <- err
		t.Fatalf("oidctest: server.mjs exited before it was ready (%v):\n%s", err, logs.String())
	case <-time.After(startTimeout):
		t.Fatalf("oidctest: server.mjs not ready after %s:\n%s", startTimeout, logs.String())
	}

	var disco map[string]any
	if status := s.getJSON(t, s.Issuer+"/.well-known/openid-configuration", &disco); status != http.StatusOK {
		t.Fatalf("oidctest: discovery document: HTTP %d", status)
	}
	s.Discovery = disco
	s.TokenURL = discoString(t, disco, "token_endpoint")
	s.IntrospectionURL = discoString(t, disco, "introspection_endpoint")
	s.RevocationURL = discoString(t, disco, "revocation_endpoint")
	s.BackchannelURL = discoString(t, disco, "backchannel_authentication_endpoint")
	s.JWKSURL = discoString(t, disco, "jwks_uri")
	t.Logf("oidctest: oidc-provider at %s ready in %s", s.Issuer, time.Since(start).Round(time.Millisecond))
	return s
}

func discoString(t testing.TB, disco map[string]any, key string) string {
	t.Helper()
	v, ok := disco[key].(string)
	if !ok || v == "" {
		t.Fatalf("oidctest: discovery document has no %s", key)
	}
	return v
}

// stop ends the server: closing its stdin makes it exit; it is killed if it
// has not after a few seconds. It returns how the process ended, nil for a
// clean exit.
func (s *Server) stop() error {
	_ = s.stdin.Close()
	defer s.HTTPClient.CloseIdleConnections()
	select {
	case err := <-s.waitCh:
		return err
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		err := <-s.waitCh
		return fmt.Errorf("did not exit within 5s of its stdin closing, killed: %w", err)
	}
}

// Logs returns what the server wrote to stderr so far (errors only, unless
// OIDCTEST_VERBOSE=1 is set in the environment).
func (s *Server) Logs() string { return s.logs.String() }

// ClientAuth authenticates the client in a request to the token,
// backchannel, introspection or revocation endpoint: it may set headers on
// req and add parameters to form (the request body). It is called once per
// request, so JWT assertions are fresh each time.
type ClientAuth func(t testing.TB, req *http.Request, form url.Values, aud string)

// ClientSecretBasic authenticates with HTTP Basic (RFC 6749 section 2.3.1,
// with the form-urlencoding it requires).
func ClientSecretBasic(clientID, clientSecret string) ClientAuth {
	return func(_ testing.TB, req *http.Request, _ url.Values, _ string) {
		req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(clientSecret))
	}
}

// ClientSecretPost sends client_id and client_secret in the body.
func ClientSecretPost(clientID, clientSecret string) ClientAuth {
	return func(_ testing.TB, _ *http.Request, form url.Values, _ string) {
		form.Set("client_id", clientID)
		form.Set("client_secret", clientSecret)
	}
}

// PublicClient sends only client_id (token_endpoint_auth_method none).
func PublicClient(clientID string) ClientAuth {
	return func(_ testing.TB, _ *http.Request, form url.Values, _ string) {
		form.Set("client_id", clientID)
	}
}

// Post sends form to endpoint with auth (nil: none at all) and returns the
// HTTP status and the JSON body (nil when the body is empty). Requests do
// not use t.Context(), so helpers work inside t.Cleanup too.
func (s *Server) Post(t testing.TB, endpoint string, auth ClientAuth, form url.Values) (int, map[string]any) {
	t.Helper()
	body := url.Values{}
	for k, v := range form {
		body[k] = append([]string(nil), v...)
	}
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, endpoint, nil)
	if err != nil {
		t.Fatalf("oidctest: %v", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if auth != nil {
		auth(t, req, body, s.Issuer)
	}
	encoded := body.Encode()
	req.Body = io.NopCloser(strings.NewReader(encoded))
	req.ContentLength = int64(len(encoded))
	resp, err := s.HTTPClient.Do(req)
	if err != nil {
		t.Fatalf("oidctest: POST %s: %v", endpoint, err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("oidctest: POST %s: reading the response: %v", endpoint, err)
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return resp.StatusCode, nil
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("oidctest: POST %s: HTTP %d, not a JSON object: %v: %s", endpoint, resp.StatusCode, err, raw)
	}
	return resp.StatusCode, out
}

// Token posts form to the token endpoint and returns the JSON response,
// failing the test unless it is HTTP 200.
func (s *Server) Token(t testing.TB, auth ClientAuth, form url.Values) map[string]any {
	t.Helper()
	status, body := s.Post(t, s.TokenURL, auth, form)
	if status != http.StatusOK {
		t.Fatalf("oidctest: token request (grant_type=%s): HTTP %d: %v", form.Get("grant_type"), status, body)
	}
	return body
}

// Introspect calls the introspection endpoint (RFC 7662) with
// client_secret_basic and returns the JSON; "active" is a bool.
func (s *Server) Introspect(t testing.TB, token, clientID, clientSecret string) map[string]any {
	t.Helper()
	status, body := s.Post(t, s.IntrospectionURL, ClientSecretBasic(clientID, clientSecret), url.Values{"token": {token}})
	if status != http.StatusOK {
		t.Fatalf("oidctest: introspection: HTTP %d: %v", status, body)
	}
	return body
}

// Revoke calls the revocation endpoint (RFC 7009) with client_secret_basic,
// failing the test unless it answers HTTP 200.
func (s *Server) Revoke(t testing.TB, token, clientID, clientSecret string) {
	t.Helper()
	status, body := s.Post(t, s.RevocationURL, ClientSecretBasic(clientID, clientSecret), url.Values{"token": {token}})
	if status != http.StatusOK {
		t.Fatalf("oidctest: revocation: HTTP %d: %v", status, body)
	}
}

// CIBA runs the OpenID CIBA poll flow for the end-user loginHint, which the
// server approves at once, and returns the token response. scope must hold
// openid; with offline_access in it (and refresh_token among the client's
// grant_types, as by default) the response has a refresh_token. resource,
// if not empty, is the one resource server the access token is for.
func (s *Server) CIBA(t testing.TB, auth ClientAuth, loginHint, scope, resource string) map[string]any {
	t.Helper()
	form := url.Values{"login_hint": {loginHint}, "scope": {scope}}
	if resource != "" {
		form.Set("resource", resource)
	}
	status, body := s.Post(t, s.BackchannelURL, auth, form)
	if status != http.StatusOK {
		t.Fatalf("oidctest: backchannel authentication request: HTTP %d: %v", status, body)
	}
	id, ok := body["auth_req_id"].(string)
	if !ok || id == "" {
		t.Fatalf("oidctest: backchannel authentication response without auth_req_id: %v", body)
	}
	return s.Token(t, auth, url.Values{
		"grant_type":  {"urn:openid:params:grant-type:ciba"},
		"auth_req_id": {id},
	})
}

// RefreshToken returns a fresh refresh token for a client_secret_basic
// client, for the end-user "user", with scope "openid offline_access" (CIBA,
// see Server.CIBA).
func (s *Server) RefreshToken(t testing.TB, clientID, clientSecret string) string {
	t.Helper()
	body := s.CIBA(t, ClientSecretBasic(clientID, clientSecret), "user", "openid offline_access", "")
	rt, ok := body["refresh_token"].(string)
	if !ok || rt == "" {
		t.Fatalf("oidctest: no refresh_token in the CIBA token response (is refresh_token among the client's grant_types?): %v", body)
	}
	return rt
}

func (s *Server) getJSON(t testing.TB, u string, out any) int {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatalf("oidctest: %v", err)
	}
	resp, err := s.HTTPClient.Do(req)
	if err != nil {
		t.Fatalf("oidctest: GET %s: %v", u, err)
	}
	defer func() { _ = resp.Body.Close() }()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("oidctest: GET %s: HTTP %d, decoding JSON: %v", u, resp.StatusCode, err)
	}
	return resp.StatusCode
}
