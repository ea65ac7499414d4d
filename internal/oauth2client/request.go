// Package oauth2client fetches OAuth2 access tokens (RFC 6749) from a token
// endpoint and normalises the many dialects servers answer in. It knows
// nothing of Terraform: the provider maps its configuration onto a Request and
// the result back onto its schema, so this package is tested with plain
// `go test` against real HTTP servers.
package oauth2client

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
)

// Client authentication methods, named as in the OAuth 2.0 Dynamic Client
// Registration registry (RFC 7591 section 2) so they match what servers
// publish in token_endpoint_auth_methods_supported.
const (
	AuthClientSecretBasic = "client_secret_basic"
	AuthClientSecretPost  = "client_secret_post"
	// RFC 7523 section 2.2 client assertions (OpenID Connect Core section 9).
	AuthClientSecretJWT = "client_secret_jwt"
	AuthPrivateKeyJWT   = "private_key_jwt"
	// RFC 8705 mutual TLS: the client certificate is the credential.
	AuthTLSClientAuth           = "tls_client_auth"
	AuthSelfSignedTLSClientAuth = "self_signed_tls_client_auth"
	AuthNone                    = "none"
)

// ClientAuthMethods lists the accepted values of client_auth, in the order
// the documentation shows them.
var ClientAuthMethods = []string{
	AuthClientSecretBasic, AuthClientSecretPost, AuthClientSecretJWT, AuthPrivateKeyJWT,
	AuthTLSClientAuth, AuthSelfSignedTLSClientAuth, AuthNone,
}

// SecretAuthMethods need a client secret; TLSAuthMethods a client
// certificate.
var (
	SecretAuthMethods = []string{AuthClientSecretBasic, AuthClientSecretPost, AuthClientSecretJWT}
	TLSAuthMethods    = []string{AuthTLSClientAuth, AuthSelfSignedTLSClientAuth}
)

// Where the grant parameters travel.
const (
	ParamsInBody  = "body"
	ParamsInQuery = "query"
)

// ParamsLocations lists the accepted values of params_in.
var ParamsLocations = []string{ParamsInBody, ParamsInQuery}

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

// Request is everything one token request needs. Zero values mean "not set".
type Request struct {
	TokenURL     string
	ClientID     string
	ClientSecret string
	// ClientAuth is one of ClientAuthMethods; empty picks the default
	// (DefaultClientAuth).
	ClientAuth string

	// GrantType is the value sent as grant_type; empty sends the grant the
	// other fields imply (see Grant).
	GrantType    string
	Username     string
	Password     string
	RefreshToken string
	// Assertion is a ready JWT for the jwt-bearer grant; AssertionClaims
	// asks for one signed with SigningKey instead.
	Assertion       string
	AssertionClaims map[string]any
	// The token exchange grant's parameters (RFC 8693 section 2.1).
	SubjectToken       string
	SubjectTokenType   string
	ActorToken         string
	ActorTokenType     string
	RequestedTokenType string

	// SigningKey signs private_key_jwt client assertions and
	// AssertionClaims.
	SigningKey *SigningKey

	Scopes      []string
	Audience    string
	Resources   []string
	ExtraParams map[string]string
	// ParamsIn is ParamsInBody (the default) or ParamsInQuery.
	ParamsIn string
	Headers  map[string]string
}

// DefaultClientAuth is client_secret_basic when there is a secret to send
// (RFC 6749 section 2.3.1 makes Basic the method every server must support)
// and none otherwise.
func DefaultClientAuth(clientSecret string) string {
	if clientSecret != "" {
		return AuthClientSecretBasic
	}
	return AuthNone
}

// Grant is the grant type this request sends on the wire.
func (r *Request) Grant() string {
	switch {
	case r.GrantType != "":
		return r.GrantType
	case r.Assertion != "" || r.AssertionClaims != nil:
		return GrantJWTBearer
	case r.SubjectToken != "":
		return GrantTokenExchange
	case r.RefreshToken != "":
		return GrantRefreshToken
	case r.Username != "" || r.Password != "":
		return GrantPassword
	default:
		return GrantClientCredentials
	}
}

func (r *Request) clientAuth() string {
	if r.ClientAuth != "" {
		return r.ClientAuth
	}
	return DefaultClientAuth(r.ClientSecret)
}

// reservedParams are set by the provider itself; extra_params may not set
// them, because the server would then see two conflicting values.
var reservedParams = []string{
	"grant_type", "client_id", "client_secret", "client_assertion", "client_assertion_type",
	"scope", "audience", "resource", "username", "password", "refresh_token", "assertion",
	"subject_token", "subject_token_type", "actor_token", "actor_token_type", "requested_token_type",
}

// ReservedParams lists the parameters the provider sets itself, for
// documentation.
func ReservedParams() []string { return slices.Clone(reservedParams) }

// ForbiddenHeaders lists the headers the provider computes itself, for
// documentation.
func ForbiddenHeaders() []string { return slices.Clone(forbiddenHeaders) }

// ReservedParam reports whether key is a parameter the provider sets from
// its own attributes, and so cannot come from extra_params.
func ReservedParam(key string) bool {
	return slices.Contains(reservedParams, key)
}

// forbiddenHeaders are computed from the request; setting them by hand would
// break the request or smuggle a second body.
var forbiddenHeaders = []string{"Content-Type", "Content-Length", "Host", "Transfer-Encoding"}

// CheckHeader says what is wrong with sending header name under the given
// client authentication method, or "" when it may be sent.
func CheckHeader(name, clientAuth string) string {
	canonical := http.CanonicalHeaderKey(name)
	if slices.Contains(forbiddenHeaders, canonical) {
		return fmt.Sprintf("%s is set by the provider from the request it sends; remove it.", canonical)
	}
	if canonical == "Authorization" && clientAuth == AuthClientSecretBasic {
		return "Authorization carries the client credentials under client_auth = \"client_secret_basic\"; " +
			"remove the header, or set client_auth to \"client_secret_post\" or \"none\" to send your own."
	}
	return ""
}

// CheckTokenURL says what is wrong with a token endpoint address, or "" when
// it is an absolute http or https URL.
func CheckTokenURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Sprintf("It is not a valid URL: %s.", strings.TrimPrefix(err.Error(), "parse "))
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return "It must be an absolute URL starting with https:// (or http:// for a local server), " +
			"such as https://auth.example.com/oauth/token."
	}
	if u.Host == "" {
		return "It has no host name; write it in full, such as https://auth.example.com/oauth/token."
	}
	if u.Fragment != "" {
		return "A token endpoint URL must not have a fragment (the part after #)."
	}
	return ""
}

// grantParams are the parameters of the grant itself, which travel where
// ParamsIn says. Client credentials are added separately (clientAuthParams
// and x/oauth2). A jwt-bearer assertion built from claims is signed now,
// for the token endpoint.
func (r *Request) grantParams(now time.Time) (url.Values, error) {
	v := url.Values{}
	v.Set("grant_type", r.Grant())
	switch {
	case r.Assertion != "":
		v.Set("assertion", r.Assertion)
	case r.AssertionClaims != nil:
		if r.SigningKey == nil {
			return nil, errors.New("jwt_bearer_grant claims need a private_key to sign the assertion with; " +
				"set private_key in the provider block, or pass a ready assertion")
		}
		a, err := r.SigningKey.BearerAssertion(r.AssertionClaims, r.ClientID, r.TokenURL, now)
		if err != nil {
			return nil, err
		}
		v.Set("assertion", a)
	}
	for name, value := range map[string]string{
		"subject_token": r.SubjectToken, "subject_token_type": r.SubjectTokenType,
		"actor_token": r.ActorToken, "actor_token_type": r.ActorTokenType,
		"requested_token_type": r.RequestedTokenType,
	} {
		if value != "" {
			v.Set(name, value)
		}
	}
	if r.Username != "" || r.Password != "" {
		v.Set("username", r.Username)
		v.Set("password", r.Password)
	}
	if r.RefreshToken != "" {
		v.Set("refresh_token", r.RefreshToken)
	}
	if len(r.Scopes) > 0 {
		v.Set("scope", strings.Join(r.Scopes, " "))
	}
	if r.Audience != "" {
		v.Set("audience", r.Audience)
	}
	for _, res := range r.Resources {
		v.Add("resource", res)
	}
	keys := make([]string, 0, len(r.ExtraParams))
	for k := range r.ExtraParams {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v.Set(k, r.ExtraParams[k])
	}
	return v, nil
}

// assertionParams are the client_assertion parameters of the JWT client
// authentication methods, for a request to audience (the endpoint URL), or
// nil for the other methods.
func (r *Request) assertionParams(audience string, now time.Time) (url.Values, error) {
	var assertion string
	var err error
	switch r.clientAuth() {
	case AuthPrivateKeyJWT:
		if r.SigningKey == nil {
			return nil, errors.New("client_auth \"private_key_jwt\" needs private_key")
		}
		assertion, err = r.SigningKey.ClientAssertion(r.ClientID, audience, now)
	case AuthClientSecretJWT:
		assertion, err = SecretAssertion(r.ClientID, r.ClientSecret, audience, now)
	default:
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return url.Values{
		"client_assertion_type": {ClientAssertionType},
		"client_assertion":      {assertion},
	}, nil
}

// secrets lists every value of the request that must never be shown.
// The values of headers that look like credentials count too: extra headers
// often carry API keys or a ready-made Basic credential. Other headers
// (Accept-Encoding: gzip) would only blank out harmless words.
func (r *Request) secrets() []string {
	s := []string{r.ClientSecret, r.Password, r.RefreshToken, r.Assertion, r.SubjectToken, r.ActorToken}
	for name, v := range r.Headers {
		if credentialHeader(name) {
			s = append(s, v)
			// "Bearer abc", "Basic abc": the credential alone too.
			if _, cred, ok := strings.Cut(v, " "); ok {
				s = append(s, strings.TrimSpace(cred))
			}
		}
	}
	return s
}

// credentialHeader says whether a header's name suggests a secret value.
func credentialHeader(name string) bool {
	n := strings.ToLower(name)
	for _, word := range []string{"auth", "key", "token", "secret", "password", "cookie", "session", "signature", "credential"} {
		if strings.Contains(n, word) {
			return true
		}
	}
	return false
}
