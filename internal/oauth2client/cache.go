package oauth2client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"reflect"
	"sort"
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

// Get returns a token for req, for a consumer of the given kind, that has at least minValidity left, from the
// cache or from fetch. explicit says whether minValidity was configured:
// then a fresh token that lives shorter is an error (*TooShortError);
// otherwise it is handed out, and shared for half its lifetime.
func (c *Cache) Get(ctx context.Context, consumer string, req Request, minValidity time.Duration, explicit bool,
	fetch func(context.Context) (*Token, Outcome, error)) (tok *Token, outcome Outcome, source string, err error) {
	key := CacheKey(consumer, req)
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
		// The server gave no lifetime. Under the default min_validity the
		// token is good for the run, the best guess there is; an explicit
		// min_validity asks for a lifetime nothing here vouches for, so
		// the token serves its own request only.
		if explicit {
			return nil
		}
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

// Consumers of a token. Their tokens are never shared: a data source writes
// its token to the state, so one shared with an ephemeral resource would not
// be ephemeral.
const (
	ConsumerDataSource = "data source"
	ConsumerEphemeral  = "ephemeral resource"
)

// CacheKey identifies a token request by everything in it, for consumer:
// a SHA-256 digest of the whole Request value, walked field by field (the
// grant and client authentication included, whatever their types), so a
// field added later is part of the key without anyone listing it, and the
// secrets in the request never exist in the cache in plain.
func CacheKey(consumer string, req Request) string {
	h := sha256.New()
	writeKey(h, reflect.ValueOf(consumer))
	writeKey(h, reflect.ValueOf(req))
	return hex.EncodeToString(h.Sum(nil))
}

// keyer is implemented by values whose fields cannot be walked (a signing
// key holds a crypto.Signer); it returns what identifies the value.
type keyer interface{ cacheKey() string }

// writeKey writes an unambiguous encoding of v: each value is prefixed by
// its kind (and an interface's dynamic type) and each variable-length part
// by its length, and map keys are sorted.
func writeKey(w io.Writer, v reflect.Value) {
	if !v.IsValid() {
		_, _ = io.WriteString(w, "nil;")
		return
	}
	if v.CanInterface() {
		if k, ok := v.Interface().(keyer); ok && (v.Kind() != reflect.Pointer || !v.IsNil()) {
			s := k.cacheKey()
			_, _ = fmt.Fprintf(w, "key%d:%s;", len(s), s)
			return
		}
	}
	switch v.Kind() {
	case reflect.String:
		_, _ = fmt.Fprintf(w, "s%d:%s;", v.Len(), v.String())
	case reflect.Bool:
		_, _ = fmt.Fprintf(w, "b%t;", v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		_, _ = fmt.Fprintf(w, "i%d;", v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		_, _ = fmt.Fprintf(w, "u%d;", v.Uint())
	case reflect.Float32, reflect.Float64:
		_, _ = fmt.Fprintf(w, "f%v;", v.Float())
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			_, _ = io.WriteString(w, "nil;")
			return
		}
		if v.Kind() == reflect.Interface {
			_, _ = fmt.Fprintf(w, "T%s;", v.Elem().Type())
		}
		writeKey(w, v.Elem())
	case reflect.Struct:
		_, _ = fmt.Fprintf(w, "{%d;", v.NumField())
		for i := range v.NumField() {
			_, _ = fmt.Fprintf(w, "%s=", v.Type().Field(i).Name)
			writeKey(w, v.Field(i))
		}
		_, _ = io.WriteString(w, "}")
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			_, _ = io.WriteString(w, "nil;")
			return
		}
		_, _ = fmt.Fprintf(w, "[%d;", v.Len())
		for i := range v.Len() {
			writeKey(w, v.Index(i))
		}
		_, _ = io.WriteString(w, "]")
	case reflect.Map:
		if v.IsNil() {
			_, _ = io.WriteString(w, "nil;")
			return
		}
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
		_, _ = fmt.Fprintf(w, "m%d;", len(keys))
		for _, k := range keys {
			writeKey(w, k)
			writeKey(w, v.MapIndex(k))
		}
	default:
		// Funcs, channels: nothing a request holds.
		_, _ = fmt.Fprintf(w, "?%s;", v.Kind())
	}
}
