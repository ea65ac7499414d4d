package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/tokenserver"
)

// TestMain lets TestSignals run this package's test binary as the program
// itself: with SERVER_TEST_MAIN=1 it is main() on a free port.
func TestMain(m *testing.M) {
	if os.Getenv("SERVER_TEST_MAIN") == "1" {
		os.Args = []string{"server", "-addr", "127.0.0.1:0"}
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// deadline bounds every wait for the server, so that a hang fails the
// test instead of blocking it; nothing waits for time to pass.
const deadline = 30 * time.Second

// banner is what the program printed before it was ready.
type banner struct {
	text    string
	base    string            // the URL it listens on
	exports map[string]string // the default client's export lines
	env     map[string]map[string]string
}

// readBanner reads the program's standard output up to bannerEnd and keeps
// draining it afterwards, so that the program never blocks on a write.
func readBanner(t *testing.T, r io.Reader) banner {
	t.Helper()
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var text strings.Builder
	timeout := time.After(deadline)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("output ended before the banner did:\n%s", text.String())
			}
			text.WriteString(line + "\n")
			if line == bannerEnd {
				go func() {
					for range lines {
					}
				}()
				return parseBanner(t, text.String())
			}
		case <-timeout:
			t.Fatalf("no complete banner after %s:\n%s", deadline, text.String())
		}
	}
}

func parseBanner(t *testing.T, text string) banner {
	t.Helper()
	b := banner{text: text, exports: map[string]string{}, env: map[string]map[string]string{}}
	for _, line := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(line, "Token server (internal/tokenserver) listening on "); ok {
			b.base = rest
		}
		if rest, ok := strings.CutPrefix(line, "  export "); ok {
			k, v, _ := strings.Cut(rest, "=")
			b.exports[k] = v
		}
		if rest, ok := strings.CutPrefix(line, "    env          "); ok {
			rest = strings.TrimPrefix(rest, "unset OAUTH2_CLIENT_SECRET; ")
			vars := map[string]string{}
			for _, kv := range strings.Fields(strings.TrimPrefix(rest, "export ")) {
				k, v, _ := strings.Cut(kv, "=")
				vars[k] = v
			}
			b.env[vars["OAUTH2_CLIENT_ID"]] = vars
		}
	}
	if !strings.HasPrefix(b.base, "http://127.0.0.1:") {
		t.Fatalf("no loopback URL in the banner:\n%s", text)
	}
	return b
}

// syncBuffer is the program's standard error: written by its handlers,
// read by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs the program in this process on a free port until ctx is done;
// run's result arrives on the channel.
func start(t *testing.T, ctx context.Context) (banner, *syncBuffer, <-chan error) {
	t.Helper()
	pr, pw := io.Pipe()
	stderr := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		err := run(ctx, []string{"-addr", "127.0.0.1:0"}, pw, stderr)
		pw.Close()
		done <- err
	}()
	return readBanner(t, pr), stderr, done
}

func wait(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(deadline):
		t.Fatalf("the server did not stop within %s", deadline)
		return nil
	}
}

// tokenRequest is a request for a token, built with plain net/http the way
// the printed settings say: the token URL, where the client credentials go
// (OAUTH2_CLIENT_AUTH) and the endpoint's dialect.
func tokenRequest(t *testing.T, env map[string]string, ep endpoint) *http.Request {
	t.Helper()
	grant := url.Values{}
	c := clientOf(t, ep, env["OAUTH2_CLIENT_ID"])
	if g := grants(ep.opts, c); g[0] == "client_credentials" {
		grant.Set("grant_type", "client_credentials")
	} else {
		u := ep.opts.Users[0]
		grant.Set("grant_type", "password")
		grant.Set("username", u.Username)
		grant.Set("password", u.Password)
	}
	if len(ep.opts.RequiredParamsFor) == 0 || slices.Contains(ep.opts.RequiredParamsFor, grant.Get("grant_type")) {
		for k, v := range ep.opts.RequiredParams {
			grant.Set(k, v)
		}
	}
	body := url.Values{}
	switch env["OAUTH2_CLIENT_AUTH"] {
	case tokenserver.AuthPost:
		body.Set("client_id", env["OAUTH2_CLIENT_ID"])
		body.Set("client_secret", env["OAUTH2_CLIENT_SECRET"])
	case tokenserver.AuthNone:
		grant.Set("client_id", env["OAUTH2_CLIENT_ID"])
	}
	tokenURL := env["OAUTH2_TOKEN_URL"]
	if ep.opts.ParamsIn == tokenserver.ParamsInQuery {
		tokenURL += "?" + grant.Encode()
	} else {
		for k, v := range grant {
			body[k] = v
		}
	}
	r, err := http.NewRequest(http.MethodPost, tokenURL, strings.NewReader(body.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if env["OAUTH2_CLIENT_AUTH"] == tokenserver.AuthBasic || env["OAUTH2_CLIENT_AUTH"] == "" {
		// RFC 6749 section 2.3.1: each part form-urlencoded first.
		r.SetBasicAuth(url.QueryEscape(env["OAUTH2_CLIENT_ID"]), url.QueryEscape(env["OAUTH2_CLIENT_SECRET"]))
	}
	return r
}

func clientOf(t *testing.T, ep endpoint, id string) tokenserver.Client {
	t.Helper()
	for _, c := range ep.opts.Clients {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no client %q at %s", id, ep.opts.Path)
	return tokenserver.Client{}
}

// getJSON does r and decodes its JSON answer, which must be 200.
func getJSON(t *testing.T, r *http.Request, into any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %d %s", r.Method, r.URL, resp.StatusCode, raw)
	}
	if err := json.Unmarshal(raw, into); err != nil {
		t.Fatalf("%s %s: %v in %s", r.Method, r.URL, err, raw)
	}
}

func get(t *testing.T, u string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestServer(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	b, stderr, done := start(t, ctx)
	eps := endpoints()

	// The exports for the default client, and a token with them.
	def := eps[0].opts.Clients[0]
	want := map[string]string{
		"OAUTH2_TOKEN_URL":     b.base + "/token",
		"OAUTH2_CLIENT_ID":     def.ID,
		"OAUTH2_CLIENT_SECRET": def.Secret,
	}
	for k, v := range want {
		if b.exports[k] != v {
			t.Errorf("export %s=%q, want %q", k, b.exports[k], v)
		}
	}
	var tok map[string]any
	getJSON(t, tokenRequest(t, b.exports, eps[0]), &tok)
	if tok["access_token"] == "" || tok["token_type"] != "Bearer" {
		t.Errorf("default client's token response %v", tok)
	}

	// Every client is listed, with settings that get it a token.
	for _, ep := range eps {
		for _, c := range ep.opts.Clients {
			env, ok := b.env[c.ID]
			if !ok {
				t.Errorf("client %s of %s not in the banner", c.ID, ep.opts.Path)
				continue
			}
			if env["OAUTH2_CLIENT_SECRET"] != c.Secret || env["OAUTH2_CLIENT_AUTH"] != c.Auth {
				t.Errorf("client %s: printed %v, want secret %q and auth %s", c.ID, env, c.Secret, c.Auth)
			}
			var tok map[string]any
			getJSON(t, tokenRequest(t, env, ep), &tok)
			if s, _ := tok["access_token"].(string); s == "" {
				t.Errorf("client %s: no access_token in %v", c.ID, tok)
			}
		}
		for _, u := range ep.opts.Users {
			if !strings.Contains(b.text, "username "+u.Username+", password "+u.Password) {
				t.Errorf("user %s of %s not in the banner", u.Username, ep.opts.Path)
			}
		}
	}

	// jwt-client's tokens are JWTs that verify against the published JWK
	// Set, with the audience examples/functions/jwt_claims checks for.
	var jwtTok map[string]any
	getJSON(t, tokenRequest(t, b.env["jwt-client"], eps[0]), &jwtTok)
	access, _ := jwtTok["access_token"].(string)
	parsed, err := jwt.ParseSigned(access, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatalf("jwt-client's access token is not a JWT: %v", err)
	}
	var jwks jose.JSONWebKeySet
	getJSON(t, get(t, b.base+"/jwks"), &jwks)
	keys := jwks.Key(parsed.Headers[0].KeyID)
	if len(keys) != 1 {
		t.Fatalf("the token's kid is not in /jwks: %+v", jwks)
	}
	var claims jwt.Claims
	if err := parsed.Claims(keys[0].Key, &claims); err != nil {
		t.Fatalf("the token does not verify against /jwks: %v", err)
	}
	if claims.Issuer != b.base || claims.Subject != "jwt-client" || !claims.Audience.Contains(audience) {
		t.Errorf("claims iss %q sub %q aud %q", claims.Issuer, claims.Subject, claims.Audience)
	}

	// The metadata points at the default endpoint, for issuer_url.
	var md map[string]any
	getJSON(t, get(t, b.base+metadataPath), &md)
	if md["issuer"] != b.base || md["token_endpoint"] != b.base+"/token" || md["jwks_uri"] != b.base+"/jwks" {
		t.Errorf("metadata %v", md)
	}

	// A refused request is answered, and logged with the server's reason.
	bad := tokenRequest(t, map[string]string{"OAUTH2_TOKEN_URL": b.base + "/token", "OAUTH2_CLIENT_ID": "post-client",
		"OAUTH2_CLIENT_SECRET": "post-secret", "OAUTH2_CLIENT_AUTH": tokenserver.AuthBasic}, eps[0])
	resp, err := http.DefaultClient.Do(bad)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("post-client with a Basic header: %d, want 401", resp.StatusCode)
	}

	cancel()
	if err := wait(t, done); err != nil {
		t.Fatalf("run after cancel: %v", err)
	}
	if _, err := net.Dial("tcp", strings.TrimPrefix(b.base, "http://")); err == nil {
		t.Error("the server still accepts connections after it stopped")
	}

	// Shutdown waits for the handlers, so the log is complete now.
	log := stderr.String()
	for _, line := range []string{
		"==> POST /token client_credentials client=basic-client -> 200",
		"==> POST /query/token client_credentials client=query-client -> 200",
		"==> POST /token password client=public-client -> 200",
		"==> GET /jwks -> 200",
		"==> POST /token client_credentials client=post-client -> 401 invalid_client: client is not allowed to authenticate with client_secret_basic",
		"==> token server stopped",
	} {
		if !strings.Contains(log, line) {
			t.Errorf("log lacks %q:\n%s", line, log)
		}
	}
	for _, secret := range []string{"basic-secret", "post-secret", "alice-password", access} {
		if strings.Contains(log, secret) {
			t.Errorf("log shows a secret or token %q", secret)
		}
	}
}

// TestSignals runs the program as a process and stops it as a terminal or
// a service manager would.
func TestSignals(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "SERVER_TEST_MAIN=1")
			stderr := &syncBuffer{}
			cmd.Stderr = stderr
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			b := readBanner(t, stdout)

			var tok map[string]any
			getJSON(t, tokenRequest(t, b.exports, endpoints()[0]), &tok)

			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			waited := make(chan error, 1)
			go func() { waited <- cmd.Wait() }()
			if err := wait(t, waited); err != nil {
				t.Fatalf("after %s the program exited with %v; stderr:\n%s", sig, err, stderr)
			}
			if !strings.Contains(stderr.String(), "==> token server stopped") {
				t.Errorf("no clean shutdown after %s; stderr:\n%s", sig, stderr)
			}
		})
	}
}

func TestAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var stdout bytes.Buffer
	err = run(t.Context(), []string{"-addr", ln.Addr().String()}, &stdout, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "cannot listen on "+ln.Addr().String()) {
		t.Errorf("run on a taken address: %v", err)
	}
	if stdout.Len() != 0 {
		t.Errorf("printed a banner for a server that did not start:\n%s", stdout.String())
	}
}

func TestArguments(t *testing.T) {
	for _, args := range [][]string{{"-addr"}, {"-port", "1"}, {"extra"}} {
		if err := run(t.Context(), args, io.Discard, io.Discard); err == nil {
			t.Errorf("run(%q) succeeded", args)
		}
	}
}

func TestClientURL(t *testing.T) {
	for _, tc := range []struct {
		addr, url string
		note      bool
	}{
		{"127.0.0.1:8080", "http://127.0.0.1:8080", false},
		{"[::1]:8080", "http://[::1]:8080", false},
		{"0.0.0.0:8080", "http://127.0.0.1:8080", true},
		{"[::]:8080", "http://127.0.0.1:8080", true},
		{"192.0.2.1:8080", "http://192.0.2.1:8080", true},
	} {
		addr, err := net.ResolveTCPAddr("tcp", tc.addr)
		if err != nil {
			t.Fatal(err)
		}
		u, note := clientURL(addr)
		if u != tc.url || (note != "") != tc.note {
			t.Errorf("clientURL(%s) = %q, note %q; want %q, note %v", tc.addr, u, note, tc.url, tc.note)
		}
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:8080/token": "http://127.0.0.1:8080/token",
		"basic-secret":                "basic-secret",
		"it's $x":                     `'it'\''s $x'`,
		"":                            "''",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
