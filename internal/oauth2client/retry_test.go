package oauth2client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"syscall"
	"testing"
	"time"
)

func TestRetryPolicy_normalized(t *testing.T) {
	for _, tc := range []struct {
		in, want RetryPolicy
	}{
		{RetryPolicy{}, DefaultRetry},
		{RetryPolicy{Attempts: 1}, RetryPolicy{Attempts: 1, MinDelay: time.Second, MaxDelay: 30 * time.Second}},
		{RetryPolicy{Attempts: -2, MinDelay: -1, MaxDelay: -1}, DefaultRetry},
		{RetryPolicy{Attempts: 5, MinDelay: time.Minute}, RetryPolicy{Attempts: 5, MinDelay: 30 * time.Second, MaxDelay: 30 * time.Second}},
		{RetryPolicy{MaxDelay: 100 * time.Millisecond}, RetryPolicy{Attempts: 3, MinDelay: 100 * time.Millisecond, MaxDelay: 100 * time.Millisecond}},
		{RetryPolicy{Attempts: 2, MinDelay: time.Millisecond, MaxDelay: time.Hour}, RetryPolicy{Attempts: 2, MinDelay: time.Millisecond, MaxDelay: time.Hour}},
	} {
		if got := tc.in.normalized(); got != tc.want {
			t.Errorf("%+v.normalized() = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestRetryPolicy_backoffBounds(t *testing.T) {
	p := RetryPolicy{Attempts: 10, MinDelay: time.Second, MaxDelay: 30 * time.Second}
	bounds := map[int][2]time.Duration{
		1:    {time.Second, 2 * time.Second},
		2:    {2 * time.Second, 4 * time.Second},
		3:    {4 * time.Second, 8 * time.Second},
		4:    {8 * time.Second, 16 * time.Second},
		5:    {16 * time.Second, 30 * time.Second},
		6:    {30 * time.Second, 30 * time.Second},
		60:   {30 * time.Second, 30 * time.Second},
		1000: {30 * time.Second, 30 * time.Second},
	}
	for n, b := range bounds {
		seen := map[time.Duration]bool{}
		for range 200 {
			d := p.backoff(n)
			if d < b[0] || d > b[1] {
				t.Fatalf("backoff(%d) = %s, want within [%s, %s]", n, d, b[0], b[1])
			}
			seen[d] = true
		}
		if b[0] != b[1] && len(seen) < 2 {
			t.Errorf("backoff(%d) is not jittered: always %v", n, seen)
		}
	}
	// No overflow with extreme settings.
	huge := RetryPolicy{Attempts: 100, MinDelay: time.Duration(1 << 62), MaxDelay: time.Duration(1<<63 - 1)}
	for _, n := range []int{1, 2, 3, 100} {
		if d := huge.backoff(n); d < huge.MinDelay || d > huge.MaxDelay {
			t.Errorf("backoff(%d) = %d out of [%d, %d]", n, d, huge.MinDelay, huge.MaxDelay)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"2", 2 * time.Second, true},
		{" 120 ", 120 * time.Second, true},
		{"0", 0, true},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"soon", 0, false},
		{"", 0, false},
		{"99999999999999999", time.Duration(1<<63 - 1), true},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{"Mon, 23 Nov 2026 12:00:07 GMT", 7 * time.Second, true},
		{"Monday, 23-Nov-26 12:00:07 GMT", 7 * time.Second, true}, // RFC 850
		{"Mon Nov 23 12:00:07 2026", 7 * time.Second, true},       // asctime
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
	} {
		got, ok := parseRetryAfter(tc.in, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseRetryAfter(%q) = %s, %v; want %s, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestRetryableStatus(t *testing.T) {
	for code := 100; code < 600; code++ {
		want := code == 429 || code == 500 || code == 502 || code == 503 || code == 504
		if retryableStatus(code) != want {
			t.Errorf("retryableStatus(%d) = %v", code, !want)
		}
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string { return "i/o timeout" }
func (timeoutErr) Timeout() bool { return true }

func TestRetryableError(t *testing.T) {
	opErr := func(op string, err error) error {
		return &url.Error{Op: "Post", URL: "https://h/token", Err: &net.OpError{Op: op, Net: "tcp", Err: err}}
	}
	for _, tc := range []struct {
		err    error
		reason string
		ok     bool
	}{
		{opErr("read", os.NewSyscallError("read", syscall.ECONNRESET)), "connection reset", true},
		{opErr("dial", os.NewSyscallError("connect", syscall.ECONNREFUSED)), "connection refused", true},
		{opErr("dial", timeoutErr{}), "timeout", true},
		{&url.Error{Op: "Post", URL: "u", Err: context.DeadlineExceeded}, "timeout", true},
		{fmt.Errorf("reading: %w", io.ErrUnexpectedEOF), "connection closed", true},
		{&url.Error{Op: "Post", URL: "u", Err: io.EOF}, "connection closed", true},
		{opErr("write", os.NewSyscallError("write", syscall.EPIPE)), "connection closed", true},
		{opErr("dial", os.NewSyscallError("connect", syscall.EHOSTUNREACH)), "network unreachable", true},
		{opErr("read", errors.New("wsarecv: An existing connection was forcibly closed")), "connection error", true},
		{opErr("dial", &net.DNSError{Err: "no such host", Name: "h", IsNotFound: true}), "DNS lookup failed", false},
		{opErr("dial", &net.DNSError{Err: "server misbehaving", Name: "h", IsTemporary: true}), "DNS lookup failed", true},
		{opErr("remote error", errors.New("tls: certificate required")), "", false},
		{errors.New("tls: failed to verify certificate: x509: certificate signed by unknown authority"), "", false},
		{fmt.Errorf("wrapped: %w", errTooLarge), "", false},
		{context.Canceled, "", false},
		{errors.New("oauth2: server response missing access_token"), "", false},
	} {
		reason, ok := retryableError(tc.err)
		if reason != tc.reason || ok != tc.ok {
			t.Errorf("retryableError(%v) = %q, %v; want %q, %v", tc.err, reason, ok, tc.reason, tc.ok)
		}
	}
}

func TestSleepContext(t *testing.T) {
	if err := sleepContext(t.Context(), 0); err != nil {
		t.Errorf("zero sleep: %v", err)
	}
	if err := sleepContext(t.Context(), time.Nanosecond); err != nil {
		t.Errorf("short sleep: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	start := time.Now()
	// An hour: only cancellation can end it.
	if err := sleepContext(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled sleep returned %v", err)
	}
	if err := sleepContext(ctx, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled zero sleep returned %v", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Error("a cancelled sleep did not return at once")
	}
}

func TestNew_options(t *testing.T) {
	c := New(Options{})
	if c.httpClient.Timeout != DefaultTimeout || c.retry != DefaultRetry || c.sleep == nil || c.onRetry != nil {
		t.Errorf("defaults: timeout %s, retry %+v", c.httpClient.Timeout, c.retry)
	}
	proxy, _ := url.Parse("http://proxy.example:3128")
	// AllowInsecureHTTP leaves the *http.Transport unwrapped.
	c = New(Options{Timeout: time.Second, Retry: RetryPolicy{Attempts: 1}, ProxyURL: proxy, AllowInsecureHTTP: true})
	tr, ok := c.httpClient.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("transport %T", c.httpClient.Transport)
	}
	req, _ := http.NewRequest(http.MethodPost, "https://auth.example/token", nil)
	got, err := tr.Proxy(req)
	if err != nil || got.String() != proxy.String() {
		t.Errorf("proxy %v, %v", got, err)
	}
	if c.retry.Attempts != 1 || c.httpClient.Timeout != time.Second {
		t.Errorf("retry %+v, timeout %s", c.retry, c.httpClient.Timeout)
	}
}

func TestNew_proxyFromEnvironmentPerRequest(t *testing.T) {
	c := New(Options{AllowInsecureHTTP: true})
	tr, ok := c.httpClient.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("transport %T", c.httpClient.Transport)
	}
	req, _ := http.NewRequest(http.MethodPost, "https://auth.example/token", nil)
	t.Setenv("HTTPS_PROXY", "http://first.example:1")
	t.Setenv("NO_PROXY", "")
	if got, _ := tr.Proxy(req); got == nil || got.Host != "first.example:1" {
		t.Errorf("proxy %v", got)
	}
	t.Setenv("HTTPS_PROXY", "http://second.example:2")
	if got, _ := tr.Proxy(req); got == nil || got.Host != "second.example:2" {
		t.Errorf("proxy %v: the environment must be read per request", got)
	}
	t.Setenv("NO_PROXY", "auth.example")
	if got, _ := tr.Proxy(req); got != nil {
		t.Errorf("proxy %v despite NO_PROXY", got)
	}
}
