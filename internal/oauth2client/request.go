// Package oauth2client fetches OAuth2 access tokens (RFC 6749) from a token
// endpoint and normalises the many dialects servers answer in. It knows
// nothing of Terraform, and is tested with plain `go test` against real HTTP
// servers.
//
// A Request holds one Grant (grant.go) and one ClientAuth (clientauth.go),
// each a type that knows its wire parameters, its secrets and, for grants,
// whether a request may be sent twice; identity token sources (source.go)
// plug into both. One builder (the wire in this file) makes token and
// revocation requests before anything is sent; Client.Fetch sends token
// requests through golang.org/x/oauth2, wrapped in one place (client.go).
// Every failure is an *Error (errors.go) whose text is redacted with the
// request's own secrets, assertions and identity tokens included, and says
// what happened in protocol terms: advice that names the provider's
// attributes is the provider's to give.
package oauth2client

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Where the grant parameters travel.
const (
	ParamsInBody  = "body"
	ParamsInQuery = "query"
)

// ParamsLocations lists the accepted values of params_in.
var ParamsLocations = []string{ParamsInBody, ParamsInQuery}

// Request is everything one token request needs: who asks (ClientID,
// ClientAuth), for what (Grant, Scopes, Audience, Resources), and how the
// server wants it said (ExtraParams, ParamsIn, Headers). Zero values mean
// "not set": a nil Grant is ClientCredentials, a nil ClientAuth is
// NoClientAuth.
type Request struct {
	TokenURL   string
	ClientID   string
	ClientAuth ClientAuth
	Grant      Grant

	Scopes      []string
	Audience    string
	Resources   []string
	ExtraParams map[string]string
	// ParamsIn is ParamsInBody (the default) or ParamsInQuery.
	ParamsIn string
	Headers  map[string]string
}

// GrantType is the grant_type this request sends.
func (r *Request) GrantType() string { return r.grant().GrantType() }

// ClientAuthMethod is the name of the request's client authentication
// method.
func (r *Request) ClientAuthMethod() string { return r.auth().Method() }

func (r *Request) grant() Grant {
	if r.Grant == nil {
		return ClientCredentials{}
	}
	return r.Grant
}

func (r *Request) auth() ClientAuth {
	if r.ClientAuth == nil {
		return NoClientAuth{}
	}
	return r.ClientAuth
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

// CheckTokenURL says what is wrong with a token endpoint address, or "" when
// it is an absolute http or https URL.
func CheckTokenURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Sprintf("It is not a valid URL: %s.", urlProblem(err))
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

// wire is one request as it will be sent, built before anything is sent:
// params go where the request's ParamsIn says, body always in the form body
// (client credentials, which stay out of URLs and access logs), header in
// the headers. signed keeps every assertion signed for it.
type wire struct {
	params url.Values
	body   url.Values
	header http.Header
	signed []string
}

func newWire(headers map[string]string) *wire {
	w := &wire{params: url.Values{}, body: url.Values{}, header: http.Header{}}
	for k, v := range headers {
		w.header.Set(k, v)
	}
	if w.header.Get("Accept") == "" {
		w.header.Set("Accept", "application/json")
	}
	return w
}

// setClientID names a client that sends no other credential: its
// client_id is an ordinary parameter and travels with the others.
func (w *wire) setClientID(id string) {
	if id != "" {
		w.params.Set("client_id", id)
	}
}

// addAssertion adds an RFC 7523 section 2.2 client assertion to the body.
func (w *wire) addAssertion(clientID, assertion string) {
	w.body.Set("client_id", clientID)
	w.body.Set("client_assertion_type", ClientAssertionType)
	w.body.Set("client_assertion", assertion)
	w.signed = append(w.signed, assertion)
}

// target is the URL to send w to, and the form body: with inQuery the
// params join endpoint's query string, otherwise the body.
func (w *wire) target(endpoint string, inQuery bool) (string, url.Values, error) {
	body := url.Values{}
	for k, v := range w.body {
		body[k] = v
	}
	if !inQuery {
		for k, v := range w.params {
			body[k] = v
		}
		return endpoint, body, nil
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", nil, err
	}
	q := u.Query()
	for k, v := range w.params {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	return u.String(), body, nil
}

// tokenWire builds one token request, signing any assertion afresh and
// fetching any identity token anew, with c for what must be fetched.
func (r *Request) tokenWire(ctx context.Context, c *Client) (*wire, error) {
	w := newWire(r.Headers)
	var fetched []string
	s := signer{clientID: r.ClientID, endpoint: r.TokenURL, now: c.now(), ctx: ctx, client: c, fetched: &fetched}
	defer func() { w.signed = append(w.signed, fetched...) }()
	g := r.grant()
	params, err := g.params(s)
	if err != nil {
		return w, err
	}
	if a := params.Get("assertion"); a != "" {
		w.signed = append(w.signed, a)
	}
	maps.Copy(w.params, params)
	w.params.Set("grant_type", g.GrantType())
	if len(r.Scopes) > 0 {
		w.params.Set("scope", strings.Join(r.Scopes, " "))
	}
	if r.Audience != "" {
		w.params.Set("audience", r.Audience)
	}
	for _, res := range r.Resources {
		w.params.Add("resource", res)
	}
	for k, v := range r.ExtraParams {
		w.params.Set(k, v)
	}
	return w, r.auth().apply(w, s)
}

// revocationWire builds one RFC 7009 revocation request for token, with
// the client authentication of r: every parameter in the body.
func (r *Request) revocationWire(ctx context.Context, c *Client, endpoint, token, hint string) (*wire, error) {
	w := newWire(r.Headers)
	w.params.Set("token", token)
	if hint != "" {
		w.params.Set("token_type_hint", hint)
	}
	var fetched []string
	defer func() { w.signed = append(w.signed, fetched...) }()
	return w, r.auth().apply(w, signer{clientID: r.ClientID, endpoint: endpoint, now: c.now(), ctx: ctx, client: c, fetched: &fetched})
}

// secrets lists every value of the request that must never be shown, before
// anything is signed: the grant's, the client authentication's, the Basic
// credentials they make, every header value (headers carry API keys and
// ready-made credentials; "Bearer abc" counts with its credential alone
// too) and every extra parameter's value (vendors pass keys there).
func (r *Request) secrets() []string {
	s := append(r.grant().secrets(), r.auth().secrets()...)
	if b, ok := r.auth().(SecretBasic); ok {
		s = append(s, basicCredentials(r.ClientID, b.Secret))
	}
	for _, v := range r.Headers {
		s = append(s, v)
		if _, cred, ok := strings.Cut(v, " "); ok {
			s = append(s, strings.TrimSpace(cred))
		}
	}
	for _, v := range r.ExtraParams {
		s = append(s, v)
	}
	return s
}

// Secrets are the values of the request no log line may show.
func (r *Request) Secrets() []string { return r.secrets() }
