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

var cacheReq = Request{TokenURL: "https://a.example/token", ClientID: "id", ClientAuth: SecretBasic{Secret: "secret"}, Scopes: []string{"a"}}

func TestCache_concurrentIdenticalRequestsMakeOne(t *testing.T) {
	cache, iss, _ := newCacheTest(300)
	var wg sync.WaitGroup
	tokens := make([]string, 100)
	for i := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, _, _, err := cache.Get(t.Context(), ConsumerDataSource, cacheReq, DefaultMinValidity, false, iss.fetch)
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
	otherSecret.ClientAuth = SecretBasic{Secret: "another"}
	for _, r := range []Request{cacheReq, other, otherSecret, cacheReq} {
		if _, _, _, err := cache.Get(t.Context(), ConsumerDataSource, r, DefaultMinValidity, false, iss.fetch); err != nil {
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
		tok, _, source, err := cache.Get(t.Context(), ConsumerDataSource, cacheReq, minValidity, explicit, iss.fetch)
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
	first, _, _, err := cache.Get(t.Context(), ConsumerDataSource, cacheReq, DefaultMinValidity, false, iss.fetch)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(10 * time.Second) // 20s left of 30: more than half
	if tok, _, _, _ := cache.Get(t.Context(), ConsumerDataSource, cacheReq, DefaultMinValidity, false, iss.fetch); tok != first {
		t.Error("a 30s token was not shared for half its lifetime")
	}
	clock.Advance(6 * time.Second) // 14s left
	if tok, _, _, _ := cache.Get(t.Context(), ConsumerDataSource, cacheReq, DefaultMinValidity, false, iss.fetch); tok == first {
		t.Error("a 30s token was shared past half its lifetime")
	}
}

func TestCache_noLifetimeIsReused(t *testing.T) {
	cache, iss, clock := newCacheTest(-1)
	for range 3 {
		if _, _, _, err := cache.Get(t.Context(), ConsumerDataSource, cacheReq, DefaultMinValidity, false, iss.fetch); err != nil {
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
	if _, outcome, _, err := cache.Get(t.Context(), ConsumerDataSource, cacheReq, DefaultMinValidity, false, iss.fetch); err == nil || outcome.Status != 503 {
		t.Fatalf("err %v, outcome %+v", err, outcome)
	}
	if _, _, _, err := cache.Get(t.Context(), ConsumerDataSource, cacheReq, DefaultMinValidity, false, iss.fetch); err != nil {
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
		_, _, _, _ = cache.Get(context.Background(), ConsumerDataSource, cacheReq, DefaultMinValidity, false,
			func(context.Context) (*Token, Outcome, error) {
				close(started)
				<-release
				return &Token{AccessToken: "late"}, Outcome{}, nil
			})
	}()
	<-started
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, _, _, err := cache.Get(ctx, ConsumerDataSource, cacheReq, DefaultMinValidity, false, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	close(release)
}

func TestCacheKey_holdsNoSecret(t *testing.T) {
	for _, g := range []Grant{Password{Username: "u", Password: "pw-value-123"}, RefreshToken{RefreshToken: "rt-value-456"}} {
		r := cacheReq
		r.Grant = g
		key := CacheKey(ConsumerDataSource, r)
		for _, s := range append(g.secrets(), "secret") {
			if strings.Contains(key, s) {
				t.Errorf("key contains %q", s)
			}
		}
		if len(key) != 64 {
			t.Errorf("key %q is not a SHA-256 digest", key)
		}
	}
}

// A data source writes its token to the state; an ephemeral resource's
// token must never be one that is there, nor the other way round.
func TestCache_consumersNeverShare(t *testing.T) {
	get := func(cache *Cache, iss *issuer, consumer string) string {
		t.Helper()
		tok, _, _, err := cache.Get(t.Context(), consumer, cacheReq, DefaultMinValidity, false, iss.fetch)
		if err != nil {
			t.Fatal(err)
		}
		return tok.AccessToken
	}
	for name, order := range map[string][2]string{
		"ephemeral first":   {ConsumerEphemeral, ConsumerDataSource},
		"data source first": {ConsumerDataSource, ConsumerEphemeral},
	} {
		t.Run(name, func(t *testing.T) {
			cache, iss, _ := newCacheTest(300)
			first := get(cache, iss, order[0])
			second := get(cache, iss, order[1])
			if first == second || iss.calls.Load() != 2 {
				t.Fatalf("%s got %q and %s got %q after %d requests: want two tokens from two requests",
					order[0], first, order[1], second, iss.calls.Load())
			}
			// Consumers of one kind share.
			if again := get(cache, iss, order[0]); again != first {
				t.Errorf("a second %s got %q, want the first's %q", order[0], again, first)
			}
			if again := get(cache, iss, order[1]); again != second {
				t.Errorf("a second %s got %q, want the first's %q", order[1], again, second)
			}
			if n := iss.calls.Load(); n != 2 {
				t.Errorf("%d requests for two consumers of each kind, want 2", n)
			}
		})
	}

	t.Run("no joining a request in flight", func(t *testing.T) {
		cache, iss, _ := newCacheTest(300)
		started, release := make(chan struct{}), make(chan struct{})
		defer close(release)
		type got struct {
			token, source string
			err           error
		}
		ephemeral := make(chan got, 1)
		go func() {
			tok, _, source, err := cache.Get(context.Background(), ConsumerEphemeral, cacheReq, DefaultMinValidity, false,
				func(ctx context.Context) (*Token, Outcome, error) {
					close(started)
					<-release
					return iss.fetch(ctx)
				})
			if err != nil {
				ephemeral <- got{err: err}
				return
			}
			ephemeral <- got{tok.AccessToken, source, nil}
		}()
		<-started
		// The ephemeral resource's request stays in flight until release: a
		// data source that joined it would not come back before.
		dataSource := make(chan got, 1)
		go func() {
			tok, _, source, err := cache.Get(t.Context(), ConsumerDataSource, cacheReq, DefaultMinValidity, false, iss.fetch)
			if err != nil {
				dataSource <- got{err: err}
				return
			}
			dataSource <- got{tok.AccessToken, source, nil}
		}()
		var ds got
		select {
		case ds = <-dataSource:
		case <-time.After(time.Minute): // A deadlock guard, not a timing.
			t.Fatal("the data source waited for the ephemeral resource's request")
		}
		release <- struct{}{}
		eph := <-ephemeral
		if ds.err != nil || eph.err != nil {
			t.Fatalf("errors %v, %v", ds.err, eph.err)
		}
		if ds.token == eph.token || ds.source != SourceRequest || eph.source != SourceRequest {
			t.Errorf("the data source got %q from %s, the ephemeral resource %q from %s", ds.token, ds.source, eph.token, eph.source)
		}
	})
}
