package oauth2client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// DefaultMinValidity is how much life a token handed out must have left
// when the configuration does not say.
const DefaultMinValidity = time.Minute

// Cache makes identical token requests once per provider process: while a
// request is in flight, identical ones wait for it, and later ones reuse its
// token while it has at least the requested validity left. Terraform reads
// every consumer of a token separately, so without it 100 consumers of one
// token cost 100 requests to the token endpoint.
type Cache struct {
	now   func() time.Time
	group singleflight.Group

	mu      sync.Mutex
	entries map[string]*Token
}

// NewCache returns an empty cache reading the time from now (time.Now when
// nil).
func NewCache(now func() time.Time) *Cache {
	if now == nil {
		now = time.Now
	}
	return &Cache{now: now, entries: map[string]*Token{}}
}

// TooShortError says a freshly issued token lives shorter than an explicitly
// configured min_validity, so no token could satisfy it.
type TooShortError struct {
	Lifetime, MinValidity time.Duration
}

func (e *TooShortError) Summary() string { return "Token Lives Shorter Than min_validity" }

func (e *TooShortError) Error() string {
	return fmt.Sprintf("The server issued a token valid for %s, but min_validity asks for at least %s of "+
		"validity left whenever a token is handed out. Lower min_validity below %s, or have the server issue "+
		"longer-lived tokens.", e.Lifetime, e.MinValidity, e.Lifetime)
}

// Where a token handed out by Cache.Get came from, for logging.
const (
	SourceRequest = "request"        // this call's own request
	SourceShared  = "shared request" // a request made for identical calls at the same time
	SourceCache   = "cache"          // a token issued earlier in this process
)

// Get returns a token for req that has at least minValidity left, from the
// cache or from fetch. explicit says whether minValidity was configured:
// then a fresh token that lives shorter is an error (*TooShortError);
// otherwise it is handed out, and shared for half its lifetime.
func (c *Cache) Get(ctx context.Context, req Request, minValidity time.Duration, explicit bool,
	fetch func(context.Context) (*Token, Outcome, error)) (tok *Token, outcome Outcome, source string, err error) {
	key := CacheKey(req)
	if tok := c.lookup(key, minValidity, explicit); tok != nil {
		return tok, Outcome{}, SourceCache, nil
	}

	type result struct {
		tok     *Token
		outcome Outcome
		source  string
	}
	ch := c.group.DoChan(key, func() (any, error) {
		// A caller that waited for another's request may find its
		// token here.
		if tok := c.lookup(key, minValidity, explicit); tok != nil {
			return result{tok: tok, source: SourceCache}, nil
		}
		// The request serves every caller that joins it, so one caller
		// giving up (its context ends) must not fail the others: each
		// waits on its own context below, and the Client's timeout bounds
		// the request.
		tok, outcome, err := fetch(context.WithoutCancel(ctx))
		if err != nil {
			return result{outcome: outcome}, err
		}
		c.mu.Lock()
		c.entries[key] = tok
		c.mu.Unlock()
		return result{tok: tok, outcome: outcome, source: SourceRequest}, nil
	})
	select {
	case <-ctx.Done():
		return nil, Outcome{}, "", ctx.Err()
	case r := <-ch:
		res, _ := r.Val.(result)
		if r.Err != nil {
			return nil, res.outcome, "", r.Err
		}
		if r.Shared && res.source == SourceRequest {
			res.source = SourceShared
		}
		// Checked per caller: callers sharing one request may ask for
		// different validities.
		if res.tok.ExpiresIn != nil && explicit {
			if lifetime := time.Duration(*res.tok.ExpiresIn) * time.Second; lifetime < minValidity {
				return nil, res.outcome, res.source, &TooShortError{Lifetime: lifetime, MinValidity: minValidity}
			}
		}
		return res.tok, res.outcome, res.source, nil
	}
}

// lookup returns the cached token for key if it is still valid enough: it
// has minValidity left or, when minValidity is the default and longer than
// the token's whole lifetime, half that lifetime.
func (c *Cache) lookup(key string, minValidity time.Duration, explicit bool) *Token {
	c.mu.Lock()
	defer c.mu.Unlock()
	tok, ok := c.entries[key]
	if !ok {
		return nil
	}
	if tok.ExpiresAt == nil {
		// The server gave no lifetime: the token is good for as long as the
		// server says it is, which within one run is the best guess there is.
		return tok
	}
	need := minValidity
	if lifetime := time.Duration(valueOf(tok.ExpiresIn)) * time.Second; lifetime < need && !explicit {
		need = lifetime / 2
	}
	if tok.ExpiresAt.Sub(c.now()) < need {
		delete(c.entries, key)
		return nil
	}
	return tok
}

func valueOf(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// CacheKey identifies a token request by everything that can change the
// token the server issues. It is a SHA-256 digest, so the secrets in the
// request never exist in the cache in plain.
func CacheKey(req Request) string {
	signing := ""
	if req.SigningKey != nil {
		signing = req.SigningKey.Algorithm() + "/" + req.SigningKey.KeyID() + "/" + req.SigningKey.fingerprint()
	}
	canonical, _ := json.Marshal(struct {
		TokenURL, ClientID, ClientSecret, ClientAuth, Grant  string
		Username, Password, RefreshToken, Assertion, Signing string
		Claims                                               map[string]any
		SubjectToken, SubjectTokenType                       string
		ActorToken, ActorTokenType, RequestedTokenType       string
		Scopes, Resources                                    []string
		Audience, ParamsIn                                   string
		ExtraParams, Headers                                 map[string]string
	}{
		req.TokenURL, req.ClientID, req.ClientSecret, req.clientAuth(), req.Grant(),
		req.Username, req.Password, req.RefreshToken, req.Assertion, signing,
		req.AssertionClaims,
		req.SubjectToken, req.SubjectTokenType,
		req.ActorToken, req.ActorTokenType, req.RequestedTokenType,
		req.Scopes, req.Resources,
		req.Audience, req.ParamsIn,
		req.ExtraParams, req.Headers,
	})
	sum := sha256.Sum256(canonical)
	return hex.EncodeToString(sum[:])
}
