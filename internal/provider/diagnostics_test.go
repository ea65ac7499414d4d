package provider

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/oauth2client"
	"github.com/tfoauth2/terraform-provider-oauth2/internal/tokenserver"
)

// These tests hold every hint of diagnostics.go to a real failure: a client
// from internal/oauth2client fails against a loopback server that behaves
// as the protocol package's tests describe, and the diagnostic's detail must
// carry the advice. No Terraform CLI is involved.

// diagToken looks like a real token, so a detail showing it would be
// noticed.
const diagToken = "rt-4f9c2b7e+/=&token with spaces"

// diagClient fails fast: one attempt, unless opts say otherwise.
func diagClient(opts oauth2client.Options) *oauth2client.Client {
	if opts.Retry.Attempts == 0 {
		opts.Retry = oauth2client.RetryPolicy{Attempts: 1}
	}
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Second
	}
	return oauth2client.New(opts)
}

// server starts the server a case needs and returns its URL.
type server func(t *testing.T) string

func handler(h http.HandlerFunc) server {
	return func(t *testing.T) string {
		t.Helper()
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return srv.URL
	}
}

// answer serves one canned answer; headers are name, value pairs.
func answer(status int, contentType, body string, headers ...string) server {
	return handler(func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	})
}

func redirect(status int) server {
	return handler(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://127.0.0.1:1/elsewhere", status)
	})
}

// bodyOnly takes the client's credentials only in the form body, and
// refuses any other client with a description that does not say why.
func bodyOnly(t *testing.T) string {
	t.Helper()
	return handler(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if err := r.ParseForm(); err != nil || r.PostForm.Get("client_id") != "id" ||
			r.PostForm.Get("client_secret") != testSecret {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"error":"invalid_client","error_description":"Client not found"}`)
			return
		}
		_, _ = io.WriteString(w, `{"access_token":"at-body-only","token_type":"Bearer"}`)
	})(t)
}

func tokenServer(opts tokenserver.Options) server {
	return handler(tokenserver.New(opts).ServeHTTP)
}

// stopped is the address of a server that has stopped: connections to it
// are refused.
func stopped(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL
	srv.Close()
	return u
}

// hung reads the request and never answers; the channel closed at cleanup
// (before the server's Close, which waits for handlers) ends the handler.
func hung(t *testing.T) string {
	t.Helper()
	release := make(chan struct{})
	u := handler(func(_ http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})(t)
	t.Cleanup(func() { close(release) })
	return u
}

// cutMidBody answers 200 with a Content-Length of 100, then closes the
// connection after a few bytes of the body.
func cutMidBody(t *testing.T) string {
	t.Helper()
	return handler(func(w http.ResponseWriter, _ *http.Request) {
		hj, ok := w.(http.Hijacker)
		if !ok {
			t.Error("the test server cannot hijack")
			return
		}
		conn, buf, err := hj.Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"access_tok")
		_ = buf.Flush()
		_ = conn.Close()
	})(t)
}

// untrusted is a TLS server whose certificate no client here trusts.
func untrusted(t *testing.T) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // The handshake failures are the point.
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.URL
}

// detailOf maps err as the provider does, checks the summary and that no
// attribute is blamed, and returns the detail.
func detailOf(t *testing.T, err error, wantSummary string) string {
	t.Helper()
	if err == nil {
		t.Fatal("want an error, got none")
	}
	summary, detail, at := errorDiagnostic(err)
	if summary != wantSummary {
		t.Errorf("summary %q, want %q", summary, wantSummary)
	}
	if at != nil {
		t.Errorf("attribute %s blamed, want none", at)
	}
	return detail
}

func assertDetail(t *testing.T, detail string, want, not []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(detail, w) {
			t.Errorf("detail lacks %q:\n%s", w, detail)
		}
	}
	for _, n := range not {
		if strings.Contains(detail, n) {
			t.Errorf("detail has %q:\n%s", n, detail)
		}
	}
}

func basicRequest(tokenURL string) oauth2client.Request {
	return oauth2client.Request{TokenURL: tokenURL, ClientID: "id", ClientAuth: oauth2client.SecretBasic{Secret: testSecret}}
}

func postRequest(tokenURL string) oauth2client.Request {
	return oauth2client.Request{TokenURL: tokenURL, ClientID: "id", ClientAuth: oauth2client.SecretPost{Secret: testSecret}}
}

const tokenSummary = "Token Request Failed"

type tokenCase struct {
	server server
	// req builds the request, basicRequest when nil.
	req     func(tokenURL string) oauth2client.Request
	timeout time.Duration
	want    []string
	not     []string
}

func runTokenCases(t *testing.T, cases map[string]tokenCase) {
	t.Helper()
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			u := tc.server(t) + "/token"
			req := basicRequest(u)
			if tc.req != nil {
				req = tc.req(u)
			}
			_, _, err := diagClient(oauth2client.Options{Timeout: tc.timeout}).Fetch(t.Context(), req)
			assertDetail(t, detailOf(t, err, tokenSummary), tc.want, tc.not)
		})
	}
}

// The answers of client_test.go.
func TestDiagnostic_token(t *testing.T) {
	runTokenCases(t, map[string]tokenCase{
		"password grant in the body to a query-only server": {
			server: tokenServer(tokenserver.Options{
				Clients:  []tokenserver.Client{{ID: "reltio_ui", Secret: testSecret, Auth: tokenserver.AuthBasic}},
				Users:    []tokenserver.User{{Username: "jane@example.com", Password: testPassword}},
				ParamsIn: tokenserver.ParamsInQuery,
			}),
			req: func(u string) oauth2client.Request {
				return oauth2client.Request{
					TokenURL: u, ClientID: "reltio_ui", ClientAuth: oauth2client.SecretBasic{Secret: testSecret},
					Grant: oauth2client.Password{Username: "jane@example.com", Password: testPassword},
				}
			},
			want: []string{"invalid_request", "params_in"},
		},
		"Basic to a body-only server": {
			server: bodyOnly,
			want:   []string{"401 Unauthorized", "invalid_client", "Check client_id and the credential", "HTTP Basic header"},
		},
		// The bundled server says which method the client must use, and
		// the hint then speaks of client_auth alone.
		"Basic to a body-only server that names the method": {
			server: tokenServer(tokenserver.Options{
				Clients: []tokenserver.Client{{ID: "id", Secret: testSecret, Auth: tokenserver.AuthPost}},
			}),
			want: []string{"it must use client_secret_post", "set client_auth", "HTTP Basic header"},
		},
		"400 invalid_client, client_secret_post": {
			server: answer(400, "application/json", `{"error":"invalid_client","error_description":"unknown client"}`),
			req:    postRequest,
			want:   []string{`client_auth (now "client_secret_post"`},
		},
		"400 form-encoded invalid_scope": {
			server: answer(400, "application/x-www-form-urlencoded", "error=invalid_scope&error_description=scope+nope"),
			want:   []string{"scope nope", "scopes this client may request"},
		},
		"502 html": {
			server: answer(502, "text/html", "<html><body><h1>502 Bad Gateway</h1></body></html>"),
			want:   []string{"502 Bad Gateway", "Try again later"},
		},
		"200 carrying unsupported_grant_type": {
			server: answer(200, "application/json", `{"error":"unsupported_grant_type","error_description":"nope"}`),
			want:   []string{"unsupported_grant_type", "set grant_type"},
		},
		"200 without access_token": {
			server: answer(200, "application/json", `{"token":"abc-value-secret","expires_in":3600}`),
			want:   []string{"sent no access_token"},
			not:    []string{"abc-value-secret"},
		},
		"200 html sign-in page": {
			server: answer(200, "text/html", "<!DOCTYPE html><title>Sign in</title>"),
			want:   []string{"Sign in", "not with a token response"},
		},
		"404 plain": {
			server: answer(404, "text/plain", "404 page not found"),
			want:   []string{"404 Not Found", "Check token_url"},
		},
		"307 redirect": {
			server: redirect(http.StatusTemporaryRedirect),
			want:   []string{"307 Temporary Redirect", "do not follow redirects"},
		},
		"connection refused": {
			server: stopped,
			want:   []string{"connection refused", "No response arrived", "token_url"},
		},
	})
}

// The faults of faults_test.go.
func TestDiagnostic_tokenFaults(t *testing.T) {
	big := strings.Repeat("y", 1<<20+1)
	runTokenCases(t, map[string]tokenCase{
		"connection cut mid-body": {
			server: cutMidBody,
			want:   []string{"200 OK", "could not be read in full"},
		},
		"hung server": {
			server:  hung,
			timeout: 50 * time.Millisecond,
			want:    []string{"did not answer within the 50ms timeout in force", "raise timeout"},
		},
		"error body over 1 MiB": {
			server: answer(400, "text/plain", big),
			want:   []string{"400 Bad Request", "No token response is that large"},
		},
		"untrusted certificate": {
			server: untrusted,
			want:   []string{"ca_certificate_pem", "insecure_skip_verify", "token_url names the host"},
		},
		"description names the client authentication": {
			server: answer(400, "application/json",
				`{"error":"invalid_request","error_description":"client_secret must not be sent in the body; use HTTP Basic"}`),
			req:  postRequest,
			want: []string{"set client_auth", `now "client_secret_post"`},
			not:  []string{"params_in"},
		},
		"negative expires_in": {
			server: answer(200, "application/json", `{"access_token":"at-negative-secret","expires_in":-5}`),
			want:   []string{"breaks RFC 6749 section 5.1", "Detail:          expires_in is negative"},
			not:    []string{"at-negative-secret"},
		},
	})
}

// A Ctrl-C while the client waits to retry a 503: the handler cancels the
// context after answering, and only that ends the hour-long wait.
func TestDiagnostic_cancelledDuringBackoff(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	u := handler(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		cancel()
	})(t)
	c := diagClient(oauth2client.Options{Retry: oauth2client.RetryPolicy{Attempts: 2, MinDelay: time.Hour, MaxDelay: 2 * time.Hour}})
	_, _, err := c.Fetch(ctx, basicRequest(u))
	assertDetail(t, detailOf(t, err, tokenSummary), []string{"cancelled", "interrupted"}, nil)
}

// The documents of discovery_test.go.
func TestDiagnostic_discovery(t *testing.T) {
	// doc serves, at the OpenID Connect URL, the document doc(base) returns.
	doc := func(build func(base string) map[string]any) server {
		return func(t *testing.T) string {
			var base string
			base = handler(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/.well-known/openid-configuration" {
					http.NotFound(w, r)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				_ = json.NewEncoder(w).Encode(build(base))
			})(t)
			return base
		}
	}
	for name, tc := range map[string]struct {
		server server
		// want may hold %[1]s, the issuer.
		want []string
	}{
		"issuer with an extra trailing slash": {
			server: doc(func(base string) map[string]any {
				return map[string]any{"issuer": base + "/", "token_endpoint": base + "/token"}
			}),
			want: []string{"only by a trailing slash", `set issuer_url to "%[1]s/"`},
		},
		"another issuer": {
			server: doc(func(base string) map[string]any {
				return map[string]any{"issuer": "https://other.example", "token_endpoint": base + "/token"}
			}),
			want: []string{"https://other.example", "identical"},
		},
		"no issuer": {
			server: doc(func(base string) map[string]any { return map[string]any{"token_endpoint": base + "/token"} }),
			want:   []string{"(none)", "name its issuer"},
		},
		"all three URLs 404": {
			// An issuer with a path, so that the three URLs differ.
			server: func(t *testing.T) string { return handler(http.NotFound)(t) + "/realms/x" },
			want: []string{"/realms/x/.well-known/openid-configuration -> 404 Not Found",
				"/.well-known/oauth-authorization-server/realms/x -> 404 Not Found",
				"/realms/x/.well-known/oauth-authorization-server -> 404 Not Found",
				"Check issuer_url", "set token_url"},
		},
		"no token_endpoint": {
			server: doc(func(base string) map[string]any { return map[string]any{"issuer": base} }),
			want:   []string{"no token endpoint", "set token_url"},
		},
		"302": {
			server: redirect(http.StatusFound),
			want:   []string{"302 Found", "do not follow redirects"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			issuer := tc.server(t)
			_, err := diagClient(oauth2client.Options{}).Discover(t.Context(), issuer)
			detail := detailOf(t, err, "Authorization Server Discovery Failed")
			var want []string
			for _, w := range tc.want {
				if strings.Contains(w, "%[1]s") {
					w = fmt.Sprintf(w, issuer)
				}
				want = append(want, w)
			}
			assertDetail(t, detail, want, nil)
		})
	}
}

// The answers of revoke_test.go.
func TestDiagnostic_revocation(t *testing.T) {
	for name, tc := range map[string]struct {
		server server
		hint   string
		want   []string
	}{
		"400 invalid_client, client_secret_basic": {
			server: answer(400, "application/json", `{"error":"invalid_client"}`),
			want: []string{`client_auth (now "client_secret_basic", which sends client_id and client_secret in an ` +
				`HTTP Basic header)`},
		},
		"401 html": {
			server: answer(401, "text/html", "<html><body>Unauthorized</body></html>"),
			want:   []string{"401 Unauthorized", "Check client_id, client_secret"},
		},
		"400 unsupported_token_type": {
			server: answer(400, "application/json", `{"error":"unsupported_token_type"}`),
			hint:   oauth2client.HintAccessToken,
			want:   []string{`token_type_hint "access_token"`},
		},
		"503 with Retry-After": {
			server: answer(503, "text/plain", "maintenance", "Retry-After", "3"),
			want:   []string{"3 seconds", "temporarily unable", "after the time the server asks for"},
		},
		"500": {
			server: answer(500, "text/plain", "boom"),
			want:   []string{"500 Internal Server Error", "may still be valid"},
		},
		"404": {
			server: answer(404, "text/plain", "404 page not found"),
			want:   []string{"no revocation endpoint at this address"},
		},
		"308": {
			server: redirect(http.StatusPermanentRedirect),
			want:   []string{"308 Permanent Redirect", "do not follow redirects"},
		},
		"connection refused": {
			server: stopped,
			want:   []string{"No response arrived", "the revocation URL"},
		},
		"400 body over 1 MiB": {
			server: answer(400, "text/plain", strings.Repeat("y", 1<<20+1)),
			want:   []string{"No revocation response is that large"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			u := tc.server(t) + "/revoke"
			err := diagClient(oauth2client.Options{}).Revoke(t.Context(), u, basicRequest(""), diagToken, tc.hint)
			assertDetail(t, detailOf(t, err, "Token Revocation Failed"), tc.want, nil)
		})
	}
}

// echo answers with status and the whole request (headers and body) as the
// error_description, or as an HTML page for a 401, as careless servers do.
func echo(status int) server {
	return handler(func(w http.ResponseWriter, r *http.Request) {
		dump, _ := httputil.DumpRequest(r, true)
		if status == http.StatusUnauthorized {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(status)
			_, _ = fmt.Fprintf(w, "<html><body><pre>%s</pre></body></html>", dump)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_client", "error_description": string(dump)})
	})
}

// No detail shows the client secret, in any of the forms it travels in, or a
// token the server sent.
func TestDiagnostic_noSecretInDetail(t *testing.T) {
	const issued = "at-issued-" + testSecret
	basic := base64.StdEncoding.EncodeToString([]byte("id:" + url.QueryEscape(testSecret)))
	secrets := []string{testSecret, url.QueryEscape(testSecret), basic, testPassword, url.QueryEscape(testPassword),
		diagToken, url.QueryEscape(diagToken), issued}
	withPassword := func(u string) oauth2client.Request {
		r := postRequest(u)
		r.Grant = oauth2client.Password{Username: "jane", Password: testPassword}
		return r
	}
	for name, fail := range map[string]func(t *testing.T) error{
		"token, request echoed in the description": func(t *testing.T) error {
			_, _, err := diagClient(oauth2client.Options{}).Fetch(t.Context(), withPassword(echo(400)(t)))
			return err
		},
		"token, Basic header echoed in a page": func(t *testing.T) error {
			_, _, err := diagClient(oauth2client.Options{}).Fetch(t.Context(), basicRequest(echo(401)(t)))
			return err
		},
		"token, 200 without access_token": func(t *testing.T) error {
			u := answer(200, "application/json", `{"token":"`+issued+`","expires_in":3600}`)(t)
			_, _, err := diagClient(oauth2client.Options{}).Fetch(t.Context(), basicRequest(u))
			return err
		},
		"token, bad expires_in": func(t *testing.T) error {
			u := answer(200, "application/json", `{"access_token":"`+issued+`","expires_in":-5}`)(t)
			_, _, err := diagClient(oauth2client.Options{}).Fetch(t.Context(), basicRequest(u))
			return err
		},
		"revocation, request echoed": func(t *testing.T) error {
			return diagClient(oauth2client.Options{}).Revoke(t.Context(), echo(400)(t), basicRequest(""), diagToken, "")
		},
		"revocation, Basic header echoed in a page": func(t *testing.T) error {
			return diagClient(oauth2client.Options{}).Revoke(t.Context(), echo(401)(t), basicRequest(""), diagToken, "")
		},
	} {
		t.Run(name, func(t *testing.T) {
			err := fail(t)
			if err == nil {
				t.Fatal("want an error, got none")
			}
			summary, detail, _ := errorDiagnostic(err)
			assertDetail(t, summary+"\n"+detail, nil, secrets)
		})
	}
}

func TestDiagnostic_tooShort(t *testing.T) {
	err := fmt.Errorf("fetching: %w", &oauth2client.TooShortError{Lifetime: 5 * time.Minute, MinValidity: 10 * time.Minute})
	summary, detail, at := errorDiagnostic(err)
	if summary != "Token Lives Shorter Than min_validity" {
		t.Errorf("summary %q", summary)
	}
	if at == nil || !at.Equal(path.Root("min_validity")) {
		t.Errorf("attribute %v, want min_validity", at)
	}
	assertDetail(t, detail, []string{"5m0s", "10m0s", "Lower min_validity"}, nil)
}

func TestCheckHeader(t *testing.T) {
	for _, tc := range []struct {
		name, clientAuth string
		want             string // "" when the header may be sent
	}{
		{"content-type", oauth2client.AuthNone, "Content-Type is set by the provider"},
		{"authorization", oauth2client.AuthClientSecretBasic, `client_auth = "client_secret_basic"`},
		{"Authorization", oauth2client.AuthNone, ""},
		{"X-Api-Key", oauth2client.AuthClientSecretBasic, ""},
	} {
		got := checkHeader(tc.name, tc.clientAuth)
		switch {
		case tc.want == "" && got != "":
			t.Errorf("checkHeader(%q, %q) = %q, want it allowed", tc.name, tc.clientAuth, got)
		case tc.want != "" && !strings.Contains(got, tc.want):
			t.Errorf("checkHeader(%q, %q) = %q, want it refused with %q", tc.name, tc.clientAuth, got, tc.want)
		}
	}
}

func TestNoClientAuthReason(t *testing.T) {
	for _, tc := range []struct {
		supported   []string
		secret, key bool
		want        string
	}{
		{supported: []string{"client_secret_basic"}, want: `"client_secret_basic"`},
		{supported: []string{"none"}, secret: true, want: "a client secret"},
		{supported: []string{"tls_client_auth", "private_key_jwt"}, secret: true, want: `"tls_client_auth", "private_key_jwt"`},
		{supported: nil, want: "client_secret_basic only"},
		{supported: nil, key: true, want: "a private key and no client secret"},
	} {
		got := noClientAuthReason(tc.supported, tc.secret, tc.key)
		if !strings.Contains(got, tc.want) {
			t.Errorf("noClientAuthReason(%q, secret %v, key %v) = %q, want %q in it",
				tc.supported, tc.secret, tc.key, got, tc.want)
		}
	}
}
