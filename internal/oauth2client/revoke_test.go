package oauth2client

import (
	"crypto/elliptic"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// A client id with the characters Basic credentials must form-encode: a raw
// ":" would split the id from the secret.
const hardClientID = "svc:id@corp &=+%/ x"

// revokedToken looks like a real refresh token, so a test would notice it in
// an error.
const revokedToken = "rt-4f9c2b7e+/=&token with spaces"

// revocationRequest is what a revocation endpoint received.
type revocationRequest struct {
	method        string
	contentType   string
	authorization string
	// basicID and basicSecret are the Basic credentials, form-decoded.
	basicID, basicSecret string
	hasBasic             bool
	form                 url.Values
	header               http.Header
}

// revocationServer records each request and answers with respond.
type revocationServer struct {
	URL string

	mu   sync.Mutex
	reqs []revocationRequest
}

func newRevocationServer(t *testing.T, respond func(w http.ResponseWriter, got revocationRequest)) *revocationServer {
	t.Helper()
	rs := &revocationServer{}
	rs.URL = serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			t.Error(err)
		}
		form, err := url.ParseQuery(string(raw))
		if err != nil {
			t.Errorf("body %q is not form-encoded: %v", raw, err)
		}
		got := revocationRequest{
			method: r.Method, contentType: r.Header.Get("Content-Type"),
			authorization: r.Header.Get("Authorization"), form: form, header: r.Header.Clone(),
		}
		if id, secret, ok := r.BasicAuth(); ok {
			got.hasBasic = true
			// RFC 6749 section 2.3.1: form-encoded before Basic-encoding.
			if got.basicID, err = url.QueryUnescape(id); err != nil {
				t.Errorf("Basic id %q: %v", id, err)
			}
			if got.basicSecret, err = url.QueryUnescape(secret); err != nil {
				t.Errorf("Basic secret %q: %v", secret, err)
			}
		}
		rs.mu.Lock()
		rs.reqs = append(rs.reqs, got)
		rs.mu.Unlock()
		respond(w, got)
	}))
	return rs
}

func (rs *revocationServer) requests() []revocationRequest {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return append([]revocationRequest(nil), rs.reqs...)
}

func (rs *revocationServer) only(t *testing.T) revocationRequest {
	t.Helper()
	reqs := rs.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	return reqs[0]
}

func answer(status int, contentType, body string, headers ...string) func(http.ResponseWriter, revocationRequest) {
	return func(w http.ResponseWriter, _ revocationRequest) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func TestRevoke_clientSecretBasic(t *testing.T) {
	rs := newRevocationServer(t, answer(200, "", ""))
	err := newTestClient().Revoke(t.Context(), rs.URL+"/revoke", Request{
		ClientID: hardClientID, ClientAuth: SecretBasic{Secret: hardSecret}, Headers: map[string]string{"X-Tenant": "t1"},
	}, revokedToken, HintRefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	got := rs.only(t)
	if got.method != http.MethodPost || got.contentType != "application/x-www-form-urlencoded" {
		t.Errorf("%s with %q", got.method, got.contentType)
	}
	if !got.hasBasic || got.basicID != hardClientID || got.basicSecret != hardSecret {
		t.Errorf("Basic credentials %q / %q, want %q / %q", got.basicID, got.basicSecret, hardClientID, hardSecret)
	}
	if got.form.Get("token") != revokedToken || got.form.Get("token_type_hint") != "refresh_token" {
		t.Errorf("form %v", got.form)
	}
	if got.form.Has("client_id") || got.form.Has("client_secret") {
		t.Errorf("client credentials in the body as well: %v", got.form)
	}
	if got.header.Get("X-Tenant") != "t1" || got.header.Get("Accept") != "application/json" {
		t.Errorf("headers %v", got.header)
	}
}

func TestRevoke_clientSecretPost(t *testing.T) {
	rs := newRevocationServer(t, answer(200, "application/json", "{}"))
	err := newTestClient().Revoke(t.Context(), rs.URL, Request{
		ClientID: hardClientID, ClientAuth: SecretPost{Secret: hardSecret},
	}, revokedToken, HintAccessToken)
	if err != nil {
		t.Fatal(err)
	}
	got := rs.only(t)
	if got.authorization != "" {
		t.Errorf("Authorization %q under client_secret_post", got.authorization)
	}
	want := url.Values{
		"client_id": {hardClientID}, "client_secret": {hardSecret},
		"token": {revokedToken}, "token_type_hint": {"access_token"},
	}
	if got.form.Encode() != want.Encode() {
		t.Errorf("form %v, want %v", got.form, want)
	}
}

func TestRevoke_publicClient(t *testing.T) {
	rs := newRevocationServer(t, answer(200, "", ""))
	err := newTestClient().Revoke(t.Context(), rs.URL, Request{
		ClientID: "cli", ClientAuth: NoClientAuth{},
		Headers: map[string]string{"Authorization": "ApiKey k-123"},
	}, revokedToken, "")
	if err != nil {
		t.Fatal(err)
	}
	got := rs.only(t)
	want := url.Values{"client_id": {"cli"}, "token": {revokedToken}}
	if got.form.Encode() != want.Encode() || got.hasBasic {
		t.Errorf("form %v, Basic %v; want %v and no Basic", got.form, got.hasBasic, want)
	}
	if got.authorization != "ApiKey k-123" {
		t.Errorf("the configured Authorization header was not sent: %q", got.authorization)
	}
}

func TestRevoke_successStatuses(t *testing.T) {
	// RFC 7009 section 2.2: 200 also for a token that is invalid already,
	// and the body is ignored.
	for name, respond := range map[string]func(http.ResponseWriter, revocationRequest){
		"200 empty":       answer(200, "", ""),
		"200 html":        answer(200, "text/html", "<html>revoked</html>"),
		"200 json status": answer(200, "application/json", `{"revoked":true}`),
		"204":             answer(204, "", ""),
	} {
		t.Run(name, func(t *testing.T) {
			rs := newRevocationServer(t, respond)
			if err := newTestClient().Revoke(t.Context(), rs.URL, Request{ClientID: "id", ClientAuth: SecretBasic{Secret: hardSecret}}, revokedToken, HintAccessToken); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// assertRevocationError checks that err is an *Error of KindRevocation
// whose text has every wanted phrase and none of the secrets, and returns a
// copy of it.
func assertRevocationError(t *testing.T, err error, want []string, secrets ...string) Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error is %T, want *Error: %v", err, err)
	}
	if e.Kind != KindRevocation {
		t.Errorf("kind %v, want KindRevocation", e.Kind)
	}
	text := err.Error()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("error text lacks %q:\n%s", w, text)
		}
	}
	for _, s := range secrets {
		for _, form := range []string{s, url.QueryEscape(s)} {
			if strings.Contains(text, form) {
				t.Errorf("error text contains the secret %q:\n%s", form, text)
			}
		}
	}
	return *e
}

func TestRevoke_errors(t *testing.T) {
	echo := "bad secret " + hardSecret + " for token " + url.QueryEscape(revokedToken)
	for name, tc := range map[string]struct {
		respond func(http.ResponseWriter, revocationRequest)
		want    []string
	}{
		"400 invalid_client JSON echoing secret and token": {
			answer(400, "application/json", `{"error":"invalid_client","error_description":"`+echo+`","error_uri":"https://docs.example/e"}`),
			[]string{
				"did not revoke the token", "Revocation URL:", "HTTP status:     400 Bad Request",
				"Error:           invalid_client", "Description:     bad secret [REDACTED] for token [REDACTED]",
				"https://docs.example/e", "Client auth:     client_secret_basic",
			},
		},
		"401 html page echoing the Basic header": {
			func(w http.ResponseWriter, got revocationRequest) {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(401)
				_, _ = io.WriteString(w, "<html><body>Denied: "+got.authorization+" token="+revokedToken+"</body></html>")
			},
			[]string{"401 Unauthorized", "Denied: Basic [REDACTED] token=[REDACTED]"},
		},
		"400 unsupported_token_type form-encoded": {
			answer(400, "application/x-www-form-urlencoded", "error=unsupported_token_type&error_description=only+refresh+tokens"),
			[]string{"unsupported_token_type", "only refresh tokens", "Token type hint: access_token"},
		},
		"503 with Retry-After": {
			answer(503, "text/plain", "maintenance", "Retry-After", "120"),
			[]string{"503 Service Unavailable", "Retry after:     120 seconds", "maintenance"},
		},
		"503 with a Retry-After date": {
			answer(503, "", "", "Retry-After", "Wed, 21 Oct 2026 07:28:00 GMT"),
			[]string{"Retry after:     Wed, 21 Oct 2026 07:28:00 UTC"},
		},
		"500": {
			answer(500, "text/plain", "boom"),
			[]string{"500 Internal Server Error"},
		},
		"404": {
			answer(404, "text/plain", "404 page not found"),
			[]string{"404 Not Found"},
		},
		"200 carrying an error": {
			answer(200, "application/json", `{"error":"invalid_request","error_description":"token missing"}`),
			[]string{"200 OK", "invalid_request", "token missing"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			rs := newRevocationServer(t, tc.respond)
			err := newTestClient().Revoke(t.Context(), rs.URL+"/revoke", Request{ClientID: hardClientID, ClientAuth: SecretBasic{Secret: hardSecret}},
				revokedToken, HintAccessToken)
			e := assertRevocationError(t, err, tc.want, hardSecret, revokedToken, basicCredentials(hardClientID, hardSecret))
			if e.URL != rs.URL+"/revoke" {
				t.Errorf("URL %q", e.URL)
			}
		})
	}
}

func TestRevoke_redirectIsNotFollowed(t *testing.T) {
	var followed bool
	target := serve(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { followed = true }))
	rs := newRevocationServer(t, func(w http.ResponseWriter, _ revocationRequest) {
		w.Header().Set("Location", target+"/revoke")
		w.WriteHeader(http.StatusPermanentRedirect)
	})
	err := newTestClient().Revoke(t.Context(), rs.URL, Request{ClientID: "id", ClientAuth: SecretBasic{Secret: hardSecret}}, revokedToken, "")
	if followed {
		t.Error("the redirect was followed with the credentials")
	}
	assertRevocationError(t, err, []string{"308 Permanent Redirect", "Redirect to:     " + target + "/revoke"},
		hardSecret, revokedToken)
}

func TestRevoke_noServer(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	endpoint := srv.URL + "/revoke"
	srv.Close()
	err := newTestClient().Revoke(t.Context(), endpoint, Request{ClientID: "id", ClientAuth: SecretBasic{Secret: hardSecret}}, revokedToken, "")
	e := assertRevocationError(t, err, []string{"Original Error:", "connection refused"}, hardSecret, revokedToken)
	if e.StatusCode != 0 || !e.Unreachable() {
		t.Errorf("status %d", e.StatusCode)
	}
}

func TestRevoke_notSent(t *testing.T) {
	rs := newRevocationServer(t, answer(200, "", ""))
	for name, tc := range map[string]struct {
		endpoint string
		req      Request
		token    string
		want     string
	}{
		"no token":                        {rs.URL, Request{ClientID: "id", ClientAuth: SecretBasic{Secret: hardSecret}}, "", "no token to revoke"},
		"relative endpoint":               {"/revoke", Request{ClientID: "id", ClientAuth: SecretBasic{Secret: hardSecret}}, revokedToken, "revocation URL is not usable"},
		"private_key_jwt without a key":   {rs.URL, Request{ClientID: "id", ClientAuth: PrivateKeyJWT{}}, revokedToken, "private_key_jwt needs a private key"},
		"client_secret_jwt, short secret": {rs.URL, Request{ClientID: "id", ClientAuth: SecretJWT{Secret: "short-secret"}}, revokedToken, "32 bytes"},
	} {
		t.Run(name, func(t *testing.T) {
			err := newTestClient().Revoke(t.Context(), tc.endpoint, tc.req, tc.token, "")
			assertRevocationError(t, err, []string{"cannot be made", tc.want}, hardSecret, revokedToken)
		})
	}
	if n := len(rs.requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

func TestIsRevocationUnsupported(t *testing.T) {
	rs := newRevocationServer(t, answer(400, "application/json", `{"error":"unsupported_token_type"}`))
	err := newTestClient().Revoke(t.Context(), rs.URL, Request{ClientID: "id", ClientAuth: SecretBasic{Secret: hardSecret}}, revokedToken, HintAccessToken)
	if !IsRevocationUnsupported(err) {
		t.Errorf("IsRevocationUnsupported(%v) = false", err)
	}
	if IsRevocationUnsupported(errors.New("other")) || IsRevocationUnsupported(nil) {
		t.Error("IsRevocationUnsupported must be false for other errors")
	}
}

func TestRevoke_basicWithAnEmptySecret(t *testing.T) {
	// An explicit client_secret_basic with an empty secret is still a
	// credential: "id:" in the Basic header.
	rs := newRevocationServer(t, answer(200, "", ""))
	if err := newTestClient().Revoke(t.Context(), rs.URL, Request{ClientID: hardClientID, ClientAuth: SecretBasic{}}, revokedToken, ""); err != nil {
		t.Fatal(err)
	}
	got := rs.only(t)
	if got.authorization != "Basic "+basicCredentialsForTest(hardClientID, "") || got.form.Has("client_id") {
		t.Errorf("Authorization %q, form %v", got.authorization, got.form)
	}
}

func basicCredentialsForTest(id, secret string) string {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	return strings.TrimPrefix(r.Header.Get("Authorization"), "Basic ")
}

// A revocation endpoint that echoes the client assertion and the token, in
// its error body and in its headers, must get neither into the error: the
// assertion is a credential until it expires. The redactor is built once
// the assertions of every attempt are signed.
func TestRevoke_echoedAssertionIsRedacted(t *testing.T) {
	key, err := ParseSigningKey(pkcs8PEM(t, jwtTestECKey(t, elliptic.P256())), "", "kid-revoke")
	if err != nil {
		t.Fatal(err)
	}
	// Enough text before the echo that a snippet's 200-character cut falls
	// inside the assertion.
	pad := strings.Repeat("p", 150)
	for _, auth := range []ClientAuth{SecretJWT{Secret: longSecret}, PrivateKeyJWT{Key: key}} {
		for name, tc := range map[string]struct {
			status      int
			contentType string
			body        func(assertion, token string) string
			headers     func(assertion, token string) map[string]string
		}{
			"JSON error": {400, "application/json", func(a, tok string) string {
				return `{"error":"invalid_client","error_description":"assertion ` + a + ` for token ` + tok +
					`","error_uri":"https://docs.example/e?assertion=` + a + `&token=` + url.QueryEscape(tok) + `"}`
			}, nil},
			"text echo cut by the snippet": {401, "text/plain", func(a, tok string) string {
				return pad + a + " " + url.QueryEscape(tok)
			}, nil},
			"redirect": {302, "", func(string, string) string { return "" }, func(a, tok string) map[string]string {
				return map[string]string{"Location": "https://elsewhere.example/revoke?assertion=" + a + "&token=" + url.QueryEscape(tok)}
			}},
			"retried 503s with Retry-After": {503, "text/html", func(a, tok string) string {
				return "<html>" + a + " " + tok + "</html>"
			}, func(a, _ string) map[string]string { return map[string]string{"Retry-After": a} }},
		} {
			t.Run(auth.Method()+"/"+name, func(t *testing.T) {
				var mu sync.Mutex
				var assertions []string
				rs := newRevocationServer(t, func(w http.ResponseWriter, got revocationRequest) {
					a := got.form.Get("client_assertion")
					mu.Lock()
					assertions = append(assertions, a)
					mu.Unlock()
					if tc.headers != nil {
						for k, v := range tc.headers(a, got.form.Get("token")) {
							w.Header().Set(k, v)
						}
					}
					if tc.contentType != "" {
						w.Header().Set("Content-Type", tc.contentType)
					}
					w.WriteHeader(tc.status)
					_, _ = io.WriteString(w, tc.body(a, got.form.Get("token")))
				})
				fc := newFaultClient(t, Options{})
				err := fc.Revoke(t.Context(), rs.URL+"/revoke", Request{ClientID: hardClientID, ClientAuth: auth}, revokedToken, HintRefreshToken)
				var e *Error
				if !errors.As(err, &e) || e.Kind != KindRevocation {
					t.Fatalf("error %T %v, want an *Error of KindRevocation", err, err)
				}
				text := err.Error() + "\n" + e.Report("a hint")
				if !strings.Contains(text, redacted) {
					t.Errorf("nothing was redacted, so nothing was echoed:\n%s", text)
				}
				secrets := []string{revokedToken, url.QueryEscape(revokedToken), longSecret}
				mu.Lock()
				if len(assertions) == 0 {
					t.Fatal("no request arrived")
				}
				for _, a := range assertions {
					parts := strings.Split(a, ".")
					if len(parts) != 3 || a == "" {
						t.Fatalf("client_assertion %q is not a JWS", a)
					}
					secrets = append(secrets, a)
					secrets = append(secrets, parts...)
				}
				mu.Unlock()
				for _, s := range secrets {
					if strings.Contains(text, s) {
						t.Errorf("the error shows %q:\n%s", s, text)
					}
				}
				if events, _ := fc.retries(); name == "retried 503s with Retry-After" && len(events) != 2 {
					t.Errorf("retries %+v: the 503s were not retried with fresh assertions", events)
				}
			})
		}
	}
}
