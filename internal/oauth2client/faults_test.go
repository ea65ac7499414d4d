package oauth2client

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Fault tests: each runs a misbehaving server and checks what the client
// makes of it. No test waits: the delays between attempts go to a fake
// sleep that records them, and the one timeout is a server that never
// answers against a 50ms Timeout.

// faultClient is a Client whose waits and retries a test can inspect.
type faultClient struct {
	*Client

	mu     sync.Mutex
	events []RetryEvent
	sleeps []time.Duration
	// onSleep, when set, runs in place of the wait (after recording it).
	onSleep func(ctx context.Context) error
}

func newFaultClient(t *testing.T, opts Options) *faultClient {
	t.Helper()
	fc := &faultClient{}
	if opts.Now == nil {
		opts.Now = func() time.Time { return fixedNow }
	}
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Second
	}
	opts.OnRetry = func(ctx context.Context, e RetryEvent) {
		if ctx == nil {
			t.Error("OnRetry without a context")
		}
		fc.mu.Lock()
		defer fc.mu.Unlock()
		fc.events = append(fc.events, e)
	}
	opts.sleep = func(ctx context.Context, d time.Duration) error {
		fc.mu.Lock()
		fc.sleeps = append(fc.sleeps, d)
		onSleep := fc.onSleep
		fc.mu.Unlock()
		if onSleep != nil {
			return onSleep(ctx)
		}
		return ctx.Err()
	}
	fc.Client = New(opts)
	return fc
}

func (fc *faultClient) retries() ([]RetryEvent, []time.Duration) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	return append([]RetryEvent(nil), fc.events...), append([]time.Duration(nil), fc.sleeps...)
}

// counted serves h and counts the requests it gets.
func counted(t *testing.T, h func(n int32, w http.ResponseWriter, r *http.Request)) (string, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	u := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h(n.Add(1), w, r)
	}))
	return u, &n
}

// longSecret is long enough for client_secret_jwt's HS256.
const longSecret = "a-client-secret-of-forty-bytes-or-so-!!"

const goodToken = `{"access_token":"at-fault-test","token_type":"Bearer","expires_in":60}`

func writeToken(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, goodToken)
}

func fetchReq(tokenURL string) Request {
	return Request{TokenURL: tokenURL, ClientID: "id", ClientAuth: SecretBasic{Secret: hardSecret}}
}

// hijackPartial answers 200 with a Content-Length of 100 and then closes
// the connection after a few bytes of the body.
func hijackPartial(t *testing.T, w http.ResponseWriter) {
	t.Helper()
	hj, ok := w.(http.Hijacker)
	if !ok {
		t.Fatal("the test server cannot hijack")
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		t.Fatal(err)
	}
	_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"access_tok")
	_ = buf.Flush()
	_ = conn.Close()
}

func TestFault_connectionClosedMidBody(t *testing.T) {
	t.Run("every attempt", func(t *testing.T) {
		u, n := counted(t, func(_ int32, w http.ResponseWriter, _ *http.Request) { hijackPartial(t, w) })
		fc := newFaultClient(t, Options{})
		_, outcome, err := fc.Fetch(t.Context(), fetchReq(u))
		assertErrorText(t, err, []string{
			"did not issue a token after 3 attempts", "HTTP status:     200 OK", "Attempts:        3",
			"Original Error: unexpected EOF",
		}, hardSecret)
		if e, ok := err.(*Error); !ok || e.Problem != ProblemUnreadable {
			t.Errorf("error %#v, want ProblemUnreadable", err)
		}
		if got := n.Load(); got != 3 {
			t.Errorf("%d requests, want 3", got)
		}
		events, _ := fc.retries()
		if len(events) != 2 || events[0].Reason != "connection closed" || events[0].URL != u {
			t.Errorf("retry events %+v", events)
		}
		if outcome.Attempts != 3 || outcome.Status != 200 {
			t.Errorf("outcome %+v", outcome)
		}
	})
	t.Run("then a whole answer", func(t *testing.T) {
		u, n := counted(t, func(i int32, w http.ResponseWriter, _ *http.Request) {
			if i == 1 {
				hijackPartial(t, w)
				return
			}
			writeToken(w)
		})
		tok, outcome, err := newFaultClient(t, Options{}).Fetch(t.Context(), fetchReq(u))
		if err != nil {
			t.Fatal(err)
		}
		if tok.AccessToken != "at-fault-test" || n.Load() != 2 || outcome.Attempts != 2 {
			t.Errorf("token %q after %d requests, outcome %+v", tok.AccessToken, n.Load(), outcome)
		}
	})
}

func TestFault_hungServerTimesOut(t *testing.T) {
	release := make(chan struct{})
	u, n := counted(t, func(_ int32, _ http.ResponseWriter, r *http.Request) {
		// The server notices the client hanging up once it has read the
		// body; release ends the handler at the end of the test anyway.
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) }) // Runs before the server's Close.
	fc := newFaultClient(t, Options{Timeout: 50 * time.Millisecond, Retry: RetryPolicy{Attempts: 2}})
	_, outcome, err := fc.Fetch(t.Context(), fetchReq(u))
	assertErrorText(t, err, []string{"after 2 attempts", "Original Error:"}, hardSecret)
	var e *Error
	if !errors.As(err, &e) || !e.Timeout || e.StatusCode != 0 || e.Attempts != 2 {
		t.Errorf("error %+v", e)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		t.Error("a per-attempt timeout is not the caller's context ending")
	}
	if n.Load() != 2 || outcome.Status != 0 {
		t.Errorf("%d requests, outcome %+v", n.Load(), outcome)
	}
	if events, _ := fc.retries(); len(events) != 1 || events[0].Reason != "timeout" {
		t.Errorf("retry events %+v", events)
	}
}

func TestFault_503TwiceThen200(t *testing.T) {
	var assertions []string
	var mu sync.Mutex
	u, n := counted(t, func(i int32, w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		mu.Lock()
		assertions = append(assertions, r.PostForm.Get("client_assertion"))
		mu.Unlock()
		if i <= 2 {
			http.Error(w, "down for a moment", http.StatusServiceUnavailable)
			return
		}
		writeToken(w)
	})
	fc := newFaultClient(t, Options{})
	req := fetchReq(u + "/token")
	req.ClientAuth = SecretJWT{Secret: longSecret}
	tok, outcome, err := fc.Fetch(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != "at-fault-test" || n.Load() != 3 || outcome.Attempts != 3 || outcome.Status != 200 {
		t.Errorf("token %q after %d requests, outcome %+v", tok.AccessToken, n.Load(), outcome)
	}
	events, sleeps := fc.retries()
	if len(events) != 2 {
		t.Fatalf("retry events %+v, want 2", events)
	}
	bounds := [][2]time.Duration{{time.Second, 2 * time.Second}, {2 * time.Second, 4 * time.Second}}
	for i, e := range events {
		if e.Attempt != i+1 || e.Reason != "503 Service Unavailable" || e.URL != u+"/token" {
			t.Errorf("event %d: %+v", i, e)
		}
		if e.Delay < bounds[i][0] || e.Delay > bounds[i][1] || sleeps[i] != e.Delay {
			t.Errorf("retry %d: delay %s (slept %s), want within %v", i+1, e.Delay, sleeps[i], bounds[i])
		}
	}
	// Each attempt is built anew: a replayed client assertion (same jti)
	// would be refused by a server that remembers them.
	jtis := map[string]bool{}
	for _, a := range assertions {
		jtis[jwtID(t, a)] = true
	}
	if len(assertions) != 3 || len(jtis) != 3 {
		t.Errorf("%d assertions with %d distinct jti, want 3 and 3", len(assertions), len(jtis))
	}
}

// jwtID reads the jti claim of a compact JWT, unverified.
func jwtID(t *testing.T, jwt string) string {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", jwt)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(claims["jti"])
}

func TestFault_retryAfter(t *testing.T) {
	for name, tc := range map[string]struct {
		status     int
		retryAfter string
		want       time.Duration
	}{
		"429 with seconds":     {429, "2", 2 * time.Second},
		"503 with a date":      {503, fixedNow.Add(5 * time.Second).Format(http.TimeFormat), 5 * time.Second},
		"503 with a past date": {503, fixedNow.Add(-time.Hour).Format(http.TimeFormat), 0},
		"429 at max_delay":     {429, "30", 30 * time.Second},
		"429 unreadable":       {429, "in a while", -1},
	} {
		t.Run(name, func(t *testing.T) {
			u, n := counted(t, func(i int32, w http.ResponseWriter, _ *http.Request) {
				if i == 1 {
					w.Header().Set("Retry-After", tc.retryAfter)
					w.WriteHeader(tc.status)
					return
				}
				writeToken(w)
			})
			fc := newFaultClient(t, Options{})
			if _, _, err := fc.Fetch(t.Context(), fetchReq(u)); err != nil {
				t.Fatal(err)
			}
			events, sleeps := fc.retries()
			if n.Load() != 2 || len(events) != 1 || len(sleeps) != 1 {
				t.Fatalf("%d requests, events %+v", n.Load(), events)
			}
			switch {
			case tc.want < 0: // Ignored: the backoff applies.
				if sleeps[0] < time.Second || sleeps[0] > 2*time.Second {
					t.Errorf("slept %s, want the first backoff", sleeps[0])
				}
			case sleeps[0] != tc.want || events[0].Delay != tc.want:
				t.Errorf("slept %s (event %s), want exactly %s", sleeps[0], events[0].Delay, tc.want)
			}
		})
	}
}

func TestFault_retryAfterBeyondMaxDelay(t *testing.T) {
	for name, retryAfter := range map[string]string{
		"seconds": "120",
		"date":    fixedNow.Add(time.Hour).Format(http.TimeFormat),
	} {
		t.Run(name, func(t *testing.T) {
			u, n := counted(t, func(_ int32, w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Retry-After", retryAfter)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusTooManyRequests)
				_, _ = io.WriteString(w, `{"error":"slow_down","error_description":"rate limited"}`)
			})
			fc := newFaultClient(t, Options{})
			_, _, err := fc.Fetch(t.Context(), fetchReq(u))
			assertErrorText(t, err, []string{
				"429 Too Many Requests", "slow_down", "Retry after:", "Not retried:", "(Retry-After), longer than the 30s",
			}, hardSecret)
			if n.Load() != 1 {
				t.Errorf("%d requests, want 1", n.Load())
			}
			if events, sleeps := fc.retries(); len(events)+len(sleeps) != 0 {
				t.Errorf("retried: %+v %v", events, sleeps)
			}
		})
	}
}

func TestFault_clientErrorsAreNeverRetried(t *testing.T) {
	for _, status := range []int{400, 401, 403, 404, 405, 408, 409, 413, 422, 501, 505} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			u, n := counted(t, func(_ int32, w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(status)
				_, _ = io.WriteString(w, `{"error":"invalid_request"}`)
			})
			fc := newFaultClient(t, Options{})
			_, outcome, err := fc.Fetch(t.Context(), fetchReq(u))
			assertErrorText(t, err, []string{"did not issue a token.", "invalid_request"}, hardSecret)
			if strings.Contains(err.Error(), "Attempts:") || strings.Contains(err.Error(), "Not retried") {
				t.Errorf("a single attempt reported as retried:\n%s", err)
			}
			if got := n.Load(); got != 1 || outcome.Attempts != 1 {
				t.Errorf("%d requests, want exactly 1", got)
			}
			if events, _ := fc.retries(); len(events) != 0 {
				t.Errorf("retry events %+v", events)
			}
		})
	}
}

func TestFault_attemptsSpent(t *testing.T) {
	u, n := counted(t, func(_ int32, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = io.WriteString(w, "<h1>502 Bad Gateway</h1>")
	})
	fc := newFaultClient(t, Options{Retry: RetryPolicy{Attempts: 4, MinDelay: time.Second, MaxDelay: 3 * time.Second}})
	_, _, err := fc.Fetch(t.Context(), fetchReq(u))
	assertErrorText(t, err, []string{"after 4 attempts", "502 Bad Gateway", "Attempts:        4"}, hardSecret)
	events, sleeps := fc.retries()
	if n.Load() != 4 || len(events) != 3 {
		t.Fatalf("%d requests, %d retries", n.Load(), len(events))
	}
	for i, d := range sleeps {
		lo := min(time.Second<<i, 3*time.Second)
		hi := min(2*lo, 3*time.Second)
		if d < lo || d > hi {
			t.Errorf("retry %d waited %s, want within [%s, %s]", i+1, d, lo, hi)
		}
	}
	one := newFaultClient(t, Options{Retry: RetryPolicy{Attempts: 1}})
	n.Store(0)
	_, _, err = one.Fetch(t.Context(), fetchReq(u))
	assertErrorText(t, err, []string{"did not issue a token.", "502 Bad Gateway"})
	if n.Load() != 1 {
		t.Errorf("Attempts 1: %d requests", n.Load())
	}
}

func TestFault_connectionRefusedIsRetried(t *testing.T) {
	u := deadURL(t)
	fc := newFaultClient(t, Options{})
	_, outcome, err := fc.Fetch(t.Context(), fetchReq(u))
	assertErrorText(t, err, []string{"after 3 attempts", "connection refused"}, hardSecret)
	if e, ok := err.(*Error); !ok || !e.Unreachable() {
		t.Errorf("error %#v, want one that says the server was unreachable", err)
	}
	events, _ := fc.retries()
	if len(events) != 2 || events[0].Reason != "connection refused" || outcome.Attempts != 3 {
		t.Errorf("events %+v, outcome %+v", events, outcome)
	}
}

func TestFault_200WithHTML(t *testing.T) {
	u, n := counted(t, func(_ int32, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, "<!DOCTYPE html><html><title>Sign in</title><body>Please sign in</body></html>")
	})
	_, _, err := newFaultClient(t, Options{}).Fetch(t.Context(), fetchReq(u))
	assertErrorText(t, err, []string{"200 OK", "text/html", "Sign in"}, hardSecret)
	if e, ok := err.(*Error); !ok || e.Problem != ProblemNotAToken {
		t.Errorf("error %#v, want ProblemNotAToken", err)
	}
	if n.Load() != 1 {
		t.Errorf("%d requests, want 1", n.Load())
	}
}

func gzipped(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := io.WriteString(zw, s); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestFault_gzipBody(t *testing.T) {
	body := gzipped(t, goodToken)
	u := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		// Sent whatever the request asked for.
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		_, _ = w.Write(body)
	}))
	for name, headers := range map[string]map[string]string{
		"asked for by Go":            nil,
		"asked for by a header":      {"Accept-Encoding": "gzip"},
		"sent despite identity":      {"Accept-Encoding": "identity"},
		"asked for with other codes": {"Accept-Encoding": "br, gzip;q=0.5"},
	} {
		t.Run(name, func(t *testing.T) {
			req := fetchReq(u)
			req.Headers = headers
			tok, _, err := newFaultClient(t, Options{}).Fetch(t.Context(), req)
			if err != nil {
				t.Fatal(err)
			}
			if tok.AccessToken != "at-fault-test" || *tok.ExpiresIn != 60 {
				t.Errorf("token %+v", tok)
			}
		})
	}
	t.Run("an error response", func(t *testing.T) {
		errBody := gzipped(t, `{"error":"invalid_client","error_description":"unknown client"}`)
		u := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Encoding", "gzip")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write(errBody)
		}))
		req := fetchReq(u)
		req.Headers = map[string]string{"Accept-Encoding": "gzip"}
		_, _, err := newFaultClient(t, Options{}).Fetch(t.Context(), req)
		assertErrorText(t, err, []string{"invalid_client", "unknown client"}, hardSecret)
	})
	t.Run("not gzip at all", func(t *testing.T) {
		u := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Encoding", "gzip")
			_, _ = io.WriteString(w, goodToken)
		}))
		req := fetchReq(u)
		req.Headers = map[string]string{"Accept-Encoding": "gzip"}
		_, _, err := newFaultClient(t, Options{}).Fetch(t.Context(), req)
		// Every header value is redacted, so the "gzip" of Accept-Encoding
		// is too.
		assertErrorText(t, err, []string{"200 OK", "-encoded but is not"}, hardSecret)
	})
	t.Run("discovery and revocation", func(t *testing.T) {
		ms := newMetadataServer(t, func(base string) map[string]any {
			doc, err := json.Marshal(metadataDoc(base))
			if err != nil {
				t.Fatal(err)
			}
			z := gzipped(t, string(doc))
			return map[string]any{"/.well-known/openid-configuration": http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Content-Encoding", "gzip")
				_, _ = w.Write(z)
			})}
		})
		md, err := newFaultClient(t, Options{}).Discover(t.Context(), ms.URL)
		if err != nil || md.TokenEndpoint == "" {
			t.Fatalf("metadata %+v, error %v", md, err)
		}
		z := gzipped(t, `{"error":"unsupported_token_type"}`)
		rs := newRevocationServer(t, func(w http.ResponseWriter, _ revocationRequest) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Encoding", "gzip")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write(z)
		})
		err = newFaultClient(t, Options{}).Revoke(t.Context(), rs.URL, Request{
			ClientID: "id", ClientAuth: SecretBasic{Secret: hardSecret}, Headers: map[string]string{"Accept-Encoding": "gzip"},
		}, revokedToken, "")
		if !IsRevocationUnsupported(err) {
			t.Errorf("revocation error %v", err)
		}
	})
}

func TestFault_oversizedBody(t *testing.T) {
	big := func(size int) string {
		prefix := `{"access_token":"at-fault-test","pad":"`
		return prefix + strings.Repeat("x", size-len(prefix)-2) + `"}`
	}
	t.Run("exactly 1 MiB is read", func(t *testing.T) {
		u := respond(t, 200, "application/json", big(maxBodyBytes))
		tok, _, err := newFaultClient(t, Options{}).Fetch(t.Context(), fetchReq(u))
		if err != nil {
			t.Fatal(err)
		}
		if len(tok.Extra["pad"]) != maxBodyBytes-len(`{"access_token":"at-fault-test","pad":""}`) {
			t.Errorf("pad of %d bytes", len(tok.Extra["pad"]))
		}
	})
	t.Run("1 MiB + 1 is refused", func(t *testing.T) {
		u, n := counted(t, func(_ int32, w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, big(maxBodyBytes+1))
		})
		_, _, err := newFaultClient(t, Options{}).Fetch(t.Context(), fetchReq(u))
		// A success answer may hold the token in its first characters: its
		// size is shown, not its start.
		assertErrorText(t, err, []string{"200 OK", "the response is larger than 1 MiB", "1048576 bytes, not shown"},
			hardSecret, "at-fault-test")
		if e, ok := err.(*Error); !ok || e.Problem != ProblemTooLarge {
			t.Errorf("error %#v, want ProblemTooLarge", err)
		}
		if n.Load() != 1 {
			t.Errorf("%d requests, want 1", n.Load())
		}
	})
	t.Run("gzip-compressed, 1 MiB + 1 once inflated", func(t *testing.T) {
		z := gzipped(t, big(maxBodyBytes+1))
		u := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Encoding", "gzip")
			_, _ = w.Write(z)
		}))
		for _, headers := range []map[string]string{nil, {"Accept-Encoding": "gzip"}} {
			req := fetchReq(u)
			req.Headers = headers
			_, _, err := newFaultClient(t, Options{}).Fetch(t.Context(), req)
			assertErrorText(t, err, []string{"the response is larger than 1 MiB"}, hardSecret)
		}
	})
	t.Run("revocation", func(t *testing.T) {
		rs := newRevocationServer(t, answer(400, "text/plain", strings.Repeat("y", maxBodyBytes+1)))
		err := newFaultClient(t, Options{}).Revoke(t.Context(), rs.URL, Request{ClientID: "id", ClientAuth: SecretBasic{Secret: hardSecret}}, revokedToken, "")
		e := assertRevocationError(t, err, []string{"400 Bad Request", "the response is larger than 1 MiB"}, hardSecret, revokedToken)
		if e.Problem != ProblemTooLarge {
			t.Errorf("problem %q, want ProblemTooLarge", e.Problem)
		}
		if len(rs.requests()) != 1 {
			t.Errorf("%d requests", len(rs.requests()))
		}
	})
	// Discovery: TestDiscover_malformed/larger_than_1_MiB.
}

func TestFault_redirectIsNotFollowed(t *testing.T) {
	target, hits := counted(t, func(_ int32, w http.ResponseWriter, _ *http.Request) { writeToken(w) })
	u, n := counted(t, func(_ int32, w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target+"/moved/token", http.StatusFound)
	})
	_, _, err := newFaultClient(t, Options{}).Fetch(t.Context(), fetchReq(u))
	assertErrorText(t, err, []string{"302 Found", "Redirect to:     " + target + "/moved/token"}, hardSecret)
	if hits.Load() != 0 || n.Load() != 1 {
		t.Errorf("%d requests to the target, %d to the server", hits.Load(), n.Load())
	}
}

// A server echoing the whole request (headers and body) in its error must
// not get a secret into the error.
func TestFault_echoedRequestIsRedacted(t *testing.T) {
	echo := func(status int) func(int32, http.ResponseWriter, *http.Request) {
		return func(_ int32, w http.ResponseWriter, r *http.Request) {
			dump, err := httputil.DumpRequest(r, true)
			if err != nil {
				t.Error(err)
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant", "error_description": string(dump)})
		}
	}
	basic := basicCredentials(hardClientID, hardSecret)
	secrets := []string{hardSecret, hardPassword, url.QueryEscape(hardSecret), url.QueryEscape(hardPassword), basic,
		"rt-refresh-" + hardSecret}
	for name, tc := range map[string]struct {
		status int
		req    func(u string) Request
	}{
		"password grant, Basic": {400, func(u string) Request {
			return Request{TokenURL: u, ClientID: hardClientID, ClientAuth: SecretBasic{Secret: hardSecret}, Grant: Password{Username: "jane", Password: hardPassword}}
		}},
		"password grant in the query, post": {400, func(u string) Request {
			return Request{TokenURL: u, ClientID: hardClientID, ClientAuth: SecretPost{Secret: hardSecret},
				Grant: Password{Username: "jane", Password: hardPassword}, ParamsIn: ParamsInQuery}
		}},
		"refresh token, retried 503s": {503, func(u string) Request {
			return Request{TokenURL: u, ClientID: hardClientID, ClientAuth: SecretBasic{Secret: hardSecret}, Grant: RefreshToken{RefreshToken: "rt-refresh-" + hardSecret}}
		}},
	} {
		t.Run(name, func(t *testing.T) {
			u, _ := counted(t, echo(tc.status))
			fc := newFaultClient(t, Options{})
			_, _, err := fc.Fetch(t.Context(), tc.req(u+"/token"))
			assertErrorText(t, err, []string{"invalid_grant", "[REDACTED]"}, secrets...)
			for _, e := range fc.events {
				for _, s := range secrets {
					if strings.Contains(fmt.Sprint(e), s) {
						t.Errorf("retry event %+v shows a secret", e)
					}
				}
			}
		})
	}
}

func TestFault_cancelDuringBackoff(t *testing.T) {
	u, n := counted(t, func(_ int32, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	fc := newFaultClient(t, Options{})
	fc.onSleep = func(ctx context.Context) error {
		cancel() // Ctrl-C while waiting for the retry.
		<-ctx.Done()
		return ctx.Err()
	}
	_, outcome, err := fc.Fetch(ctx, fetchReq(u))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v does not unwrap to context.Canceled", err)
	}
	assertErrorText(t, err, []string{"The token request was cancelled", "503 Service Unavailable"}, hardSecret)
	if e, ok := err.(*Error); !ok || !e.Canceled() {
		t.Errorf("error %#v, want Canceled()", err)
	}
	if n.Load() != 1 || outcome.Attempts != 1 {
		t.Errorf("%d requests after cancellation, want 1", n.Load())
	}

	t.Run("the real sleep returns at once", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		n.Store(0)
		c := New(Options{
			// Waits of at least an hour: only cancellation ends them.
			Retry:   RetryPolicy{Attempts: 3, MinDelay: time.Hour, MaxDelay: 2 * time.Hour},
			OnRetry: func(context.Context, RetryEvent) { cancel() },
		})
		done := make(chan error, 1)
		go func() {
			_, _, err := c.Fetch(ctx, fetchReq(u))
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) || n.Load() != 1 {
				t.Errorf("error %v after %d requests", err, n.Load())
			}
		case <-time.After(time.Minute): // A deadlock guard, not a timing.
			t.Fatal("Fetch did not return after cancellation")
		}
	})

	t.Run("revocation and discovery", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		fc := newFaultClient(t, Options{})
		fc.onSleep = func(ctx context.Context) error {
			cancel()
			return ctx.Err()
		}
		err := fc.Revoke(ctx, u, Request{ClientID: "id", ClientAuth: SecretBasic{Secret: hardSecret}}, revokedToken, "")
		if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "revocation request was cancelled") {
			t.Errorf("revocation error %v", err)
		}
		ctx, cancel = context.WithCancel(t.Context())
		defer cancel()
		_, err = fc.Discover(ctx, u)
		if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "metadata request was cancelled") {
			t.Errorf("discovery error %v", err)
		}
	})
}

func TestFault_cancelledBeforeTheRequest(t *testing.T) {
	u, n := counted(t, func(_ int32, w http.ResponseWriter, _ *http.Request) { writeToken(w) })
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	fc := newFaultClient(t, Options{})
	_, _, err := fc.Fetch(ctx, fetchReq(u))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v", err)
	}
	if events, _ := fc.retries(); len(events) != 0 || n.Load() != 0 {
		t.Errorf("%d requests, retries %+v", n.Load(), events)
	}
}

func TestFault_revocationRetried(t *testing.T) {
	var calls atomic.Int32
	var jtis sync.Map
	rs := newRevocationServer(t, func(w http.ResponseWriter, got revocationRequest) {
		jtis.Store(jwtID(t, got.form.Get("client_assertion")), true)
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	fc := newFaultClient(t, Options{})
	err := fc.Revoke(t.Context(), rs.URL, Request{ClientID: "id", ClientAuth: SecretJWT{Secret: longSecret}}, revokedToken, "")
	if err != nil {
		t.Fatal(err)
	}
	events, sleeps := fc.retries()
	if len(rs.requests()) != 2 || len(events) != 1 || sleeps[0] != 3*time.Second || events[0].Reason != "503 Service Unavailable" {
		t.Errorf("%d requests, events %+v, sleeps %v", len(rs.requests()), events, sleeps)
	}
	distinct := 0
	jtis.Range(func(any, any) bool { distinct++; return true })
	if distinct != 2 {
		t.Errorf("%d distinct jti over 2 attempts", distinct)
	}

	t.Run("spent", func(t *testing.T) {
		rs := newRevocationServer(t, answer(500, "text/plain", "boom"))
		err := newFaultClient(t, Options{}).Revoke(t.Context(), rs.URL, Request{ClientID: "id", ClientAuth: SecretBasic{Secret: hardSecret}}, revokedToken, "")
		assertRevocationError(t, err, []string{"did not revoke the token after 3 attempts", "Attempts:        3", "500 Internal Server Error", "boom"},
			hardSecret, revokedToken)
		if len(rs.requests()) != 3 {
			t.Errorf("%d requests", len(rs.requests()))
		}
	})
	t.Run("never on 4xx", func(t *testing.T) {
		rs := newRevocationServer(t, answer(401, "application/json", `{"error":"invalid_client"}`))
		err := newFaultClient(t, Options{}).Revoke(t.Context(), rs.URL, Request{ClientID: "id", ClientAuth: SecretBasic{Secret: hardSecret}}, revokedToken, "")
		assertRevocationError(t, err, []string{"did not revoke the token.", "invalid_client"}, hardSecret, revokedToken)
		if len(rs.requests()) != 1 {
			t.Errorf("%d requests", len(rs.requests()))
		}
	})
	t.Run("Retry-After beyond max_delay", func(t *testing.T) {
		rs := newRevocationServer(t, answer(503, "text/plain", "maintenance", "Retry-After", "31"))
		err := newFaultClient(t, Options{}).Revoke(t.Context(), rs.URL, Request{ClientID: "id", ClientAuth: SecretBasic{Secret: hardSecret}}, revokedToken, "")
		assertRevocationError(t, err, []string{"Retry after:     31 seconds", "Not retried:", "31s"}, hardSecret, revokedToken)
		if len(rs.requests()) != 1 {
			t.Errorf("%d requests", len(rs.requests()))
		}
	})
}

func TestFault_discoveryRetried(t *testing.T) {
	var calls atomic.Int32
	ms := newMetadataServer(t, func(base string) map[string]any {
		return map[string]any{"/.well-known/openid-configuration": http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			if calls.Add(1) <= 2 {
				w.WriteHeader(http.StatusBadGateway)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(metadataDoc(base))
		})}
	})
	fc := newFaultClient(t, Options{})
	md, err := fc.Discover(t.Context(), ms.URL)
	if err != nil {
		t.Fatal(err)
	}
	events, _ := fc.retries()
	if md.Issuer != ms.URL || calls.Load() != 3 || len(events) != 2 ||
		events[0].URL != ms.URL+"/.well-known/openid-configuration" || events[1].Reason != "502 Bad Gateway" {
		t.Errorf("metadata %+v after %d requests, events %+v", md, calls.Load(), events)
	}

	t.Run("spent, then the next URL", func(t *testing.T) {
		ms := newMetadataServer(t, func(base string) map[string]any {
			return map[string]any{
				"/.well-known/openid-configuration":       http.StatusServiceUnavailable,
				"/.well-known/oauth-authorization-server": metadataDoc(base),
			}
		})
		md, err := newFaultClient(t, Options{}).Discover(t.Context(), ms.URL)
		if err != nil {
			t.Fatal(err)
		}
		if got := ms.requests(); md.Source != ms.URL+"/.well-known/oauth-authorization-server" || len(got) != 4 {
			t.Errorf("source %s after %v", md.Source, got)
		}
	})
	t.Run("unreachable", func(t *testing.T) {
		u := deadURL(t)
		_, err := newFaultClient(t, Options{}).Discover(t.Context(), u)
		e := assertDiscoveryError(t, err, DiscoveryUnreachable, "-> no response (after 3 attempts)", "connection refused")
		if len(e.Tried) != 1 || e.Tried[0].Tries != 3 {
			t.Errorf("attempts %+v", e.Tried)
		}
	})
}

// deadURL is the address of a server that has stopped: connections to it
// are refused.
func deadURL(t *testing.T) string {
	t.Helper()
	var u string
	t.Run("start and stop a server", func(t *testing.T) {
		u = serve(t, http.NotFoundHandler())
	})
	return u
}

func TestFault_proxyURL(t *testing.T) {
	var seen atomic.Value
	proxy := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Store(r.URL.String()) // A proxy gets the absolute URL.
		writeToken(w)
	}))
	pu, err := url.Parse(proxy)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("HTTP_PROXY", "http://127.0.0.1:1") // Ignored: ProxyURL wins.
	c := New(Options{ProxyURL: pu, AllowInsecureHTTP: true, sleep: noSleep})
	tok, _, err := c.Fetch(t.Context(), fetchReq("http://auth.invalid/oauth/token"))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := seen.Load().(string); tok.AccessToken != "at-fault-test" || got != "http://auth.invalid/oauth/token" {
		t.Errorf("proxy saw %q", got)
	}
}

// The retry rule is the grant's: what a server accepts once (a subject
// token, a ready-made assertion with its one jti) is never sent twice once
// the server may have read it; what is built afresh for each attempt, or
// may be repeated, is retried.
func TestFault_retryPerGrant(t *testing.T) {
	key, err := ParseSigningKey(pkcs8PEM(t, jwtTestECKey(t, elliptic.P256())), "", "")
	if err != nil {
		t.Fatal(err)
	}
	const ready = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4IiwianRpIjoiMSJ9."
	for name, tc := range map[string]struct {
		grant   Grant
		retried bool
	}{
		"token exchange":             {TokenExchange{SubjectToken: "subject-token-1", SubjectTokenType: "urn:ietf:params:oauth:token-type:access_token"}, false},
		"jwt-bearer, ready":          {JWTBearer{Assertion: ready}, false},
		"custom over token exchange": {CustomGrantType{Type: "urn:vendor:exchange", Base: TokenExchange{SubjectToken: "subject-token-1"}}, false},
		"jwt-bearer, signed":         {JWTBearer{Claims: map[string]any{"sub": "user-1"}, Key: key}, true},
		"password":                   {Password{Username: "jane", Password: hardPassword}, true},
		"custom":                     {CustomGrantType{Type: "urn:vendor:grant"}, true},
	} {
		t.Run(name, func(t *testing.T) {
			var mu sync.Mutex
			var assertions []string
			u, n := counted(t, func(i int32, w http.ResponseWriter, r *http.Request) {
				if err := r.ParseForm(); err != nil {
					t.Error(err)
				}
				mu.Lock()
				assertions = append(assertions, r.PostForm.Get("assertion"))
				mu.Unlock()
				if i == 1 {
					http.Error(w, "internal error", http.StatusInternalServerError)
					return
				}
				writeToken(w)
			})
			if tc.grant.Replayable() != tc.retried {
				t.Errorf("Replayable() = %v", tc.grant.Replayable())
			}
			fc := newFaultClient(t, Options{})
			req := fetchReq(u + "/token")
			req.Grant = tc.grant
			tok, outcome, err := fc.Fetch(t.Context(), req)
			events, _ := fc.retries()
			if !tc.retried {
				assertErrorText(t, err, []string{"500 Internal Server Error", "did not issue a token."}, "subject-token-1", ready)
				if n.Load() != 1 || outcome.Attempts != 1 || len(events) != 0 {
					t.Errorf("%d requests, outcome %+v, retries %+v: want exactly one request", n.Load(), outcome, events)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tok.AccessToken != "at-fault-test" || n.Load() != 2 || outcome.Attempts != 2 || len(events) != 1 {
				t.Errorf("token %q after %d requests, outcome %+v, retries %+v", tok.AccessToken, n.Load(), outcome, events)
			}
			if _, signed := tc.grant.(JWTBearer); signed {
				mu.Lock()
				defer mu.Unlock()
				if len(assertions) != 2 || assertions[0] == "" || assertions[0] == assertions[1] ||
					jwtID(t, assertions[0]) == jwtID(t, assertions[1]) {
					t.Errorf("assertions %q: want one signed afresh for each attempt", assertions)
				}
			}
		})
	}
}
