package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sync"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/tokenserver"
)

// endpoint is one token endpoint of the server: an instance of the bundled
// token server in one dialect, with its own clients and users. Everything
// the banner says about it is derived from opts.
type endpoint struct {
	// dialect says, in a few words, how it differs from the others.
	dialect string
	opts    tokenserver.Options
}

// audience is the aud of the JWT access tokens when a request names none:
// the audience examples/functions/jwt_claims checks for.
const audience = "https://api.example.com"

// metadataPath is where the server's metadata (RFC 8414) is: it describes
// the first endpoint, so that issuer_url can be tried too.
const metadataPath = "/.well-known/oauth-authorization-server"

// endpoints are what the server serves. The first endpoint's first client
// is the default one, whose settings the banner prints as exports.
func endpoints() []endpoint {
	return []endpoint{{
		dialect: "as RFC 6749 has it: grant parameters in the form body",
		opts: tokenserver.Options{
			Path: "/token",
			Clients: []tokenserver.Client{
				{ID: "basic-client", Secret: "basic-secret", Auth: tokenserver.AuthBasic},
				{ID: "post-client", Secret: "post-secret", Auth: tokenserver.AuthPost},
				{ID: "jwt-client", Secret: "jwt-secret", Auth: tokenserver.AuthBasic, JWTAccessTokens: true},
				{ID: "scoped-client", Secret: "scoped-secret", Auth: tokenserver.AuthBasic, Scopes: []string{"api.read", "api.write"}},
				{ID: "public-client", Auth: tokenserver.AuthNone},
			},
			Users:         []tokenserver.User{{Username: "alice", Password: "alice-password"}},
			RefreshTokens: true,
			JWT:           &tokenserver.JWTOptions{Audience: []string{audience}},
		},
	}, {
		dialect: "in Reltio's dialect: grant parameters in the query string (the refresh grant's in the body), idp_system on the password grant",
		opts: tokenserver.Options{
			Path:              "/query/token",
			Clients:           []tokenserver.Client{{ID: "query-client", Secret: "query-secret", Auth: tokenserver.AuthBasic, Scopes: []string{"read", "write"}}},
			Users:             []tokenserver.User{{Username: "jane", Password: "jane-password"}},
			ParamsIn:          tokenserver.ParamsInQuery,
			BodyGrants:        []string{"refresh_token"},
			RequiredParams:    map[string]string{"idp_system": "salesforce"},
			RequiredParamsFor: []string{"password"},
			TokenType:         "bearer",
			ExpiresInAsString: true,
			ScopeAsArray:      true,
			RefreshTokens:     true,
			ExtraFields:       map[string]any{"entityURI": "entities/0000abc"},
		},
	}}
}

// newHandler serves every endpoint, the JWK Set of the endpoints that sign
// JWTs, and the metadata, and logs every request to log.
func newHandler(eps []endpoint, log io.Writer) http.Handler {
	mux := http.NewServeMux()
	for _, ep := range eps {
		ts := tokenserver.New(ep.opts)
		mux.Handle(ep.opts.Path, ts)
		if ep.opts.JWT != nil {
			mux.Handle(jwksPath(ep.opts), ts)
		}
	}
	mux.HandleFunc(metadataPath, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "metadata is read with GET", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(metadata(eps[0], origin(r)))
	})
	return &requestLog{next: mux, out: log}
}

// jwksPath is where an endpoint with JWT options serves its JWK Set.
func jwksPath(opts tokenserver.Options) string {
	if opts.JWT.JWKSPath != "" {
		return opts.JWT.JWKSPath
	}
	return tokenserver.DefaultJWKSPath
}

// origin is the server's URL as the client reached it, which the metadata
// names as the issuer, as the token server does for the JWTs' iss.
func origin(r *http.Request) string {
	return "http://" + r.Host
}

// metadata is the RFC 8414 document for ep, served at base.
func metadata(ep endpoint, base string) map[string]any {
	m := map[string]any{
		"issuer":                                base,
		"token_endpoint":                        base + ep.opts.Path,
		"token_endpoint_auth_methods_supported": authMethods(ep),
		"grant_types_supported":                 grantTypes(ep),
	}
	if ep.opts.JWT != nil {
		m["jwks_uri"] = base + jwksPath(ep.opts)
	}
	return m
}

// authMethods are the client authentication methods of ep's clients.
func authMethods(ep endpoint) []string {
	var out []string
	for _, c := range ep.opts.Clients {
		if !slices.Contains(out, c.Auth) {
			out = append(out, c.Auth)
		}
	}
	return out
}

// grantTypes are the grant types some client of ep can use.
func grantTypes(ep endpoint) []string {
	var out []string
	for _, c := range ep.opts.Clients {
		for _, g := range grants(ep.opts, c) {
			if !slices.Contains(out, g) {
				out = append(out, g)
			}
		}
	}
	return out
}

// grants are the grant types c can use at an endpoint with opts, in the
// order a newcomer meets them.
func grants(opts tokenserver.Options, c tokenserver.Client) []string {
	var out []string
	if c.Auth != tokenserver.AuthNone {
		// RFC 6749 section 4.4: confidential clients only.
		out = append(out, "client_credentials")
	}
	if len(opts.Users) > 0 {
		out = append(out, "password")
		if opts.RefreshTokens {
			// Only the password grant issues refresh tokens.
			out = append(out, "refresh_token")
		}
	}
	return out
}

// requestLog writes one line per request: what was asked, by which client,
// and what came back. It never writes a secret or a token: the client is
// named by its ID, and a response by its status and OAuth error.
type requestLog struct {
	next http.Handler
	mu   sync.Mutex
	out  io.Writer
}

// maxLoggedBody is how much of a request body the log reads to find the
// grant type and client ID; the token server reads and limits the rest.
const maxLoggedBody = 1 << 20

func (l *requestLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var params url.Values
	if r.Body != nil {
		head, _ := io.ReadAll(io.LimitReader(r.Body, maxLoggedBody))
		r.Body = readCloser{io.MultiReader(bytes.NewReader(head), r.Body), r.Body}
		params, _ = url.ParseQuery(string(head))
	}
	query, _ := url.ParseQuery(r.URL.RawQuery)
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	l.next.ServeHTTP(rec, r)

	line := fmt.Sprintf("%s %s", r.Method, r.URL.Path)
	grant := first(params, query, "grant_type")
	if grant != "" {
		line += " " + grant
	}
	if id := clientID(r, params, query); id != "" {
		line += " client=" + id
	}
	line += fmt.Sprintf(" -> %d", rec.status)
	if rec.status >= 400 {
		var e struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if json.Unmarshal(rec.body.Bytes(), &e) == nil && e.Error != "" {
			line += " " + e.Error + ": " + e.Description
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintln(l.out, "==> "+line)
}

func first(a, b url.Values, key string) string {
	if v := a.Get(key); v != "" {
		return v
	}
	return b.Get(key)
}

// clientID is the client a request names: the user of its Basic header, or
// its client_id parameter.
func clientID(r *http.Request, params, query url.Values) string {
	if user, _, ok := r.BasicAuth(); ok {
		if id, err := url.QueryUnescape(user); err == nil {
			return id
		}
		return user
	}
	return first(params, query, "client_id")
}

type readCloser struct {
	io.Reader
	io.Closer
}

// recorder keeps the status and, for errors, the body of a response.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status >= 400 && r.body.Len() < 4096 {
		r.body.Write(b)
	}
	return r.ResponseWriter.Write(b)
}
