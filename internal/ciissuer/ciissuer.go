// Package ciissuer stands in for the OpenID Connect issuer of a CI system
// (GitHub Actions, GitLab CI, a Kubernetes service account issuer): the
// party that signs the identity tokens a job can trade for access tokens.
//
// An Issuer is an HTTP server on 127.0.0.1 with a signing key made when it
// starts. Like the real ones it serves only what a relying party needs to
// verify its tokens, a discovery document at
// /.well-known/openid-configuration and a JWKS, and Mint signs a JWT with
// whatever claims a test wants, with iss, iat, nbf, exp and jti filled in.
// Authorization servers under test (internal/hydratest, internal/dextest)
// are told to trust it, by its public key or by its URL.
package ciissuer

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Paths the issuer serves.
const (
	DiscoveryPath = "/.well-known/openid-configuration"
	JWKSPath      = "/.well-known/jwks"
)

// DefaultLifetime is how long a minted token is valid unless Options or the
// claims say otherwise. CI tokens live minutes (GitHub's: 5 to 10).
const DefaultLifetime = 5 * time.Minute

// Options configure an Issuer. The zero value is a GitHub-like issuer:
// RS256, tokens valid for DefaultLifetime.
type Options struct {
	// Algorithm is jose.RS256 (the default; what GitHub, GitLab and
	// Kubernetes use) or jose.ES256.
	Algorithm jose.SignatureAlgorithm
	// Lifetime is exp - iat of minted tokens; DefaultLifetime if zero.
	Lifetime time.Duration
	// Now is the clock for iat, nbf and exp; time.Now if nil.
	Now func() time.Time
}

// Issuer is a running stand-in CI issuer.
type Issuer struct {
	// URL is the issuer identifier, http://127.0.0.1:PORT without a
	// trailing slash: the iss of every minted token.
	URL string
	// KeyID is the kid of the signing key (its RFC 7638 thumbprint), in
	// the JWKS and in every token header.
	KeyID string
	// Algorithm is the JWS algorithm of minted tokens.
	Algorithm jose.SignatureAlgorithm

	key      crypto.Signer
	signer   jose.Signer
	lifetime time.Duration
	now      func() time.Time
	srv      *httptest.Server

	discoveryHits atomic.Int64
	jwksHits      atomic.Int64
}

// New starts an issuer. Close stops it.
func New(opts Options) (*Issuer, error) {
	alg := opts.Algorithm
	if alg == "" {
		alg = jose.RS256
	}
	var key crypto.Signer
	var err error
	switch alg {
	case jose.RS256:
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	case jose.ES256:
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		return nil, fmt.Errorf("ciissuer: unsupported algorithm %q (RS256 or ES256)", alg)
	}
	if err != nil {
		return nil, fmt.Errorf("ciissuer: generating the %s key: %w", alg, err)
	}
	pub := jose.JSONWebKey{Key: key.Public(), Algorithm: string(alg), Use: "sig"}
	thumb, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("ciissuer: key thumbprint: %w", err)
	}
	kid := base64.RawURLEncoding.EncodeToString(thumb)

	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"),
	)
	if err != nil {
		return nil, fmt.Errorf("ciissuer: %w", err)
	}

	// Explicitly loopback, whatever -httptest.serve says.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("ciissuer: listening on 127.0.0.1: %w", err)
	}
	i := &Issuer{
		KeyID:     kid,
		Algorithm: alg,
		key:       key,
		signer:    signer,
		lifetime:  opts.Lifetime,
		now:       opts.Now,
	}
	if i.lifetime <= 0 {
		i.lifetime = DefaultLifetime
	}
	if i.now == nil {
		i.now = time.Now
	}
	i.srv = httptest.NewUnstartedServer(i.handler())
	_ = i.srv.Listener.Close()
	i.srv.Listener = ln
	i.srv.Start()
	i.URL = i.srv.URL
	return i, nil
}

// Start is New for a test: it fails t on error and closes the issuer when
// the test ends.
func Start(t testing.TB, opts Options) *Issuer {
	t.Helper()
	i, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(i.Close)
	return i
}

// Close stops the server.
func (i *Issuer) Close() { i.srv.Close() }

// JWKSURL is the jwks_uri of the discovery document.
func (i *Issuer) JWKSURL() string { return i.URL + JWKSPath }

// PublicJWK is the public signing key, with kid, alg and use set: what an
// authorization server is given to trust the issuer's tokens.
func (i *Issuer) PublicJWK() jose.JSONWebKey {
	return jose.JSONWebKey{Key: i.key.Public(), KeyID: i.KeyID, Algorithm: string(i.Algorithm), Use: "sig"}
}

// DiscoveryRequests and JWKSRequests count the GETs of each document, so a
// test can tell that a server fetched the keys rather than trusting blindly.
func (i *Issuer) DiscoveryRequests() int { return int(i.discoveryHits.Load()) }

// JWKSRequests counts the GETs of the JWKS; see DiscoveryRequests.
func (i *Issuer) JWKSRequests() int { return int(i.jwksHits.Load()) }

// Mint signs a JWT with claims on top of these defaults: iss the issuer's
// URL, iat and nbf now, exp now + the lifetime, jti a random value. A claim
// in claims replaces its default; a claim set to nil is left out, so a test
// can mint a token without nbf or jti. Times may be given as time.Time, which
// becomes NumericDate seconds. sub and aud have no default: CI tokens always
// carry both, and what they should be depends on the test.
func (i *Issuer) Mint(claims map[string]any) (string, error) {
	now := i.now()
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return "", fmt.Errorf("ciissuer: jti: %w", err)
	}
	all := map[string]any{
		"iss": i.URL,
		"iat": now.Unix(),
		"nbf": now.Unix(),
		"exp": now.Add(i.lifetime).Unix(),
		"jti": base64.RawURLEncoding.EncodeToString(jti),
	}
	for k, v := range claims {
		switch v := v.(type) {
		case nil:
			delete(all, k)
		case time.Time:
			all[k] = v.Unix()
		default:
			all[k] = v
		}
	}
	payload, err := json.Marshal(all)
	if err != nil {
		return "", fmt.Errorf("ciissuer: encoding the claims: %w", err)
	}
	jws, err := i.signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("ciissuer: signing: %w", err)
	}
	return jws.CompactSerialize()
}

// MustMint is Mint for a test: it fails t on error.
func (i *Issuer) MustMint(t testing.TB, claims map[string]any) string {
	t.Helper()
	tok, err := i.Mint(claims)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// GitHubActionsClaims are the claims of a GitHub Actions identity token for
// a push to ref of repository (owner/name) with the given audience, shaped
// like the real ones: sub is "repo:<repository>:ref:<ref>", and the extra
// claims (repository, ref, workflow, run_id...) that servers must tolerate.
func GitHubActionsClaims(repository, ref, aud string) map[string]any {
	return map[string]any{
		"sub":                "repo:" + repository + ":ref:" + ref,
		"aud":                aud,
		"repository":         repository,
		"repository_owner":   ownerOf(repository),
		"ref":                ref,
		"ref_type":           "branch",
		"event_name":         "push",
		"workflow":           "ci",
		"job_workflow_ref":   repository + "/.github/workflows/ci.yml@" + ref,
		"actor":              "octocat",
		"run_id":             "1234567890",
		"run_attempt":        "1",
		"runner_environment": "github-hosted",
	}
}

func ownerOf(repository string) string {
	owner, _, _ := strings.Cut(repository, "/")
	return owner
}

func (i *Issuer) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+DiscoveryPath, func(w http.ResponseWriter, _ *http.Request) {
		i.discoveryHits.Add(1)
		// What GitHub's issuer publishes: no authorization or token
		// endpoint, since nobody logs in here.
		writeJSON(w, map[string]any{
			"issuer":                                i.URL,
			"jwks_uri":                              i.JWKSURL(),
			"subject_types_supported":               []string{"public"},
			"response_types_supported":              []string{"id_token"},
			"id_token_signing_alg_values_supported": []string{string(i.Algorithm)},
			"scopes_supported":                      []string{"openid"},
			"claims_supported":                      []string{"sub", "aud", "exp", "iat", "iss", "jti", "nbf"},
		})
	})
	mux.HandleFunc("GET "+JWKSPath, func(w http.ResponseWriter, _ *http.Request) {
		i.jwksHits.Add(1)
		writeJSON(w, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{i.PublicJWK()}})
	})
	return mux
}

func writeJSON(w http.ResponseWriter, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encoding the document failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(body)
}
