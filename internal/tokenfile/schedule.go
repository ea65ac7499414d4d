package tokenfile

import "time"

// The schedule of a token file: when the token it holds is replaced, how
// soon a failed replacement is tried again, and when there is no point
// any more. Pure functions of the times given, so they are tested without
// a clock.

const (
	// MinInterval is the least time between two renewals, so that a token
	// that barely outlives min_validity does not have the provider ask for
	// a new one in a tight loop.
	MinInterval = time.Second
	// RetryFirst is the wait after the first failed renewal; each further
	// failure doubles it, up to RetryMax, and never past half of the life
	// the file's token has left.
	RetryFirst = 5 * time.Second
	// RetryMax is the longest wait between two attempts.
	RetryMax = time.Minute
	// RetryMin is the shortest wait between two attempts, near the end of
	// the token's life.
	RetryMin = 250 * time.Millisecond
)

// NextRenewal is when a token that lives lifetime and expires at expires
// is replaced, seen at now: when it has minValidity left, or at three
// quarters of its lifetime when that comes first. A token that lives no
// longer than minValidity, which no renewal could serve, is replaced at
// half its lifetime. The result is never sooner than MinInterval from now
// (or half of what the token has left, when that is less).
func NextRenewal(now, expires time.Time, lifetime, minValidity time.Duration) time.Time {
	lead := max(minValidity, lifetime/4)
	if lead >= lifetime {
		lead = lifetime / 2
	}
	at := expires.Add(-lead)
	floor := MinInterval
	if left := expires.Sub(now); left/2 < floor {
		floor = max(left/2, 0)
	}
	if earliest := now.Add(floor); at.Before(earliest) {
		at = earliest
	}
	return at
}

// Retry is when to try again after the failures-th renewal in a row failed
// at now, while the file holds a token that expires at expires. expired is
// true when that token has expired: nothing the file holds is of use any
// more, and the caller stops. Otherwise the wait doubles from RetryFirst
// with each failure, up to RetryMax, but is at most half of the token's
// remaining life (and at least RetryMin), so several attempts fit into
// the time the old token has left.
func Retry(now, expires time.Time, failures int) (at time.Time, expired bool) {
	left := expires.Sub(now)
	if left <= 0 {
		return time.Time{}, true
	}
	wait := RetryFirst
	for i := 1; i < failures && wait < RetryMax; i++ {
		wait *= 2
	}
	wait = min(wait, RetryMax, left/2)
	wait = max(wait, RetryMin)
	return now.Add(wait), false
}
