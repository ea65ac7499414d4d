package oauth2client

import (
	"context"
	"errors"
	"net/url"
	"time"
)

// Grant types the provider builds requests for (RFC 6749 sections 4.3, 4.4, 6).
const (
	GrantClientCredentials = "client_credentials"
	GrantPassword          = "password"
	GrantRefreshToken      = "refresh_token"
	// RFC 7523 section 2.1.
	GrantJWTBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	// RFC 8693.
	GrantTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
)

// A Grant is one way of asking for a token (RFC 6749 section 4 and its
// extensions). Each grant knows what it sends, which of it is secret, and
// whether a request that may have reached the server can be sent again.
//
// To add a grant: write its type here (GrantType, params, secrets,
// Replayable), give it a block in the provider's grant table
// (internal/provider/token_grants.go), and add it to knownGrants in
// grant_test.go, which checks that every field reaches the cache key.
type Grant interface {
	// GrantType is the value of the grant_type parameter.
	GrantType() string
	// Replayable says whether a request that the server may have read can
	// be sent again. A refresh token, a ready-made assertion and a subject
	// token are accepted once by many servers (rotation, jti replay
	// checks): a second request fails, or revokes the grant.
	Replayable() bool
	// params are the grant's own parameters, grant_type excepted, for a
	// request to endpoint. What must be signed is signed now, afresh.
	params(s signer) (url.Values, error)
	// secrets are the values no output may show.
	secrets() []string
}

// signer is what a grant or a client authentication method may need to
// build its part of a request: the client's identity, the endpoint the
// request goes to, the time, and the Client that fetches identity tokens.
type signer struct {
	clientID string
	endpoint string
	now      time.Time

	ctx    context.Context
	client *Client
	// fetched collects every identity token fetched for the request: they
	// are secrets of it.
	fetched *[]string
}

// identity fetches src's token for this request.
func (s signer) identity(src IdentitySource) (string, error) {
	if s.client == nil {
		return "", errors.New("no client to fetch the identity token with")
	}
	token, err := src.fetch(s.ctx, s.client)
	if err != nil {
		return "", err
	}
	if s.fetched != nil {
		*s.fetched = append(*s.fetched, token)
	}
	return token, nil
}

// ClientCredentials is the client credentials grant (RFC 6749 section 4.4):
// the client asks on its own behalf.
type ClientCredentials struct{}

func (ClientCredentials) GrantType() string                 { return GrantClientCredentials }
func (ClientCredentials) Replayable() bool                  { return true }
func (ClientCredentials) params(signer) (url.Values, error) { return url.Values{}, nil }
func (ClientCredentials) secrets() []string                 { return nil }

// Password is the resource owner password credentials grant (RFC 6749
// section 4.3).
type Password struct {
	Username string
	Password string
}

func (Password) GrantType() string { return GrantPassword }
func (Password) Replayable() bool  { return true }
func (g Password) params(signer) (url.Values, error) {
	return url.Values{"username": {g.Username}, "password": {g.Password}}, nil
}
func (g Password) secrets() []string { return []string{g.Password} }

// RefreshToken is the refresh token grant (RFC 6749 section 6).
type RefreshToken struct {
	RefreshToken string
}

func (RefreshToken) GrantType() string { return GrantRefreshToken }

// Replayable is false: servers that rotate refresh tokens accept each once.
func (RefreshToken) Replayable() bool { return false }
func (g RefreshToken) params(signer) (url.Values, error) {
	return url.Values{"refresh_token": {g.RefreshToken}}, nil
}
func (g RefreshToken) secrets() []string { return []string{g.RefreshToken} }

// JWTBearer is the JWT bearer grant (RFC 7523 section 2.1), with one of a
// ready Assertion, Claims that Key signs for each request, or an identity
// token from Source (a CI system's OIDC token).
type JWTBearer struct {
	Assertion string
	Claims    map[string]any
	// Key signs Claims; iss defaults to the client ID, aud to the token
	// endpoint (see SigningKey.BearerAssertion).
	Key    *SigningKey
	Source IdentitySource
}

func (JWTBearer) GrantType() string { return GrantJWTBearer }

// Replayable is true only for an assertion made anew for each attempt: a
// ready one has one jti, which a server that checks replays accepts once.
func (g JWTBearer) Replayable() bool {
	if g.Source != nil {
		return g.Source.Fresh()
	}
	return g.Assertion == ""
}

func (g JWTBearer) params(s signer) (url.Values, error) {
	if g.Source != nil {
		a, err := s.identity(g.Source)
		if err != nil {
			return nil, err
		}
		return url.Values{"assertion": {a}}, nil
	}
	if g.Assertion != "" {
		return url.Values{"assertion": {g.Assertion}}, nil
	}
	if g.Key == nil {
		return nil, errors.New("the jwt-bearer grant's claims need a private key to sign the assertion with")
	}
	a, err := g.Key.BearerAssertion(g.Claims, s.clientID, s.endpoint, s.now)
	if err != nil {
		return nil, err
	}
	return url.Values{"assertion": {a}}, nil
}
func (g JWTBearer) secrets() []string { return []string{g.Assertion} }

// TokenExchange is the token exchange grant (RFC 8693 section 2.1). The
// subject and actor tokens are given, or fetched from identity token
// sources for each request.
type TokenExchange struct {
	SubjectToken       string
	SubjectSource      IdentitySource
	SubjectTokenType   string
	ActorToken         string
	ActorSource        IdentitySource
	ActorTokenType     string
	RequestedTokenType string
}

func (TokenExchange) GrantType() string { return GrantTokenExchange }

// Replayable is false unless every token comes fresh from a source for each
// attempt: a subject token may be single-use.
func (g TokenExchange) Replayable() bool {
	fresh := func(src IdentitySource) bool { return src != nil && src.Fresh() }
	return fresh(g.SubjectSource) && (g.ActorToken == "" && g.ActorSource == nil || fresh(g.ActorSource))
}

func (g TokenExchange) params(s signer) (url.Values, error) {
	subject, actor := g.SubjectToken, g.ActorToken
	var err error
	if g.SubjectSource != nil {
		if subject, err = s.identity(g.SubjectSource); err != nil {
			return nil, err
		}
	}
	if g.ActorSource != nil {
		if actor, err = s.identity(g.ActorSource); err != nil {
			return nil, err
		}
	}
	v := url.Values{}
	for name, value := range map[string]string{
		"subject_token": subject, "subject_token_type": g.SubjectTokenType,
		"actor_token": actor, "actor_token_type": g.ActorTokenType,
		"requested_token_type": g.RequestedTokenType,
	} {
		if value != "" {
			v.Set(name, value)
		}
	}
	return v, nil
}
func (g TokenExchange) secrets() []string { return []string{g.SubjectToken, g.ActorToken} }

// CustomGrantType sends Type as grant_type, for vendor grants: with the
// parameters of Base when set (a grant whose wire name the server spells
// its own way), or with none but the request's extra parameters.
type CustomGrantType struct {
	Type string
	Base Grant
}

func (g CustomGrantType) GrantType() string { return g.Type }
func (g CustomGrantType) Replayable() bool  { return g.Base == nil || g.Base.Replayable() }
func (g CustomGrantType) params(s signer) (url.Values, error) {
	if g.Base == nil {
		return url.Values{}, nil
	}
	return g.Base.params(s)
}
func (g CustomGrantType) secrets() []string {
	if g.Base == nil {
		return nil
	}
	return g.Base.secrets()
}
