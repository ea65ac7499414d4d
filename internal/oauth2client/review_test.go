package oauth2client

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A refresh token may have been used by an attempt the server processed:
// only failures that never reached the grant logic are retried.
func TestFetch_refreshGrantRetriedOnlyWhenUnprocessed(t *testing.T) {
	for status, want := range map[int]int32{502: 1, 500: 1, 503: 3, 429: 3} {
		var calls atomic.Int32
		url := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			w.WriteHeader(status)
		}))
		_, _, err := newTestClient().Fetch(t.Context(), Request{TokenURL: url, ClientID: "id", ClientAuth: SecretBasic{Secret: "pw1"}, Grant: RefreshToken{RefreshToken: "rt-1"}})
		if err == nil {
			t.Fatal("want an error")
		}
		if n := calls.Load(); n != want {
			t.Errorf("status %d: %d requests, want %d", status, n, want)
		}
	}
}

func TestFetch_echoedAssertionIsRedacted(t *testing.T) {
	url := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"invalid_client","error_description":"bad assertion ` + r.PostForm.Get("client_assertion") + `"}`))
	}))
	_, _, err := newTestClient().Fetch(t.Context(), Request{
		TokenURL: url, ClientID: "app", ClientAuth: SecretJWT{Secret: strings.Repeat("s", 40)},
	})
	if err == nil || strings.Contains(err.Error(), "eyJ") || !strings.Contains(err.Error(), "bad assertion [REDACTED]") {
		t.Errorf("error text:\n%v", err)
	}
}

func TestFetch_successBodyThatIsNotATokenIsWithheld(t *testing.T) {
	url := respond(t, 200, "text/plain", "bare-issued-token-value-123")
	_, _, err := newTestClient().Fetch(t.Context(), Request{TokenURL: url, ClientID: "id", ClientAuth: SecretBasic{Secret: "pw1"}})
	if err == nil || strings.Contains(err.Error(), "bare-issued-token") || !strings.Contains(err.Error(), "27 bytes, not shown") {
		t.Errorf("error text:\n%v", err)
	}
}

func TestFetch_credentialHeaderValueIsRedacted(t *testing.T) {
	url := respond(t, 401, "text/html", "<html>key apikey-0123456789 is not valid</html>")
	_, _, err := newTestClient().Fetch(t.Context(), Request{
		TokenURL: url, ClientID: "id", ClientAuth: NoClientAuth{}, Headers: map[string]string{"Authorization": "Bearer apikey-0123456789"},
	})
	if err == nil || strings.Contains(err.Error(), "apikey-0123456789") {
		t.Errorf("error text:\n%v", err)
	}
}

func TestCache_leaderCancellationDoesNotFailOthers(t *testing.T) {
	cache, _, _ := newCacheTest(300)
	release, started := make(chan struct{}), make(chan struct{})
	leaderCtx, cancelLeader := context.WithCancel(t.Context())
	fetch := func(ctx context.Context) (*Token, Outcome, error) {
		close(started)
		<-release
		if ctx.Err() != nil {
			return nil, Outcome{}, ctx.Err()
		}
		exp := fixedNow.Add(300 * time.Second)
		n := int64(300)
		return &Token{AccessToken: "shared", ExpiresIn: &n, ExpiresAt: &exp}, Outcome{Status: 200}, nil
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, _, _, _ = cache.Get(leaderCtx, ConsumerDataSource, cacheReq, DefaultMinValidity, false, fetch)
	}()
	<-started
	var follower error
	var tok *Token
	wg.Add(1)
	go func() {
		defer wg.Done()
		tok, _, _, follower = cache.Get(t.Context(), ConsumerDataSource, cacheReq, DefaultMinValidity, false, fetch)
	}()
	cancelLeader()
	time.AfterFunc(0, func() { close(release) })
	wg.Wait()
	if follower != nil || tok == nil || tok.AccessToken != "shared" {
		t.Fatalf("follower got %v, %v", tok, follower)
	}
}

func TestCache_minValidityIsPerCaller(t *testing.T) {
	cache, iss, _ := newCacheTest(120)
	if _, _, _, err := cache.Get(t.Context(), ConsumerDataSource, cacheReq, DefaultMinValidity, false, iss.fetch); err != nil {
		t.Fatal(err)
	}
	_, _, _, err := cache.Get(t.Context(), ConsumerDataSource, cacheReq, 10*time.Minute, true, iss.fetch)
	var short *TooShortError
	if !errors.As(err, &short) {
		t.Fatalf("a caller asking for 10m got %v, want a TooShortError", err)
	}
}
