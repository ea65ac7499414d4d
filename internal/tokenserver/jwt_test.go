package tokenserver

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

const (
	jwtID     = "jwt-client"
	jwtSecret = "jwt secret+/="
)

var jwtNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// newJWTServer serves a server issuing JWTs to jwt-client and opaque
// tokens to the others, on a fixed clock.
func newJWTServer(t *testing.T, opts Options) (*Server, string) {
	t.Helper()
	opts.Clients = append(testClients(), Client{ID: jwtID, Secret: jwtSecret, Auth: AuthBasic, JWTAccessTokens: true})
	if opts.JWT == nil {
		opts.JWT = &JWTOptions{Audience: []string{"https://api.example.com"}}
	}
	s := New(opts)
	s.now = func() time.Time { return jwtNow }
	return s, serve(t, s)
}

func fetchJWKS(t *testing.T, url string) jose.JSONWebKeySet {
	t.Helper()
	hr, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer hr.Body.Close()
	raw, _ := io.ReadAll(hr.Body)
	if hr.StatusCode != http.StatusOK || hr.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET %s: %d %s, body %s", url, hr.StatusCode, hr.Header.Get("Content-Type"), raw)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(raw, &set); err != nil {
		t.Fatalf("JWKS %s: %v", raw, err)
	}
	return set
}

// verify checks token's signature with the key of set its kid names and
// returns its claims, decoded twice: into go-jose's registered claims and
// into a map, to see exactly which claims there are.
func verify(t *testing.T, set jose.JSONWebKeySet, token string) (jwt.Claims, map[string]any) {
	t.Helper()
	parsed, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatalf("access token is not a signed JWT: %v", err)
	}
	h := parsed.Headers[0]
	if h.ExtraHeaders["typ"] != "at+jwt" {
		t.Errorf("typ header = %v, want at+jwt (RFC 9068)", h.ExtraHeaders["typ"])
	}
	keys := set.Key(h.KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %q names %d keys of the JWKS, want 1", h.KeyID, len(keys))
	}
	var std jwt.Claims
	var all map[string]any
	if err := parsed.Claims(keys[0].Key, &std, &all); err != nil {
		t.Fatalf("signature does not verify against the JWKS: %v", err)
	}
	return std, all
}

func TestJWTAccessTokens(t *testing.T) {
	s, base := newJWTServer(t, Options{
		Users:         []User{{Username: "alice", Password: "pw"}},
		RefreshTokens: true,
	})
	set := fetchJWKS(t, base+"/jwks")
	if len(set.Keys) != 1 {
		t.Fatalf("JWKS has %d keys, want 1", len(set.Keys))
	}
	if k := set.Keys[0]; !k.IsPublic() || k.Algorithm != "RS256" || k.Use != "sig" || k.KeyID == "" {
		t.Errorf("JWKS key: public=%v alg=%q use=%q kid=%q; want a public RS256 signing key with a kid", k.IsPublic(), k.Algorithm, k.Use, k.KeyID)
	}

	auth := basic(jwtID, jwtSecret)
	r := do(t, base, req{body: form("grant_type", "client_credentials", "scope", "api.read api.write"), auth: auth})
	check(t, r, want{scope: "api.read api.write"})
	token := r.str("access_token")
	std, all := verify(t, set, token)
	if std.Issuer != base {
		t.Errorf("iss = %q, want the server's origin %q", std.Issuer, base)
	}
	if std.Subject != jwtID || all["client_id"] != jwtID {
		t.Errorf("sub = %q, client_id = %v; want both %q", std.Subject, all["client_id"], jwtID)
	}
	if all["aud"] != "https://api.example.com" {
		t.Errorf("aud = %v, want the default audience as a string", all["aud"])
	}
	if all["scope"] != "api.read api.write" {
		t.Errorf("scope = %v", all["scope"])
	}
	if !std.IssuedAt.Time().Equal(jwtNow) || !std.Expiry.Time().Equal(jwtNow.Add(time.Hour)) {
		t.Errorf("iat = %v, exp = %v; want %v and an hour later (expires_in %v)", std.IssuedAt.Time(), std.Expiry.Time(), jwtNow, r.fields["expires_in"])
	}
	if std.ID == "" {
		t.Error("no jti")
	}
	wantClaims := []string{"aud", "client_id", "exp", "iat", "iss", "jti", "scope", "sub"}
	if got := slices.Sorted(maps.Keys(all)); !slices.Equal(got, wantClaims) {
		t.Errorf("claims %v, want %v", got, wantClaims)
	}
	if !s.Active(token) {
		t.Error("the JWT is not an active token of the server")
	}

	// Each token has its own jti.
	again := do(t, base, req{body: form("grant_type", "client_credentials"), auth: auth}).str("access_token")
	if std2, _ := verify(t, set, again); std2.ID == std.ID {
		t.Errorf("two tokens share jti %q", std.ID)
	}

	// The audience and resource parameters become aud, in that order.
	r = do(t, base, req{body: form("grant_type", "client_credentials",
		"audience", "orders", "resource", "https://a.example.com/", "resource", "https://b.example.com/"), auth: auth})
	check(t, r, want{})
	if std, _ := verify(t, set, r.str("access_token")); !slices.Equal(std.Audience, jwt.Audience{"orders", "https://a.example.com/", "https://b.example.com/"}) {
		t.Errorf("aud = %q", std.Audience)
	}

	// A password grant speaks for the user, and so does its refresh.
	r = do(t, base, req{body: form("grant_type", "password", "username", "alice", "password", "pw", "scope", "a b"), auth: auth})
	check(t, r, want{scope: "a b"})
	if std, _ := verify(t, set, r.str("access_token")); std.Subject != "alice" {
		t.Errorf("password grant: sub = %q, want alice", std.Subject)
	}
	r = do(t, base, req{body: form("grant_type", "refresh_token", "refresh_token", r.str("refresh_token"), "scope", "a"), auth: auth})
	check(t, r, want{scope: "a"})
	if std, all := verify(t, set, r.str("access_token")); std.Subject != "alice" || all["scope"] != "a" {
		t.Errorf("refreshed: sub = %q, scope = %v; want alice, a", std.Subject, all["scope"])
	}

	// The other clients of the same server still get opaque tokens.
	r = do(t, base, req{body: form("grant_type", "client_credentials"), auth: basic(basicID, basicSecret)})
	check(t, r, want{})
	if _, err := jwt.ParseSigned(r.str("access_token"), []jose.SignatureAlgorithm{jose.RS256}); err == nil {
		t.Error("a client without JWTAccessTokens got a JWT")
	}
}

func TestJWTKeyPerServer(t *testing.T) {
	_, base1 := newJWTServer(t, Options{})
	_, base2 := newJWTServer(t, Options{})
	set1, set2 := fetchJWKS(t, base1+"/jwks"), fetchJWKS(t, base2+"/jwks")
	if set1.Keys[0].KeyID == set2.Keys[0].KeyID {
		t.Fatal("two servers have the same key ID")
	}
	token := do(t, base2, req{body: form("grant_type", "client_credentials"), auth: basic(jwtID, jwtSecret)}).str("access_token")
	parsed, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	var c jwt.Claims
	if err := parsed.Claims(set1.Keys[0].Key, &c); err == nil {
		t.Error("a token of one server verifies with another server's key")
	}
}

func TestJWTOptions(t *testing.T) {
	_, base := newJWTServer(t, Options{
		ExpiresIn: -1,
		Path:      "/oauth/token",
		JWT:       &JWTOptions{Issuer: "https://issuer.example.com", JWKSPath: "/keys"},
	})
	set := fetchJWKS(t, base+"/keys")
	token := do(t, base, req{path: "/oauth/token", body: form("grant_type", "client_credentials"), auth: basic(jwtID, jwtSecret)}).str("access_token")
	std, all := verify(t, set, token)
	if std.Issuer != "https://issuer.example.com" {
		t.Errorf("iss = %q, want the configured issuer", std.Issuer)
	}
	for _, claim := range []string{"exp", "aud", "scope"} {
		if v, ok := all[claim]; ok {
			t.Errorf("%s = %v, want none (no expiry, audience or scope)", claim, v)
		}
	}

	for _, tc := range []struct{ method, path string }{{http.MethodPost, "/keys"}, {http.MethodGet, "/jwks"}} {
		hr, err := http.DefaultClient.Do(mustRequest(t, tc.method, base+tc.path))
		if err != nil {
			t.Fatal(err)
		}
		hr.Body.Close()
		if wantStatus := map[string]int{"/keys": http.StatusMethodNotAllowed, "/jwks": http.StatusNotFound}[tc.path]; hr.StatusCode != wantStatus {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, hr.StatusCode, wantStatus)
		}
	}
}

func TestNoJWKSWithoutJWT(t *testing.T) {
	_, base := newTestServer(t, Options{Clients: testClients()})
	hr, err := http.Get(base + "/jwks")
	if err != nil {
		t.Fatal(err)
	}
	hr.Body.Close()
	if hr.StatusCode != http.StatusNotFound {
		t.Errorf("GET /jwks without Options.JWT: %d, want 404", hr.StatusCode)
	}
}

func TestNewPanicsOnBadJWTOptions(t *testing.T) {
	for name, opts := range map[string]Options{
		"JWTAccessTokens without JWT": {Clients: []Client{{ID: "a", Secret: "s", Auth: AuthBasic, JWTAccessTokens: true}}},
		"JWKSPath is the token path":  {JWT: &JWTOptions{JWKSPath: "/token"}},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				msg, _ := recover().(string)
				if !strings.HasPrefix(msg, "tokenserver: ") {
					t.Errorf("New did not panic with a tokenserver message: %q", msg)
				}
			}()
			New(opts)
		})
	}
}

func mustRequest(t *testing.T, method, url string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
