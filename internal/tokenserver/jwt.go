package tokenserver

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// JWTOptions make the server able to issue JWT access tokens, in the shape
// of RFC 9068, to the clients with Client.JWTAccessTokens set; the other
// clients keep getting opaque random tokens.
//
// New generates an RSA key for the server and signs every JWT with it
// (RS256, the algorithm RFC 9068 section 2.1 requires every party to
// support). The key lives only as long as the Server: nothing is written
// anywhere, and a new Server has a new key. Its public half is published
// as a JWK Set (RFC 7517 section 5) at JWKSPath, where a resource server,
// or a test, finds it by the token's "kid" header.
type JWTOptions struct {
	// Issuer is the iss claim. Empty means the origin the request was sent
	// to ("http://" or "https://" and its Host header), which is what the
	// server's URL is to the client that asked.
	Issuer string
	// Audience is the aud claim of tokens whose request names neither an
	// audience nor a resource parameter. When a request names some, aud is
	// those (audience values first), as servers that support RFC 8693's
	// audience or RFC 8707's resource do. With neither, aud is left out.
	Audience []string
	// JWKSPath is where the JWK Set is served (GET), default
	// DefaultJWKSPath.
	JWKSPath string
}

// DefaultJWKSPath is where the JWK Set is served without
// JWTOptions.JWKSPath.
const DefaultJWKSPath = "/jwks"

// jwtIssuer signs the JWT access tokens of one Server.
type jwtIssuer struct {
	opts   JWTOptions
	signer jose.Signer
	jwks   []byte // the JWK Set document, JSON
}

// accessClaims are the claims of a JWT access token: RFC 9068 section 2.2,
// with scope as in RFC 8693 section 4.2.
type accessClaims struct {
	jwt.Claims
	ClientID string `json:"client_id"`
	Scope    string `json:"scope,omitempty"`
}

func newJWTIssuer(opts JWTOptions) (*jwtIssuer, error) {
	if opts.JWKSPath == "" {
		opts.JWKSPath = DefaultJWKSPath
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	// The key ID is the key's RFC 7638 thumbprint: stable for the key,
	// different for the next server's.
	pub := jose.JSONWebKey{Key: &key.PublicKey, Algorithm: string(jose.RS256), Use: "sig"}
	thumb, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, err
	}
	pub.KeyID = base64.RawURLEncoding.EncodeToString(thumb)
	jwks, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{pub}})
	if err != nil {
		return nil, err
	}
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: pub.KeyID}},
		// RFC 9068 section 2.1: access tokens are typed at+jwt, so that
		// they cannot pass for ID tokens or other JWTs.
		(&jose.SignerOptions{}).WithType("at+jwt"),
	)
	if err != nil {
		return nil, err
	}
	return &jwtIssuer{opts: opts, signer: signer, jwks: jwks}, nil
}

// sign returns a JWT access token for g. jti is the token's unique ID;
// expiry is zero for a token that never expires.
func (j *jwtIssuer) sign(r *http.Request, g grant, audience []string, jti string, now, expiry time.Time) (string, error) {
	if len(audience) == 0 {
		audience = j.opts.Audience
	}
	c := accessClaims{
		Claims: jwt.Claims{
			Issuer:   j.issuer(r),
			Subject:  g.subject,
			Audience: jwt.Audience(audience),
			IssuedAt: jwt.NewNumericDate(now),
			ID:       jti,
		},
		ClientID: g.clientID,
		Scope:    strings.Join(g.scopes, " "),
	}
	if !expiry.IsZero() {
		c.Expiry = jwt.NewNumericDate(expiry)
	}
	return jwt.Signed(j.signer).Claims(c).Serialize()
}

func (j *jwtIssuer) issuer(r *http.Request) string {
	if j.opts.Issuer != "" {
		return j.opts.Issuer
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return fmt.Sprintf("%s://%s", scheme, r.Host)
}

// serveJWKS answers a request for the JWK Set.
func (j *jwtIssuer) serveJWKS(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "the JWK Set is read with GET", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(j.jwks)
}
