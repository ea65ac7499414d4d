// Package tokenserver is a small, deliberately strict OAuth 2.0 token
// endpoint (RFC 6749 section 3.2) for tests and local demos.
//
// Real authorization servers differ in where they want parameters, how they
// authenticate clients and how they shape their responses, and they reject
// requests that deviate from what they expect. A lenient fake would let
// client bugs through, so this server rejects everything a strict real
// server would, and its Options let a test mimic a particular server's
// quirks (parameters in the query string, expires_in as a string, scope as
// an array, extra response fields, form-encoded responses, ...). It can
// also issue JWT access tokens and publish their key (see JWTOptions).
//
// Every request is recorded (see Server.Requests) so tests can assert on
// exactly what a client sent, including requests that were rejected.
package tokenserver

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Client authentication methods (RFC 6749 section 2.3.1 and the names
// registered for OpenID Connect / RFC 7591 token_endpoint_auth_method).
const (
	AuthBasic = "client_secret_basic"
	AuthPost  = "client_secret_post"
	AuthNone  = "none"
)

// Where grant parameters must be sent; see Options.ParamsIn.
const (
	ParamsInBody  = "body"
	ParamsInQuery = "query"
)

// Client is a registered client.
type Client struct {
	ID, Secret string
	// Auth is the one method this client must use (AuthBasic, AuthPost or
	// AuthNone); any other method is rejected, as a real server configured
	// for a single method does.
	Auth string
	// Scopes the client may request; empty means any scope.
	Scopes []string
	// JWTAccessTokens makes this client's access tokens JWTs signed with
	// the server's key (see JWTOptions), instead of random strings. It
	// needs Options.JWT.
	JWTAccessTokens bool
}

// User is a resource owner for the password grant.
type User struct{ Username, Password string }

// Options configure the server. The zero value is a valid but useless
// server: it has no clients, so every request fails with invalid_client.
type Options struct {
	Clients []Client
	// Users for grant_type=password; with none, the password grant is
	// unsupported.
	Users []User
	// ParamsIn is where grant parameters (everything except client_id and
	// client_secret) must be sent: ParamsInBody (the default, as RFC 6749
	// requires) or ParamsInQuery (as some servers insist on). A grant
	// parameter found in the other place is rejected with invalid_request.
	ParamsIn string
	// BodyGrants are grant types whose parameters go in the body even with
	// ParamsInQuery, as Reltio's refresh token requests do.
	BodyGrants []string
	// RequiredParams must be present with exactly these values, like
	// servers that require e.g. an identity-provider selector.
	RequiredParams map[string]string
	// RequiredParamsFor limits RequiredParams to these grant types, such
	// as "password" for a selector of the identity provider that checks the
	// password; empty means every grant.
	RequiredParamsFor []string
	// TokenType defaults to "Bearer".
	TokenType string
	// ExpiresIn is the token lifetime in seconds: 0 means 3600, negative
	// means the token never expires and expires_in is omitted.
	ExpiresIn int
	// ExpiresInAsString sends "expires_in": "3600" instead of a number.
	ExpiresInAsString bool
	// ScopeAsArray sends "scope": ["a", "b"] instead of "a b".
	ScopeAsArray bool
	// OmitScope leaves scope out of token responses.
	OmitScope bool
	// ExtraFields are added verbatim to every token response. They are
	// added last, so they can also override a standard field to simulate
	// a misbehaving server.
	ExtraFields map[string]any
	// RefreshTokens issues refresh tokens on the password and refresh_token
	// grants and enables grant_type=refresh_token. Refresh tokens rotate:
	// each can be used once.
	RefreshTokens bool
	// FormResponse answers application/x-www-form-urlencoded instead of
	// JSON, as some older servers do.
	FormResponse bool
	// Latency delays every answer, honoring the request's cancellation.
	Latency time.Duration
	// Path is the token endpoint's path, default "/token".
	Path string
	// ResourcePath, when set, serves a protected resource (RFC 6750) at
	// this path: a request with "Authorization: Bearer <token>" is answered
	// 200 while the token is one this server issued and has not expired by
	// the server's clock, and 401 with WWW-Authenticate otherwise, as an API
	// behind the token endpoint would.
	ResourcePath string
	// JWT, when set, gives the server a signing key for the clients with
	// JWTAccessTokens, and serves its public key at JWT.JWKSPath.
	JWT *JWTOptions
}

// Request is what the server received, for assertions. Query and Form are
// the raw query string and body parameters, before any validation.
type Request struct {
	Method string
	Path   string
	Query  url.Values
	Form   url.Values
	Header http.Header
	// BasicOK reports whether a well-formed HTTP Basic Authorization header
	// was sent; BasicUser and BasicPassword are then its decoded parts:
	// base64-decoded, split on the first ':', then each part
	// form-url-decoded as RFC 6749 section 2.3.1 requires.
	BasicOK                  bool
	BasicUser, BasicPassword string
}

// Server is an http.Handler serving the token endpoint. It is safe for
// concurrent use.
type Server struct {
	opts    Options
	clients map[string]Client
	users   map[string]string
	jwt     *jwtIssuer // nil without Options.JWT

	// now is replaceable so tests can expire tokens without sleeping.
	now func() time.Time

	mu            sync.Mutex
	requests      []Request
	tokenRequests int
	// resourceAccepted and resourceRefused count requests to ResourcePath.
	resourceAccepted, resourceRefused int
	access                            map[string]time.Time // access token -> expiry; zero = never
	refresh                           map[string]grant     // unused refresh tokens
}

// grant is what a token stands for: the client it was issued to, whom it
// speaks for (the client itself, or the resource owner of a password
// grant) and the scopes granted.
type grant struct {
	clientID string
	subject  string
	scopes   []string
}

const maxBodyBytes = 1 << 20

// New returns a server with the given options. It panics on an invalid
// option value (an unknown Auth or ParamsIn, a duplicate client ID, a
// client with JWTAccessTokens but no Options.JWT, a JWKS path that is the
// token endpoint's), because that is a bug in the test or program
// configuring it.
func New(opts Options) *Server {
	if opts.Path == "" {
		opts.Path = "/token"
	}
	if opts.ParamsIn == "" {
		opts.ParamsIn = ParamsInBody
	}
	if opts.ParamsIn != ParamsInBody && opts.ParamsIn != ParamsInQuery {
		panic(fmt.Sprintf("tokenserver: invalid ParamsIn %q", opts.ParamsIn))
	}
	if opts.TokenType == "" {
		opts.TokenType = "Bearer"
	}
	if opts.ExpiresIn == 0 {
		opts.ExpiresIn = 3600
	}
	s := &Server{
		opts:    opts,
		clients: make(map[string]Client, len(opts.Clients)),
		users:   make(map[string]string, len(opts.Users)),
		now:     time.Now,
		access:  make(map[string]time.Time),
		refresh: make(map[string]grant),
	}
	for _, c := range opts.Clients {
		switch c.Auth {
		case AuthBasic, AuthPost, AuthNone:
		default:
			panic(fmt.Sprintf("tokenserver: client %q: invalid Auth %q", c.ID, c.Auth))
		}
		if _, dup := s.clients[c.ID]; dup {
			panic(fmt.Sprintf("tokenserver: duplicate client %q", c.ID))
		}
		if c.JWTAccessTokens && opts.JWT == nil {
			panic(fmt.Sprintf("tokenserver: client %q has JWTAccessTokens, but Options.JWT is not set", c.ID))
		}
		s.clients[c.ID] = c
	}
	for _, u := range opts.Users {
		s.users[u.Username] = u.Password
	}
	if opts.JWT != nil {
		j, err := newJWTIssuer(*opts.JWT)
		if err != nil {
			panic(fmt.Sprintf("tokenserver: generating the JWT signing key: %v", err))
		}
		if j.opts.JWKSPath == opts.Path {
			panic(fmt.Sprintf("tokenserver: JWKSPath %q is the token endpoint's path", j.opts.JWKSPath))
		}
		s.jwt = j
	}
	if opts.ResourcePath != "" && (opts.ResourcePath == opts.Path || s.jwt != nil && opts.ResourcePath == s.jwt.opts.JWKSPath) {
		panic(fmt.Sprintf("tokenserver: ResourcePath %q is the path of another endpoint", opts.ResourcePath))
	}
	return s
}

// Requests returns a copy of every request received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		out[i] = r.clone()
	}
	return out
}

// TokenRequests returns how many requests were answered with a token.
func (s *Server) TokenRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenRequests
}

// Active reports whether accessToken was issued by this server and has not
// expired, i.e. whether a resource server would accept it.
func (s *Server) Active(accessToken string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.access[accessToken]
	return ok && (exp.IsZero() || s.now().Before(exp))
}

// ResourceRequests returns how many requests the protected resource
// accepted, and how many it refused.
func (s *Server) ResourceRequests() (accepted, refused int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.resourceAccepted, s.resourceRefused
}

// serveResource answers a request to the protected resource: 200 for an
// active bearer token, 401 for anything else (RFC 6750 section 3).
func (s *Server) serveResource(w http.ResponseWriter, r *http.Request) {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	ok := strings.EqualFold(scheme, "Bearer") && token != "" && s.Active(token)
	s.mu.Lock()
	if ok {
		s.resourceAccepted++
	} else {
		s.resourceRefused++
	}
	s.mu.Unlock()
	w.Header().Set("Cache-Control", "no-store")
	if !ok {
		challenge := `Bearer realm="tokenserver"`
		if token != "" {
			challenge += `, error="invalid_token", error_description="the token is unknown or expired"`
		}
		w.Header().Set("WWW-Authenticate", challenge)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"ok":true}`)
}

func (r Request) clone() Request {
	r.Query = cloneValues(r.Query)
	r.Form = cloneValues(r.Form)
	r.Header = r.Header.Clone()
	return r
}

func cloneValues(v url.Values) url.Values {
	if v == nil {
		return nil
	}
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// oauthError is an RFC 6749 section 5.2 error response.
type oauthError struct {
	status      int
	code        string
	description string
	// basicChallenge adds WWW-Authenticate, which RFC 6749 section 5.2
	// requires when a client that tried HTTP Basic fails to authenticate.
	basicChallenge bool
}

func badRequest(code, format string, args ...any) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: code, description: fmt.Sprintf(format, args...)}
}

func invalidRequest(format string, args ...any) *oauthError {
	return badRequest("invalid_request", format, args...)
}

func invalidClient(basic bool, description string) *oauthError {
	return &oauthError{status: http.StatusUnauthorized, code: "invalid_client", description: description, basicChallenge: basic}
}

// Keycloak's wording; deliberately the same for unknown clients and wrong
// secrets so the response does not reveal which client IDs exist.
const badClientCredentials = "Invalid client or Invalid client credentials"

// ServeHTTP handles a token request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := Request{
		Method: r.Method,
		Path:   r.URL.Path,
		Header: r.Header.Clone(),
	}
	rec.Query, _ = url.ParseQuery(r.URL.RawQuery) // a malformed query is rejected below
	rec.BasicUser, rec.BasicPassword, rec.BasicOK = parseBasic(r.Header.Get("Authorization"))
	body, bodyErr := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if bodyErr == nil {
		rec.Form, _ = url.ParseQuery(string(body))
	}
	s.mu.Lock()
	s.requests = append(s.requests, rec)
	s.mu.Unlock()

	if s.opts.Latency > 0 && !sleep(r.Context(), s.opts.Latency) {
		return // the client has gone; nobody to answer
	}

	if s.jwt != nil && r.URL.Path == s.jwt.opts.JWKSPath {
		s.jwt.serveJWKS(w, r)
		return
	}
	if s.opts.ResourcePath != "" && r.URL.Path == s.opts.ResourcePath {
		s.serveResource(w, r)
		return
	}
	if r.URL.Path != s.opts.Path {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		// RFC 6749 section 3.2: the client MUST use POST.
		w.Header().Set("Allow", http.MethodPost)
		s.writeError(w, &oauthError{status: http.StatusMethodNotAllowed, code: "invalid_request",
			description: "the token endpoint only accepts POST"})
		return
	}
	if bodyErr != nil {
		s.writeError(w, invalidRequest("cannot read request body: %v", bodyErr))
		return
	}
	resp, oerr := s.handle(r, body)
	if oerr != nil {
		s.writeError(w, oerr)
		return
	}
	s.writeSuccess(w, resp)
}

// sleep waits for d or until ctx is done, reporting whether d elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// params are the request's parameters with empty values dropped, because
// RFC 6749 section 3.1 says a parameter sent without a value MUST be
// treated as if it were omitted.
type params struct {
	query, body url.Values
}

func nonEmpty(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		for _, x := range vs {
			if x != "" {
				out[k] = append(out[k], x)
			}
		}
	}
	return out
}

// handle validates a POST to the token endpoint and returns the token
// response fields, or the error to answer with.
func (s *Server) handle(r *http.Request, body []byte) (map[string]any, *oauthError) {
	if len(body) > 0 {
		ct := r.Header.Get("Content-Type")
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/x-www-form-urlencoded" {
			return nil, invalidRequest("request body must be application/x-www-form-urlencoded, got Content-Type %q", ct)
		}
	}
	rawQuery, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, invalidRequest("malformed query string: %v", err)
	}
	rawBody, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, invalidRequest("malformed request body: %v", err)
	}
	p := params{query: nonEmpty(rawQuery), body: nonEmpty(rawBody)}

	// Parameter placement, checked before anything else so that a client
	// sending to the wrong place gets told so instead of a confusing
	// "missing grant_type".
	if p.query.Has("client_secret") {
		// RFC 6749 section 2.3.1: credentials MUST NOT be in the URI,
		// where they would end up in logs.
		return nil, invalidRequest("client_secret must not be sent in the query string")
	}
	grantParams, wrongPlace, where := p.body, p.query, "request body"
	inQuery := s.opts.ParamsIn == ParamsInQuery
	if inQuery && len(s.opts.BodyGrants) > 0 {
		g := p.query.Get("grant_type")
		if g == "" {
			g = p.body.Get("grant_type")
		}
		inQuery = !slices.Contains(s.opts.BodyGrants, g)
	}
	if inQuery {
		grantParams, wrongPlace, where = p.query, p.body, "query string"
	}
	for _, k := range slices.Sorted(maps.Keys(wrongPlace)) {
		if k == "client_id" || k == "client_secret" {
			continue
		}
		return nil, invalidRequest("parameter %s must be sent in the %s", k, where)
	}
	// RFC 6749 section 3.2: parameters MUST NOT be repeated. resource
	// (RFC 8707) and audience (RFC 8693) are defined as repeatable.
	for _, v := range []url.Values{p.query, p.body} {
		for _, k := range slices.Sorted(maps.Keys(v)) {
			if len(v[k]) > 1 && k != "resource" && k != "audience" {
				return nil, invalidRequest("parameter %s must not be repeated", k)
			}
		}
	}
	if p.query.Has("client_id") && p.body.Has("client_id") {
		return nil, invalidRequest("parameter client_id must not be repeated")
	}

	client, oerr := s.authenticate(r, p)
	if oerr != nil {
		return nil, oerr
	}

	grantType := grantParams.Get("grant_type")
	if grantType == "" {
		return nil, invalidRequest("missing parameter grant_type")
	}
	required := s.opts.RequiredParams
	if len(s.opts.RequiredParamsFor) > 0 && !slices.Contains(s.opts.RequiredParamsFor, grantType) {
		required = nil
	}
	for _, k := range slices.Sorted(maps.Keys(required)) {
		want := required[k]
		if got := grantParams.Get(k); got != want {
			if got == "" {
				return nil, invalidRequest("missing parameter %s", k)
			}
			return nil, invalidRequest("invalid value for parameter %s", k)
		}
	}
	for _, res := range grantParams["resource"] {
		// RFC 8707 section 2: an absolute URI without a fragment.
		u, err := url.Parse(res)
		if err != nil || !u.IsAbs() || u.Fragment != "" || strings.Contains(res, "#") {
			return nil, badRequest("invalid_target", "resource %q must be an absolute URI without a fragment", res)
		}
	}
	requested, oerr := parseScope(grantParams.Get("scope"))
	if oerr != nil {
		return nil, oerr
	}

	var (
		scopes       []string
		subject      = client.ID
		issueRefresh bool
	)
	switch grantType {
	case "client_credentials":
		// RFC 6749 section 4.4: only confidential clients may use it.
		if client.Auth == AuthNone {
			return nil, badRequest("unauthorized_client", "public clients may not use the client_credentials grant")
		}
		if scopes, oerr = allowedScopes(client, requested); oerr != nil {
			return nil, oerr
		}
	case "password":
		if len(s.users) == 0 {
			return nil, badRequest("unsupported_grant_type", "grant type password is not supported")
		}
		username, password := grantParams.Get("username"), grantParams.Get("password")
		if username == "" || password == "" {
			return nil, invalidRequest("the password grant requires username and password")
		}
		want, ok := s.users[username]
		if !ok || !equal(want, password) {
			return nil, badRequest("invalid_grant", "Invalid user credentials")
		}
		if scopes, oerr = allowedScopes(client, requested); oerr != nil {
			return nil, oerr
		}
		subject = username
		issueRefresh = s.opts.RefreshTokens
	case "refresh_token":
		if !s.opts.RefreshTokens {
			return nil, badRequest("unsupported_grant_type", "grant type refresh_token is not supported")
		}
		token := grantParams.Get("refresh_token")
		if token == "" {
			return nil, invalidRequest("missing parameter refresh_token")
		}
		// Consume the token before validating the rest: a real server
		// revokes a refresh token presented by the wrong client, and
		// rotation means each token is good for one attempt either way.
		s.mu.Lock()
		g, ok := s.refresh[token]
		delete(s.refresh, token)
		s.mu.Unlock()
		if !ok || g.clientID != client.ID {
			return nil, badRequest("invalid_grant", "Invalid refresh token")
		}
		scopes, subject = g.scopes, g.subject
		if requested != nil {
			// RFC 6749 section 6: the scope may only be narrowed.
			for _, sc := range requested {
				if !slices.Contains(g.scopes, sc) {
					return nil, badRequest("invalid_scope", "scope %q was not granted originally", sc)
				}
			}
			scopes = requested
		}
		issueRefresh = true
	default:
		return nil, badRequest("unsupported_grant_type", "grant type %q is not supported", grantType)
	}

	// The audience of a JWT access token, when the client names one.
	audience := slices.Concat(grantParams["audience"], grantParams["resource"])
	return s.issue(r, grant{clientID: client.ID, subject: subject, scopes: scopes}, audience, issueRefresh)
}

// authenticate identifies the client per RFC 6749 section 2.3, allowing
// only the one method the client is registered for.
func (s *Server) authenticate(r *http.Request, p params) (Client, *oauthError) {
	authz := r.Header.Get("Authorization")
	bodySecret := p.body.Get("client_secret")
	idParam := p.body.Get("client_id")
	if idParam == "" {
		idParam = p.query.Get("client_id")
	}

	if authz != "" {
		if bodySecret != "" {
			// RFC 6749 section 2.3: MUST NOT use more than one method.
			return Client{}, invalidRequest("multiple client authentication methods used (HTTP Basic and client_secret in the body)")
		}
		user, pass, ok := parseBasic(authz)
		if !ok {
			return Client{}, invalidClient(true, "malformed or unsupported Authorization header; expected HTTP Basic with form-url-encoded client_id and client_secret")
		}
		c, known := s.clients[user]
		if !known || !equal(c.Secret, pass) {
			return Client{}, invalidClient(true, badClientCredentials)
		}
		if c.Auth != AuthBasic {
			return Client{}, invalidClient(true, fmt.Sprintf("client is not allowed to authenticate with client_secret_basic; it must use %s", c.Auth))
		}
		if idParam != "" && idParam != user {
			return Client{}, invalidRequest("client_id parameter does not match the HTTP Basic credentials")
		}
		return c, nil
	}

	if bodySecret != "" {
		id := p.body.Get("client_id")
		if id == "" {
			return Client{}, invalidRequest("client_secret_post requires client_id in the request body")
		}
		c, known := s.clients[id]
		if !known {
			return Client{}, invalidClient(false, badClientCredentials)
		}
		switch c.Auth {
		case AuthBasic:
			return Client{}, invalidRequest("client_secret must not be sent in the body; use HTTP Basic")
		case AuthNone:
			return Client{}, invalidClient(false, "public client must not send a client_secret")
		}
		if !equal(c.Secret, bodySecret) {
			return Client{}, invalidClient(false, badClientCredentials)
		}
		return c, nil
	}

	if idParam == "" {
		return Client{}, invalidClient(false, "client authentication required")
	}
	c, known := s.clients[idParam]
	if !known {
		return Client{}, invalidClient(false, badClientCredentials)
	}
	if c.Auth != AuthNone {
		return Client{}, invalidClient(false, fmt.Sprintf("client authentication required; client must use %s", c.Auth))
	}
	return c, nil
}

// parseBasic decodes an HTTP Basic Authorization header the RFC 6749 way:
// unlike plain HTTP Basic, both halves are form-url-encoded, so a client
// that forgets to encode a secret containing '+' or '%' is caught.
func parseBasic(header string) (user, pass string, ok bool) {
	scheme, cred, found := strings.Cut(header, " ")
	if !found || !strings.EqualFold(scheme, "Basic") {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
	if err != nil {
		return "", "", false
	}
	u, p, found := strings.Cut(string(raw), ":")
	if !found {
		return "", "", false
	}
	if user, err = url.QueryUnescape(u); err != nil {
		return "", "", false
	}
	if pass, err = url.QueryUnescape(p); err != nil {
		return "", "", false
	}
	return user, pass, true
}

// equal compares secrets in constant time; a test server does not need
// it, but a fake that people copy from should not teach timing leaks.
func equal(want, got string) bool {
	return subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

// parseScope splits a scope parameter per RFC 6749 section 3.3. It returns
// nil when no scope was requested.
func parseScope(scope string) ([]string, *oauthError) {
	if scope == "" {
		return nil, nil
	}
	var out []string
	for _, sc := range strings.Split(scope, " ") {
		if sc == "" {
			return nil, badRequest("invalid_scope", "scope must be single-space-delimited, got %q", scope)
		}
		for _, c := range sc {
			// scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
			if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
				return nil, badRequest("invalid_scope", "invalid character %q in scope %q", c, sc)
			}
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out, nil
}

// allowedScopes checks requested scopes against the client's and returns
// the scopes to grant.
func allowedScopes(c Client, requested []string) ([]string, *oauthError) {
	if requested == nil {
		return c.Scopes, nil
	}
	if len(c.Scopes) > 0 {
		for _, sc := range requested {
			if !slices.Contains(c.Scopes, sc) {
				return nil, badRequest("invalid_scope", "scope %q is not allowed for this client", sc)
			}
		}
	}
	return requested, nil
}

// issue creates and remembers the tokens for g and builds the response
// fields. audience is what the request asked for, used by JWT access tokens.
func (s *Server) issue(r *http.Request, g grant, audience []string, withRefresh bool) (map[string]any, *oauthError) {
	access, err := randomToken()
	if err != nil {
		return nil, &oauthError{status: http.StatusInternalServerError, code: "server_error", description: "cannot generate token"}
	}
	now := s.now()
	var expiry time.Time
	if s.opts.ExpiresIn > 0 {
		expiry = now.Add(time.Duration(s.opts.ExpiresIn) * time.Second)
	}
	if s.clients[g.clientID].JWTAccessTokens {
		// The random token becomes the JWT's jti.
		if access, err = s.jwt.sign(r, g, audience, access, now, expiry); err != nil {
			return nil, &oauthError{status: http.StatusInternalServerError, code: "server_error", description: "cannot sign token"}
		}
	}
	resp := map[string]any{
		"access_token": access,
		"token_type":   s.opts.TokenType,
	}
	if s.opts.ExpiresIn > 0 {
		if s.opts.ExpiresInAsString {
			resp["expires_in"] = strconv.Itoa(s.opts.ExpiresIn)
		} else {
			resp["expires_in"] = s.opts.ExpiresIn
		}
	}
	if len(g.scopes) > 0 && !s.opts.OmitScope {
		if s.opts.ScopeAsArray {
			resp["scope"] = slices.Clone(g.scopes)
		} else {
			resp["scope"] = strings.Join(g.scopes, " ")
		}
	}
	var refresh string
	if withRefresh {
		if refresh, err = randomToken(); err != nil {
			return nil, &oauthError{status: http.StatusInternalServerError, code: "server_error", description: "cannot generate token"}
		}
		resp["refresh_token"] = refresh
	}
	maps.Copy(resp, s.opts.ExtraFields)

	s.mu.Lock()
	defer s.mu.Unlock()
	s.access[access] = expiry
	if withRefresh {
		g.scopes = slices.Clone(g.scopes) // the caller's slice may be the client's
		s.refresh[refresh] = g
	}
	s.tokenRequests++
	return resp, nil
}

func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func (s *Server) writeSuccess(w http.ResponseWriter, fields map[string]any) {
	s.write(w, http.StatusOK, fields)
}

func (s *Server) writeError(w http.ResponseWriter, e *oauthError) {
	if e.basicChallenge {
		w.Header().Set("WWW-Authenticate", `Basic realm="tokenserver"`)
	}
	s.write(w, e.status, map[string]any{"error": e.code, "error_description": e.description})
}

func (s *Server) write(w http.ResponseWriter, status int, fields map[string]any) {
	h := w.Header()
	// RFC 6749 section 5.1: token responses must never be cached.
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	var body []byte
	if s.opts.FormResponse {
		h.Set("Content-Type", "application/x-www-form-urlencoded")
		body = []byte(formEncode(fields))
	} else {
		h.Set("Content-Type", "application/json")
		var err error
		if body, err = json.Marshal(fields); err != nil {
			// Only ExtraFields can make this fail; that is a test bug.
			status = http.StatusInternalServerError
			body = []byte(`{"error":"server_error","error_description":"cannot encode ExtraFields"}`)
		}
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// formEncode flattens a response for FormResponse the way form-answering
// servers do: lists become space-delimited, everything else its text form.
func formEncode(fields map[string]any) string {
	v := make(url.Values, len(fields))
	for k, x := range fields {
		switch x := x.(type) {
		case []string:
			v.Set(k, strings.Join(x, " "))
		case string:
			v.Set(k, x)
		case float64:
			// Avoid fmt's exponent form for values decoded from JSON.
			v.Set(k, strconv.FormatFloat(x, 'f', -1, 64))
		default:
			v.Set(k, fmt.Sprint(x))
		}
	}
	return v.Encode()
}
