package oauth2client

import (
	"encoding/base64"
	"fmt"
	"net/url"
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

// ClientAuthMethods lists the methods, in the order the documentation shows
// them.
var ClientAuthMethods = []string{
	AuthClientSecretBasic, AuthClientSecretPost, AuthClientSecretJWT, AuthPrivateKeyJWT,
	AuthTLSClientAuth, AuthSelfSignedTLSClientAuth, AuthNone,
}

// ClientAuth is how a client proves who it is to an endpoint (RFC 6749
// section 2.3). Each method knows what it adds to a request and which
// secrets it carries.
//
// To add a method: write its type here (Method, apply, secrets), give
// NewClientAuth a case for its name, add the name to ClientAuthMethods, and
// add it to knownClientAuths in grant_test.go. The provider's validation
// and hints (internal/provider/diagnostics.go) say what it needs.
type ClientAuth interface {
	// Method is the method's registered name.
	Method() string
	// apply adds the client's credentials to w, for a request to
	// endpoint (the audience of a client assertion).
	apply(w *wire, s signer) error
	// secrets are the values no output may show.
	secrets() []string
}

// Credentials are what a client can authenticate with; a method uses the
// one it needs.
type Credentials struct {
	Secret string
	Key    *SigningKey
	// AssertionSource, when set, supplies the client assertion of
	// private_key_jwt instead of Key.
	AssertionSource IdentitySource
}

// NewClientAuth returns the method named method, with the credentials it
// uses. An empty method is the default: private_key_jwt with an assertion
// source, client_secret_basic with a secret, none otherwise. It is the one
// place a method name becomes a method.
func NewClientAuth(method string, creds Credentials) (ClientAuth, error) {
	if method == "" {
		method = DefaultClientAuth(creds.Secret)
		if creds.AssertionSource != nil {
			method = AuthPrivateKeyJWT
		}
	}
	switch method {
	case AuthClientSecretBasic:
		return SecretBasic{Secret: creds.Secret}, nil
	case AuthClientSecretPost:
		return SecretPost{Secret: creds.Secret}, nil
	case AuthClientSecretJWT:
		return SecretJWT{Secret: creds.Secret}, nil
	case AuthPrivateKeyJWT:
		if creds.AssertionSource != nil {
			return ClientAssertion{Source: creds.AssertionSource}, nil
		}
		if creds.Key == nil {
			return nil, fmt.Errorf("%s needs a private key", method)
		}
		return PrivateKeyJWT{Key: creds.Key}, nil
	case AuthTLSClientAuth:
		return TLSClientAuth{}, nil
	case AuthSelfSignedTLSClientAuth:
		return SelfSignedTLSClientAuth{}, nil
	case AuthNone:
		return NoClientAuth{}, nil
	}
	return nil, fmt.Errorf("%q is not a client authentication method", method)
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

// SecretBasic sends the client ID and secret in an HTTP Basic header, each
// form-encoded first (RFC 6749 section 2.3.1).
type SecretBasic struct{ Secret string }

func (SecretBasic) Method() string { return AuthClientSecretBasic }
func (a SecretBasic) apply(w *wire, s signer) error {
	w.header.Set("Authorization", "Basic "+basicCredentials(s.clientID, a.Secret))
	return nil
}
func (a SecretBasic) secrets() []string { return []string{a.Secret} }

// SecretPost sends the client ID and secret in the request body.
type SecretPost struct{ Secret string }

func (SecretPost) Method() string { return AuthClientSecretPost }
func (a SecretPost) apply(w *wire, s signer) error {
	w.body.Set("client_id", s.clientID)
	w.body.Set("client_secret", a.Secret)
	return nil
}
func (a SecretPost) secrets() []string { return []string{a.Secret} }

// SecretJWT sends a client assertion signed HS256 with the secret.
type SecretJWT struct{ Secret string }

func (SecretJWT) Method() string { return AuthClientSecretJWT }
func (a SecretJWT) apply(w *wire, s signer) error {
	assertion, err := SecretAssertion(s.clientID, a.Secret, s.endpoint, s.now)
	if err != nil {
		return err
	}
	w.addAssertion(s.clientID, assertion)
	return nil
}
func (a SecretJWT) secrets() []string { return []string{a.Secret} }

// PrivateKeyJWT sends a client assertion signed with Key.
type PrivateKeyJWT struct{ Key *SigningKey }

func (PrivateKeyJWT) Method() string { return AuthPrivateKeyJWT }
func (a PrivateKeyJWT) apply(w *wire, s signer) error {
	if a.Key == nil {
		return fmt.Errorf("%s needs a private key", AuthPrivateKeyJWT)
	}
	assertion, err := a.Key.ClientAssertion(s.clientID, s.endpoint, s.now)
	if err != nil {
		return err
	}
	w.addAssertion(s.clientID, assertion)
	return nil
}
func (PrivateKeyJWT) secrets() []string { return nil }

// ClientAssertion sends an identity token from Source (a CI system's OIDC
// token) as the client assertion (RFC 7523 section 2.2): the wire format of
// private_key_jwt, with a JWT the server verifies against the issuer it
// trusts, as Microsoft Entra ID's federated credentials do.
type ClientAssertion struct{ Source IdentitySource }

func (ClientAssertion) Method() string { return AuthPrivateKeyJWT }
func (a ClientAssertion) apply(w *wire, s signer) error {
	assertion, err := s.identity(a.Source)
	if err != nil {
		return err
	}
	w.addAssertion(s.clientID, assertion)
	return nil
}
func (ClientAssertion) secrets() []string { return nil }

// TLSClientAuth is RFC 8705 section 2.1: the client's PKI certificate, set
// in the Client's TLS configuration, is the credential; the request names
// the client.
type TLSClientAuth struct{}

func (TLSClientAuth) Method() string { return AuthTLSClientAuth }
func (TLSClientAuth) apply(w *wire, s signer) error {
	w.setClientID(s.clientID)
	return nil
}
func (TLSClientAuth) secrets() []string { return nil }

// SelfSignedTLSClientAuth is RFC 8705 section 2.2: a self-signed
// certificate registered for the client.
type SelfSignedTLSClientAuth struct{}

func (SelfSignedTLSClientAuth) Method() string { return AuthSelfSignedTLSClientAuth }
func (SelfSignedTLSClientAuth) apply(w *wire, s signer) error {
	w.setClientID(s.clientID)
	return nil
}
func (SelfSignedTLSClientAuth) secrets() []string { return nil }

// NoClientAuth is a public client: it sends its client ID alone, with the
// request's other parameters (RFC 6749 section 2.1).
type NoClientAuth struct{}

func (NoClientAuth) Method() string { return AuthNone }
func (NoClientAuth) apply(w *wire, s signer) error {
	w.setClientID(s.clientID)
	return nil
}
func (NoClientAuth) secrets() []string { return nil }

// basicCredentials is what follows "Basic " (RFC 6749 section 2.3.1): the
// ID and secret form-encoded, joined by a colon, base64-encoded. It is the
// one encoder of Basic client credentials, for every request.
func basicCredentials(id, secret string) string {
	return base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id) + ":" + url.QueryEscape(secret)))
}
