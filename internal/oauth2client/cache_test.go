package oauth2client

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// issuer counts fetches and issues numbered tokens living lifetime seconds
// (no lifetime when negative).
type issuer struct {
	clock    *fakeClock
	lifetime int64
	calls    atomic.Int32
	failNext atomic.Bool
}

func (i *issuer) fetch(context.Context) (*Token, Outcome, error) {
	n := i.calls.Add(1)
	if i.failNext.CompareAndSwap(true, false) {
		return nil, Outcome{Status: 503}, errors.New("unavailable")
	}
	tok := &Token{AccessToken: "token-" + strings.Repeat("x", int(n))}
	if i.lifetime >= 0 {
		exp := i.clock.Now().Add(time.Duration(i.lifetime) * time.Second)
		tok.ExpiresIn, tok.ExpiresAt = &i.lifetime, &exp
	}
	return tok, Outcome{Status: 200}, nil
}

func newCacheTest(lifetime int64) (*Cache, *issuer, *fakeClock) {
	clock := &fakeClock{t: fixedNow}
	return NewCache(clock.Now), &issuer{clock: clock, lifetime: lifetime}, clock
}

var cacheReq = Request{TokenURL: "https://a.example/token", ClientID: "id", ClientSecret: "secret", Scopes: []string{"a"}}

func TestCache_concurrentIdenticalRequestsMakeOne(t *testing.T) {
	cache, iss, _ := newCacheTest(300)
	var wg sync.WaitGroup
	tokens := make([]string, 100)
	for i := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, _, _, err := cache.Get(t.Context(), cacheReq, DefaultMinValidity, false, iss.fetch)
			if err != nil {
				t.Error(err)
				return
			}
			tokens[i] = tok.AccessToken
		}()
	}
	wg.Wait()
	// Whether a caller joined the request in flight or came after it, it
	// got the one token: the count does not depend on timing.
	if n := iss.calls.Load(); n != 1 {
		t.Fatalf("%d requests for 100 identical consumers, want 1", n)
	}
	for _, tok := range tokens {
		if tok != tokens[0] {
			t.Fatalf("consumers got different tokens: %q and %q", tok, tokens[0])
		}
	}
}

func TestCache_differentRequestsDoNotShare(t *testing.T) {
	cache, iss, _ := newCacheTest(300)
	other := cacheReq
	other.Scopes = []string{"b"}
	otherSecret := cacheReq
	otherSecret.ClientSecret = "another"
	for _, r := range []Request{cacheReq, other, otherSecret, cacheReq} {
		if _, _, _, err := cache.Get(t.Context(), r, DefaultMinValidity, false, iss.fetch); err != nil {
			t.Fatal(err)
		}
	}
	if n := iss.calls.Load(); n != 3 {
		t.Fatalf("%d requests, want 3", n)
	}
}

func TestCache_minValidity(t *testing.T) {
	cache, iss, clock := newCacheTest(300)
	get := func(minValidity time.Duration, explicit bool) (string, string, error) {
		tok, _, source, err := cache.Get(t.Context(), cacheReq, minValidity, explicit, iss.fetch)
		if err != nil {
			return "", "", err
		}
		return tok.AccessToken, source, nil
	}
	first, source, _ := get(DefaultMinValidity, false)
	if source != SourceRequest {
		t.Errorf("first source = %q", source)
	}
	clock.Advance(239 * time.Second) // 61s left
	if tok, source, _ := get(DefaultMinValidity, false); tok != first || source != SourceCache {
		t.Errorf("with 61s left, got %q from %s, want the cached token", tok, source)
	}
	clock.Advance(2 * time.Second) // 59s left
	if tok, _, _ := get(DefaultMinValidity, false); tok == first {
		t.Error("a token with 59s left was handed out under min_validity 1m")
	}
	if _, _, err := get(10*time.Minute, true); err == nil {
		t.Fatal("want an error for a 5m token under an explicit min_validity of 10m")
	} else {
		var short *TooShortError
		if !errors.As(err, &short) || !strings.Contains(err.Error(), "5m0s") || !strings.Contains(err.Error(), "10m0s") {
			t.Errorf("error = %v", err)
		}
	}
}

func TestCache_shortLivedTokensUnderTheDefault(t *testing.T) {
	cache, iss, clock := newCacheTest(30)
	first, _, _, err := cache.Get(t.Context(), cacheReq, DefaultMinValidity, false, iss.fetch)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(10 * time.Second) // 20s left of 30: more than half
	if tok, _, _, _ := cache.Get(t.Context(), cacheReq, DefaultMinValidity, false, iss.fetch); tok != first {
		t.Error("a 30s token was not shared for half its lifetime")
	}
	clock.Advance(6 * time.Second) // 14s left
	if tok, _, _, _ := cache.Get(t.Context(), cacheReq, DefaultMinValidity, false, iss.fetch); tok == first {
		t.Error("a 30s token was shared past half its lifetime")
	}
}

func TestCache_noLifetimeIsReused(t *testing.T) {
	cache, iss, clock := newCacheTest(-1)
	for range 3 {
		if _, _, _, err := cache.Get(t.Context(), cacheReq, DefaultMinValidity, false, iss.fetch); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Hour)
	}
	if n := iss.calls.Load(); n != 1 {
		t.Fatalf("%d requests, want 1", n)
	}
}

func TestCache_errorsAreNotKept(t *testing.T) {
	cache, iss, _ := newCacheTest(300)
	iss.failNext.Store(true)
	if _, outcome, _, err := cache.Get(t.Context(), cacheReq, DefaultMinValidity, false, iss.fetch); err == nil || outcome.Status != 503 {
		t.Fatalf("err %v, outcome %+v", err, outcome)
	}
	if _, _, _, err := cache.Get(t.Context(), cacheReq, DefaultMinValidity, false, iss.fetch); err != nil {
		t.Fatal(err)
	}
	if n := iss.calls.Load(); n != 2 {
		t.Fatalf("%d requests, want 2", n)
	}
}

func TestCache_waiterHonoursItsContext(t *testing.T) {
	cache, _, _ := newCacheTest(300)
	release := make(chan struct{})
	started := make(chan struct{})
	go func() {
		_, _, _, _ = cache.Get(context.Background(), cacheReq, DefaultMinValidity, false,
			func(context.Context) (*Token, Outcome, error) {
				close(started)
				<-release
				return &Token{AccessToken: "late"}, Outcome{}, nil
			})
	}()
	<-started
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, _, _, err := cache.Get(ctx, cacheReq, DefaultMinValidity, false, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	close(release)
}

func TestCacheKey_holdsNoSecret(t *testing.T) {
	r := cacheReq
	r.Password, r.RefreshToken = "pw-value-123", "rt-value-456"
	key := CacheKey(r)
	for _, s := range []string{r.ClientSecret, r.Password, r.RefreshToken} {
		if strings.Contains(key, s) {
			t.Errorf("key contains %q", s)
		}
	}
	if len(key) != 64 {
		t.Errorf("key %q is not a SHA-256 digest", key)
	}
}
