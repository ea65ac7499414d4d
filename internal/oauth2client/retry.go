package oauth2client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// RetryPolicy says how often and how patiently a request that failed for a
// passing reason is repeated: a connection error, a timeout, or a 429, 500,
// 502, 503 or 504 answer. Any other answer, 4xx above all, is final.
//
// The delay before retry n (1 for the first) is drawn at random ("equal
// jitter") between MinDelay·2^(n-1) and MinDelay·2^n, and never exceeds
// MaxDelay. A Retry-After header (RFC 9110 section 10.2.3, seconds or an
// HTTP date) on the failed answer replaces that delay; when it asks for more
// than MaxDelay, the request is not retried, since waiting less than the
// server asked is pointless and waiting longer is what MaxDelay forbids, and
// the error says so.
type RetryPolicy struct {
	// Attempts counts every try, the first included: 1 never retries.
	// Zero or less means DefaultRetry.Attempts.
	Attempts int
	// MinDelay is the delay before the first retry, doubled for each later
	// one; zero or less means DefaultRetry.MinDelay. It is lowered to
	// MaxDelay when above it.
	MinDelay time.Duration
	// MaxDelay bounds every delay, the Retry-After ones included; zero or
	// less means DefaultRetry.MaxDelay.
	MaxDelay time.Duration
}

// DefaultRetry is the policy of a Client whose Options leave Retry unset.
var DefaultRetry = RetryPolicy{Attempts: 3, MinDelay: time.Second, MaxDelay: 30 * time.Second}

// normalized fills the unset fields from DefaultRetry.
func (p RetryPolicy) normalized() RetryPolicy {
	if p.Attempts <= 0 {
		p.Attempts = DefaultRetry.Attempts
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = DefaultRetry.MaxDelay
	}
	if p.MinDelay <= 0 {
		p.MinDelay = min(DefaultRetry.MinDelay, p.MaxDelay)
	}
	p.MinDelay = min(p.MinDelay, p.MaxDelay)
	return p
}

// backoff is the jittered delay before retry n (1 for the first): a random
// duration in [MinDelay·2^(n-1), MinDelay·2^n], both ends capped at
// MaxDelay.
func (p RetryPolicy) backoff(n int) time.Duration {
	lo := p.MinDelay
	for i := 1; i < n && lo < p.MaxDelay; i++ {
		if lo > p.MaxDelay/2 {
			lo = p.MaxDelay
			break
		}
		lo *= 2
	}
	lo = min(lo, p.MaxDelay)
	hi := p.MaxDelay
	if lo <= p.MaxDelay/2 {
		hi = 2 * lo
	}
	return lo + rand.N(hi-lo+1)
}

// RetryEvent describes a retry about to happen, for logging.
type RetryEvent struct {
	// Attempt is the number of the attempt that failed, 1 for the first
	// request; the retry is attempt Attempt+1.
	Attempt int
	// Delay is how long the client waits before the retry.
	Delay time.Duration
	// Reason is why the attempt failed: the status line ("503 Service
	// Unavailable") or the kind of network failure ("connection reset",
	// "connection refused", "connection closed", "timeout").
	Reason string
	// URL is the address requested, without any password or, for a token
	// request with params_in = "query", the grant's parameters.
	URL string
}

// attemptResult is what one request came to, as far as retrying goes.
type attemptResult struct {
	// status is 0 when no response arrived.
	status     int
	statusText string
	retryAfter string
	// err is the transport's error, nil when a whole response arrived (or
	// when the request was never sent).
	err error
	// final forbids a retry whatever the failure, for requests that must
	// not be sent twice once a server may have processed them.
	final bool
}

// certainlyUnprocessed says whether a failed attempt never reached the
// server's grant logic: no connection was made, or the server said it did
// not handle the request (429 Too Many Requests, 503 Service Unavailable).
func certainlyUnprocessed(r attemptResult) bool {
	if r.status == 429 || r.status == 503 {
		return true
	}
	if r.err == nil {
		return false
	}
	var op *net.OpError
	var dns *net.DNSError
	return errors.Is(r.err, syscall.ECONNREFUSED) || errors.As(r.err, &dns) || (errors.As(r.err, &op) && op.Op == "dial")
}

// retryStats is how a series of attempts ended.
type retryStats struct {
	// tries counts the attempts made.
	tries int
	// canceled is the context's error when cancellation stopped the series.
	canceled error
	// notRetried says why a failure that is retried in general was not, ""
	// otherwise.
	notRetried string
}

// withRetry calls try until it succeeds, fails for good, the policy's
// attempts are spent, or ctx is done. target is the URL shown in
// RetryEvents.
func (c *Client) withRetry(ctx context.Context, target string, try func() attemptResult) retryStats {
	for n := 1; ; n++ {
		r := try()
		if ctx.Err() != nil && (r.err != nil || retryableStatus(r.status)) {
			// Whatever the failure looks like, cancellation caused it or
			// ends the series: never retried.
			return retryStats{tries: n, canceled: ctx.Err()}
		}
		reason, retryable := r.reason()
		if !retryable {
			return retryStats{tries: n}
		}
		if n >= c.retry.Attempts {
			return retryStats{tries: n}
		}
		delay := c.retry.backoff(n)
		if r.retryAfter != "" {
			if after, ok := parseRetryAfter(r.retryAfter, c.now()); ok {
				if after > c.retry.MaxDelay {
					return retryStats{tries: n, notRetried: fmt.Sprintf(
						"the server asked to wait %s (Retry-After), longer than the %s maximum delay of the retry policy allows",
						after, c.retry.MaxDelay)}
				}
				delay = after
			}
		}
		if c.onRetry != nil {
			c.onRetry(ctx, RetryEvent{Attempt: n, Delay: delay, Reason: reason, URL: target})
		}
		if err := c.sleep(ctx, delay); err != nil {
			return retryStats{tries: n, canceled: err}
		}
	}
}

// reason says whether the attempt failed for a passing reason and which,
// for RetryEvent.
func (r attemptResult) reason() (string, bool) {
	if r.final {
		return "", false
	}
	if retryableStatus(r.status) {
		return statusLine(r.status, r.statusText), true
	}
	if r.err != nil {
		return retryableError(r.err)
	}
	return "", false
}

// retryableStatus lists the answers that say "try again": 429 Too Many
// Requests and the 5xx statuses of a server or gateway in trouble. 501 Not
// Implemented and the other 5xx are final.
func retryableStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// retryableError says whether a transport error is a connection failure or
// a timeout, which may pass, and names it. TLS failures (an untrusted
// certificate, a refused client certificate), a name that does not
// resolve, an oversized or malformed response are final.
func retryableError(err error) (string, bool) {
	if errors.Is(err, errTooLarge) {
		return "", false
	}
	if isTimeout(err) {
		return "timeout", true
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return "DNS lookup failed", dns.IsTemporary || dns.IsTimeout
	}
	switch {
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset", true
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused", true
	case errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed", true
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		return "network unreachable", true
	}
	// Other platforms name the same failures with other errnos; what
	// happened on the socket (not in the TLS layer, whose alerts are
	// "remote error" and "local error") is a connection failure.
	var op *net.OpError
	if errors.As(err, &op) {
		switch op.Op {
		case "dial", "read", "write", "proxyconnect":
			return "connection error", true
		}
	}
	return "", false
}

// parseRetryAfter reads a Retry-After value, delta-seconds or an HTTP date
// (relative to now), as a delay; a date in the past is no delay.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		if n > math.MaxInt64/int64(time.Second) {
			return time.Duration(math.MaxInt64), true
		}
		return time.Duration(n) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}

// sleepContext waits for d, or until ctx is done, whichever comes first.
func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
