package tokenfile

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func TestNextRenewal(t *testing.T) {
	cases := []struct {
		name                  string
		now                   time.Time
		lifetime, minValidity time.Duration
		// issued is when the token was issued, if not now.
		issued time.Time
		want   time.Duration // after issued
	}{
		// Three quarters of the lifetime comes first: 15m left > 1m.
		{name: "an hour, default min_validity", lifetime: time.Hour, minValidity: time.Minute, want: 45 * time.Minute},
		// min_validity comes first: renewed with 45m left.
		{name: "an hour, min_validity 45m", lifetime: time.Hour, minValidity: 45 * time.Minute, want: 15 * time.Minute},
		{name: "exactly a quarter", lifetime: 4 * time.Minute, minValidity: time.Minute, want: 3 * time.Minute},
		{name: "just over min_validity", lifetime: 61 * time.Second, minValidity: time.Minute, want: time.Second},
		// No renewal can serve min_validity: half the lifetime.
		{name: "shorter than min_validity", lifetime: 3 * time.Second, minValidity: time.Minute, want: 1500 * time.Millisecond},
		{name: "equal to min_validity", lifetime: time.Minute, minValidity: time.Minute, want: 30 * time.Second},
		// Never sooner than MinInterval from now.
		{name: "storm guard", lifetime: 60500 * time.Millisecond, minValidity: time.Minute, want: time.Second},
		// A token shared from earlier in the run, already past its renewal
		// point: renewed a second from now, not at once.
		{name: "late", issued: t0.Add(-50 * time.Minute), lifetime: time.Hour, minValidity: time.Minute,
			want: 50*time.Minute + time.Second},
		// With under two seconds left, at half of what is left.
		{name: "nearly expired", issued: t0.Add(-3599 * time.Second), lifetime: time.Hour, minValidity: time.Minute,
			want: 3599*time.Second + 500*time.Millisecond},
		{name: "expired", issued: t0.Add(-2 * time.Hour), lifetime: time.Hour, minValidity: time.Minute,
			want: 2 * time.Hour},
	}
	for _, tc := range cases {
		issued := tc.issued
		if issued.IsZero() {
			issued = t0
		}
		got := NextRenewal(t0, issued.Add(tc.lifetime), tc.lifetime, tc.minValidity)
		if want := issued.Add(tc.want); !got.Equal(want) {
			t.Errorf("%s: NextRenewal = issued + %s, want issued + %s", tc.name, got.Sub(issued), tc.want)
		}
	}
}

func TestRetry(t *testing.T) {
	hour := t0.Add(time.Hour)
	cases := []struct {
		name     string
		now      time.Time
		expires  time.Time
		failures int
		want     time.Duration // after now
		expired  bool
	}{
		{"first failure", t0, hour, 1, 5 * time.Second, false},
		{"second doubles", t0, hour, 2, 10 * time.Second, false},
		{"fourth", t0, hour, 4, 40 * time.Second, false},
		{"capped at a minute", t0, hour, 5, time.Minute, false},
		{"many failures stay capped", t0, hour, 1000, time.Minute, false},
		// Half of what is left, so more attempts fit before expiry.
		{"short life left", t0, t0.Add(6 * time.Second), 1, 3 * time.Second, false},
		{"a second left", t0, t0.Add(time.Second), 3, 500 * time.Millisecond, false},
		{"never below RetryMin", t0, t0.Add(100 * time.Millisecond), 1, RetryMin, false},
		{"expired now", t0, t0, 1, 0, true},
		{"expired before", t0, t0.Add(-time.Second), 7, 0, true},
	}
	for _, tc := range cases {
		at, expired := Retry(tc.now, tc.expires, tc.failures)
		if expired != tc.expired {
			t.Errorf("%s: expired = %v, want %v", tc.name, expired, tc.expired)
			continue
		}
		if !expired && !at.Equal(tc.now.Add(tc.want)) {
			t.Errorf("%s: retry after %s, want %s", tc.name, at.Sub(tc.now), tc.want)
		}
	}
}

// A run of failures from the renewal point of a short token to its expiry:
// every retry comes before the token expires, and the schedule gives up
// only once it has.
func TestRetryUntilExpiry(t *testing.T) {
	expires := t0.Add(90 * time.Second)
	now := NextRenewal(t0, expires, 90*time.Second, time.Minute) // 1m left
	var attempts int
	for failures := 1; ; failures++ {
		at, expired := Retry(now, expires, failures)
		if expired {
			break
		}
		if !at.After(now) {
			t.Fatalf("retry %d at %s is not after the failure at %s", failures, at, now)
		}
		attempts++
		now = at
		if attempts > 100 {
			t.Fatal("the schedule never gives up")
		}
	}
	if attempts < 5 {
		t.Errorf("only %d retries in the minute the token had left", attempts)
	}
}
