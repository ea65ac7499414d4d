package oauth2client

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Tests of what a hostile or sloppy server or proxy can make the client
// show or accept. Each failed before the hardening it checks.

// A server that echoes what it received, escaped in HTML or JSON, must not
// get any secret of the request into an error: the password, every header
// value, every extra parameter, and the proxy's credentials.
func TestHardening_escapedEchoesAreRedacted(t *testing.T) {
	const password = `p/ss"w<rd>&'x`
	const apiKey = "key-in-a-harmless-looking-header"
	const vendorParam = "vendor-param-secret"
	cases := map[string]func(body string) string{
		"html": func(body string) string {
			return "<html><body><pre>" + html.EscapeString(body) + "</pre></body></html>"
		},
		"json": func(body string) string {
			// PHP style: / escaped as \/, and <, > and & as \u003c...
			j := fmt.Sprintf("%q", body)
			j = strings.NewReplacer("/", `\/`, "<", `\u003c`, ">", `\u003e`, "&", `\u0026`).Replace(j)
			return `{"error":"server_error","error_description":` + j + `}`
		},
	}
	for name, render := range cases {
		t.Run(name, func(t *testing.T) {
			srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_ = r.ParseForm()
				echo := r.PostForm.Get("password") + " " + r.Header.Get("X-Harmless") + " " + r.PostForm.Get("tenant")
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(render(echo)))
			}))
			c := New(Options{Retry: RetryPolicy{Attempts: 1}, sleep: noSleep})
			_, _, err := c.Fetch(t.Context(), Request{
				TokenURL: srv, ClientID: "id", ClientAuth: SecretPost{Secret: hardSecret},
				Grant:       Password{Username: "jane", Password: password},
				Headers:     map[string]string{"X-Harmless": apiKey},
				ExtraParams: map[string]string{"tenant": vendorParam},
			})
			if err == nil {
				t.Fatal("no error")
			}
			text := err.Error()
			for _, secret := range []string{password, html.EscapeString(password), `p\/ss`, apiKey, vendorParam, hardSecret} {
				if strings.Contains(text, secret) {
					t.Errorf("the error shows %q:\n%s", secret, text)
				}
			}
		})
	}
}

// A proxy that echoes its Proxy-Authorization header must not show the
// proxy's password, plain or Basic-encoded.
func TestHardening_proxyCredentialsAreRedacted(t *testing.T) {
	proxy := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusProxyAuthRequired)
		_, _ = fmt.Fprintf(w, "denied: %s", r.Header.Get("Proxy-Authorization"))
	}))
	pu, err := url.Parse(proxy)
	if err != nil {
		t.Fatal(err)
	}
	pu.User = url.UserPassword("proxyuser", "proxy-pass-word")
	c := New(Options{ProxyURL: pu, AllowInsecureHTTP: true, Retry: RetryPolicy{Attempts: 1}, sleep: noSleep})
	_, _, err = c.Fetch(t.Context(), fetchReq("http://auth.invalid/oauth/token"))
	if err == nil {
		t.Fatal("no error")
	}
	encoded := base64.StdEncoding.EncodeToString([]byte("proxyuser:proxy-pass-word"))
	for _, secret := range []string{"proxy-pass-word", encoded} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("the error shows the proxy credential %q:\n%s", secret, err)
		}
	}
	if !strings.Contains(err.Error(), "407") {
		t.Errorf("the error does not say what the proxy answered:\n%s", err)
	}
}

// A loopback target never goes through a proxy, configured or from the
// environment; names that only end in .localhost are not loopback.
func TestHardening_loopbackNeverProxied(t *testing.T) {
	var proxied atomic.Int32
	proxy := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxied.Add(1)
		http.Error(w, "no", http.StatusBadGateway)
	}))
	pu, _ := url.Parse(proxy)
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { writeToken(w) }))
	for _, target := range []string{srv, strings.Replace(srv, "127.0.0.1", "localhost", 1)} {
		c := New(Options{ProxyURL: pu, Retry: RetryPolicy{Attempts: 1}, sleep: noSleep})
		if _, _, err := c.Fetch(t.Context(), fetchReq(target)); err != nil {
			t.Errorf("%s: %v", target, err)
		}
	}
	if n := proxied.Load(); n != 0 {
		t.Errorf("%d loopback requests went through the proxy", n)
	}
	if isLoopback("evil.localhost") || !isLoopback("localhost") || !isLoopback("::1") || !isLoopback("127.0.0.2") {
		t.Error("isLoopback trusts the wrong names")
	}
}

// A URL that does not parse is described without its userinfo.
func TestHardening_unparsableURLHidesPassword(t *testing.T) {
	raw := "https://svc:PASSWORD%zz@auth.example.com/token"
	for name, text := range map[string]string{
		"CheckTokenURL":  CheckTokenURL(raw),
		"CheckIssuerURL": CheckIssuerURL(raw),
		"RedactURL":      RedactURL(raw),
	} {
		if text == "" || strings.Contains(text, "PASSWORD") {
			t.Errorf("%s says %q", name, text)
		}
	}
}

// Token responses are read strictly: each of these is an error naming the
// field, never showing its value.
func TestHardening_strictTokenResponse(t *testing.T) {
	cases := map[string]struct {
		body, want string
	}{
		"access_token a number":  {`{"access_token":12345678,"token_type":"Bearer"}`, "access_token is a JSON number"},
		"access_token an object": {`{"access_token":{"v":"secret-value"}}`, "access_token is a JSON object"},
		"access_token a boolean": {`{"access_token":true}`, "access_token is a JSON boolean"},
		"expires_in negative":    {`{"access_token":"at","expires_in":-5}`, "expires_in is negative"},
		"expires_in a word":      {`{"access_token":"at","expires_in":"soon-secret"}`, "expires_in is a string that is not a number"},
		"expires_in NaN":         {`{"access_token":"at","expires_in":"NaN"}`, "expires_in is NaN"},
		"expires_in infinite":    {`{"access_token":"at","expires_in":1e999}`, "expires_in is infinite"},
		"expires_in an array":    {`{"access_token":"at","expires_in":[1]}`, "expires_in is a JSON array"},
		"scope an object":        {`{"access_token":"at","scope":{"a":1}}`, "scope is a JSON object"},
		"scope numbers":          {`{"access_token":"at","scope":[1,2]}`, "scope is a JSON array, neither"},
		"invalid UTF-8":          {"{\"access_token\":\"at-\xff\xfe\"}", "access_token holds text that is not valid UTF-8"},
		"lone surrogate":         {`{"access_token":"at","scope":"a\ud800b"}`, "scope holds text that is not valid UTF-8"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(tc.body))
			}))
			c := New(Options{Retry: RetryPolicy{Attempts: 1}, sleep: noSleep})
			tok, _, err := c.Fetch(t.Context(), fetchReq(srv))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("got token %+v and error %v, want an *Error", tok, err)
			}
			if e.Problem != ProblemBadField || !strings.Contains(e.Detail, tc.want) {
				t.Errorf("problem %q, detail %q; want %q", e.Problem, e.Detail, tc.want)
			}
			for _, value := range []string{"12345678", "secret-value", "soon-secret"} {
				if strings.Contains(err.Error(), value) {
					t.Errorf("the error shows the value %q:\n%s", value, err)
				}
			}
		})
	}
	// Null members are absent members, not errors.
	tok, err := parseToken([]byte(`{"access_token":"at","expires_in":null,"scope":null}`), "application/json", fixedNow)
	if err != nil || tok.ExpiresIn != nil || tok.Scope != nil {
		t.Errorf("null members: %+v, %v", tok, err)
	}
}

// Without expires_in nothing says how long a token lasts: under an explicit
// min_validity it serves its own request only; under the default it is
// shared for the run.
func TestHardening_noExpiresInUnderExplicitMinValidity(t *testing.T) {
	var fetches atomic.Int32
	fetch := func(context.Context) (*Token, Outcome, error) {
		fetches.Add(1)
		return &Token{AccessToken: "at"}, Outcome{}, nil
	}
	req := fetchReq("https://auth.example.com/token")
	for _, explicit := range []bool{true, false} {
		fetches.Store(0)
		cache := NewCache(func() time.Time { return fixedNow })
		for range 3 {
			if _, _, _, err := cache.Get(t.Context(), ConsumerDataSource, req, time.Minute, explicit, fetch); err != nil {
				t.Fatal(err)
			}
		}
		want := int32(1)
		if explicit {
			want = 3
		}
		if got := fetches.Load(); got != want {
			t.Errorf("explicit min_validity %v: %d requests for 3 consumers, want %d", explicit, got, want)
		}
	}
}

// A success answer over the size limit may hold the token in its first
// characters: its body is withheld.
func TestHardening_oversizedSuccessIsWithheld(t *testing.T) {
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"at-oversized-secret","padding":"` + strings.Repeat("x", maxBodyBytes) + `"}`))
	}))
	c := New(Options{Retry: RetryPolicy{Attempts: 1}, sleep: noSleep})
	_, _, err := c.Fetch(t.Context(), fetchReq(srv))
	if err == nil || strings.Contains(err.Error(), "at-oversized-secret") || !strings.Contains(err.Error(), "not shown") {
		t.Errorf("error:\n%v", err)
	}
}

// Every request carries the configured User-Agent unless its headers set
// one.
func TestHardening_userAgent(t *testing.T) {
	var got atomic.Value
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.Header.Get("User-Agent"))
		writeToken(w)
	}))
	c := New(Options{UserAgent: "terraform-provider-oauth2/1.2.3 Terraform/1.11.4", sleep: noSleep})
	if _, _, err := c.Fetch(t.Context(), fetchReq(srv)); err != nil {
		t.Fatal(err)
	}
	if ua, _ := got.Load().(string); ua != "terraform-provider-oauth2/1.2.3 Terraform/1.11.4" {
		t.Errorf("User-Agent %q", ua)
	}
	req := fetchReq(srv)
	req.Headers = map[string]string{"User-Agent": "mine"}
	if _, _, err := c.Fetch(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	if ua, _ := got.Load().(string); ua != "mine" {
		t.Errorf("User-Agent %q, want the configured header's", ua)
	}
}

// A certificate the client cannot verify is reported as such.
func TestHardening_certificateRejected(t *testing.T) {
	srv := serveTLS(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { writeToken(w) }))
	c := New(Options{Retry: RetryPolicy{Attempts: 1}, sleep: noSleep})
	_, _, err := c.Fetch(t.Context(), fetchReq(srv))
	var e *Error
	if !errors.As(err, &e) || !e.CertificateRejected {
		t.Errorf("want CertificateRejected, got %v", err)
	}
}

// A timeout says the limit in force.
func TestHardening_timeoutLimit(t *testing.T) {
	release := make(chan struct{})
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	// Registered after serve's cleanup, so it runs first and the server can
	// close.
	t.Cleanup(func() { close(release) })
	c := New(Options{Timeout: 50 * time.Millisecond, Retry: RetryPolicy{Attempts: 1}, sleep: noSleep})
	_, _, err := c.Fetch(t.Context(), fetchReq(srv))
	var e *Error
	if !errors.As(err, &e) || !e.Timeout || e.TimeLimit != 50*time.Millisecond {
		t.Errorf("want a timeout with its limit, got %+v", err)
	}
}

func serveTLS(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// Review fixes.

// An "error" member that is null or empty in a success answer is not an
// error response.
func TestHardening_emptyErrorMemberIsAToken(t *testing.T) {
	for _, body := range []string{`{"access_token":"at","error":null}`, `{"access_token":"at","error":""}`} {
		tok, err := parseToken([]byte(body), "application/json", fixedNow)
		if err != nil || tok.AccessToken != "at" {
			t.Errorf("%s: %+v, %v", body, tok, err)
		}
	}
}

// A client assertion from a source that gives the same token each time has
// one jti: it is not sent again after the server may have read it.
func TestHardening_clientAssertionFromAVariableIsNotResent(t *testing.T) {
	t.Setenv("CI_TOKEN", "ci.token.value")
	var n atomic.Int32
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		writeToken(w)
	}))
	c := New(Options{Retry: RetryPolicy{Attempts: 3}, sleep: noSleep})
	req := Request{TokenURL: srv, ClientID: "id", ClientAuth: ClientAssertion{Source: EnvSource{Name: "CI_TOKEN"}}}
	if _, _, err := c.Fetch(t.Context(), req); err == nil || n.Load() != 1 {
		t.Errorf("sent %d times (err %v), want once", n.Load(), err)
	}
}

// A revocation whose client assertion source is missing says so, as a
// token request does.
func TestHardening_revocationKeepsTheSourceError(t *testing.T) {
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	err := New(Options{sleep: noSleep}).Revoke(t.Context(), srv, Request{ClientID: "id",
		ClientAuth: ClientAssertion{Source: EnvSource{Name: "CI_TOKEN_NOT_SET_ANYWHERE"}}}, "token-1", HintAccessToken)
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindIdentity || e.Problem != ProblemSourceMissing {
		t.Errorf("want the source's error, got %v", err)
	}
}
