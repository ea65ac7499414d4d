package tokenserver

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// Secrets deliberately contain every character that RFC 6749 section 2.3.1
// form-url-encoding changes, so a client that skips the encoding, or a
// server that skips the decoding, fails.
const (
	basicID      = "basic-client"
	basicSecret  = "s3cr3t @&=+%/: x"
	colonID      = "id:with@colon"
	colonSecret  = "pa:ss+word"
	postID       = "post-client"
	postSecret   = "post secret&=+%/:@"
	publicID     = "public-client"
	scopedID     = "scoped-client"
	scopedSecret = "scoped"
)

func testClients() []Client {
	return []Client{
		{ID: basicID, Secret: basicSecret, Auth: AuthBasic},
		{ID: colonID, Secret: colonSecret, Auth: AuthBasic},
		{ID: postID, Secret: postSecret, Auth: AuthPost},
		{ID: publicID, Auth: AuthNone},
		{ID: scopedID, Secret: scopedSecret, Auth: AuthBasic, Scopes: []string{"api.read", "api.write"}},
	}
}

// basic encodes credentials exactly as RFC 6749 section 2.3.1 requires.
func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

// rawBasic encodes credentials as plain HTTP Basic (RFC 7617), without the
// form-url-encoding step; a common client bug.
func rawBasic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

// req describes one HTTP request to the server under test.
type req struct {
	method      string // default POST
	path        string // default /token
	query       url.Values
	body        url.Values
	rawBody     string // used instead of body when set
	contentType string // default form when there is a body; "-" for none
	auth        string // Authorization header
}

// resp is a decoded token endpoint response.
type resp struct {
	status int
	header http.Header
	raw    string
	fields map[string]any // JSON body, or form body as strings
}

func (r resp) str(k string) string {
	s, _ := r.fields[k].(string)
	return s
}

func do(t *testing.T, base string, rq req) resp {
	t.Helper()
	method := rq.method
	if method == "" {
		method = http.MethodPost
	}
	path := rq.path
	if path == "" {
		path = "/token"
	}
	u := base + path
	if rq.query != nil {
		u += "?" + rq.query.Encode()
	}
	body := rq.rawBody
	if body == "" && rq.body != nil {
		body = rq.body.Encode()
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	hr, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case rq.contentType == "-":
	case rq.contentType != "":
		hr.Header.Set("Content-Type", rq.contentType)
	case body != "":
		hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if rq.auth != "" {
		hr.Header.Set("Authorization", rq.auth)
	}
	hresp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer hresp.Body.Close()
	raw, err := io.ReadAll(hresp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := resp{status: hresp.StatusCode, header: hresp.Header, raw: string(raw), fields: map[string]any{}}
	switch ct := hresp.Header.Get("Content-Type"); ct {
	case "application/json":
		if err := json.Unmarshal(raw, &out.fields); err != nil {
			t.Fatalf("invalid JSON response %q: %v", raw, err)
		}
	case "application/x-www-form-urlencoded":
		v, err := url.ParseQuery(string(raw))
		if err != nil {
			t.Fatalf("invalid form response %q: %v", raw, err)
		}
		for k := range v {
			out.fields[k] = v.Get(k)
		}
	}
	return out
}

func newTestServer(t *testing.T, opts Options) (*Server, string) {
	t.Helper()
	s := New(opts)
	return s, serve(t, s)
}

// serve starts s; any test tweaks to s must happen before, so that the
// race detector sees them ordered before the handler goroutines.
func serve(t *testing.T, s *Server) string {
	t.Helper()
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return hs.URL
}

func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

// expectation of one table case; zero fields are not checked.
type want struct {
	status      int
	err         string // OAuth error code; "" expects a token
	description string // substring of error_description
	challenge   bool   // expect WWW-Authenticate: Basic
	scope       string // expected scope ("-" = absent); only for successes
}

func check(t *testing.T, got resp, w want) {
	t.Helper()
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if got.status != w.status {
		t.Fatalf("status = %d, want %d; body %s", got.status, w.status, got.raw)
	}
	if got.header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got.header.Get("Cache-Control"))
	}
	if ch := got.header.Get("WWW-Authenticate"); (ch != "") != w.challenge {
		t.Errorf("WWW-Authenticate = %q, want present=%v", ch, w.challenge)
	} else if w.challenge && ch != `Basic realm="tokenserver"` {
		t.Errorf("WWW-Authenticate = %q", ch)
	}
	if w.err != "" {
		if got.str("error") != w.err {
			t.Errorf("error = %q, want %q; body %s", got.str("error"), w.err, got.raw)
		}
		if !strings.Contains(got.str("error_description"), w.description) {
			t.Errorf("error_description = %q, want it to contain %q", got.str("error_description"), w.description)
		}
		if _, ok := got.fields["access_token"]; ok {
			t.Errorf("error response contains an access_token")
		}
		return
	}
	if got.str("access_token") == "" {
		t.Fatalf("no access_token in %s", got.raw)
	}
	if got.str("token_type") != "Bearer" {
		t.Errorf("token_type = %q", got.str("token_type"))
	}
	switch sc, ok := got.fields["scope"]; {
	case w.scope == "-" && ok:
		t.Errorf("scope = %v, want none", sc)
	case w.scope != "" && w.scope != "-" && sc != w.scope:
		t.Errorf("scope = %v, want %q", sc, w.scope)
	}
}

func TestDefaultServerStrictness(t *testing.T) {
	s, base := newTestServer(t, Options{
		Clients: testClients(),
		Users:   []User{{Username: "alice", Password: "wonder land&+"}},
	})
	cc := func(kv ...string) url.Values {
		return form(append([]string{"grant_type", "client_credentials"}, kv...)...)
	}

	tests := []struct {
		name string
		req  req
		want want
	}{
		// Transport-level rules.
		{"GET is not allowed", req{method: http.MethodGet, query: cc(), auth: basic(basicID, basicSecret)},
			want{status: 405, err: "invalid_request", description: "POST"}},
		{"PUT is not allowed", req{method: http.MethodPut, body: cc(), auth: basic(basicID, basicSecret)},
			want{status: 405, err: "invalid_request"}},
		{"JSON body is rejected", req{rawBody: `{"grant_type":"client_credentials"}`, contentType: "application/json", auth: basic(basicID, basicSecret)},
			want{status: 400, err: "invalid_request", description: "application/x-www-form-urlencoded"}},
		{"body without Content-Type is rejected", req{body: cc(), contentType: "-", auth: basic(basicID, basicSecret)},
			want{status: 400, err: "invalid_request", description: "Content-Type"}},
		{"Content-Type with charset is fine", req{body: cc(), contentType: "application/x-www-form-urlencoded; charset=utf-8", auth: basic(basicID, basicSecret)},
			want{}},
		{"malformed body", req{rawBody: "grant_type=%zz", auth: basic(basicID, basicSecret)},
			want{status: 400, err: "invalid_request", description: "malformed"}},

		// client_secret_basic.
		{"basic ok, secret with special characters", req{body: cc(), auth: basic(basicID, basicSecret)},
			want{scope: "-"}},
		{"basic ok, colon in client id", req{body: cc(), auth: basic(colonID, colonSecret)},
			want{}},
		{"basic scheme is case-insensitive", req{body: cc(), auth: strings.Replace(basic(basicID, basicSecret), "Basic", "bAsIc", 1)},
			want{}},
		{"basic without form-url-encoding fails", req{body: cc(), auth: rawBasic(basicID, basicSecret)},
			want{status: 401, err: "invalid_client", challenge: true}},
		{"basic with ':' in id left unencoded fails", req{body: cc(), auth: rawBasic(colonID, colonSecret)},
			want{status: 401, err: "invalid_client", challenge: true}},
		{"basic wrong secret", req{body: cc(), auth: basic(basicID, "nope")},
			want{status: 401, err: "invalid_client", description: badClientCredentials, challenge: true}},
		{"basic unknown client", req{body: cc(), auth: basic("nobody", basicSecret)},
			want{status: 401, err: "invalid_client", description: badClientCredentials, challenge: true}},
		{"basic malformed base64", req{body: cc(), auth: "Basic !!!"},
			want{status: 401, err: "invalid_client", challenge: true}},
		{"basic without colon", req{body: cc(), auth: "Basic " + base64.StdEncoding.EncodeToString([]byte(basicID))},
			want{status: 401, err: "invalid_client", challenge: true}},
		{"basic with bad percent-encoding", req{body: cc(), auth: "Basic " + base64.StdEncoding.EncodeToString([]byte(basicID+":%zz"))},
			want{status: 401, err: "invalid_client", challenge: true}},
		{"bearer scheme is not client authentication", req{body: cc(), auth: "Bearer abc"},
			want{status: 401, err: "invalid_client", challenge: true}},
		{"basic client sending secret in body", req{body: cc("client_id", basicID, "client_secret", basicSecret)},
			want{status: 400, err: "invalid_request", description: "client_secret must not be sent in the body; use HTTP Basic"}},
		{"basic client sending nothing", req{body: cc("client_id", basicID)},
			want{status: 401, err: "invalid_client", description: "client_secret_basic"}},
		{"basic plus body secret is two methods", req{body: cc("client_id", basicID, "client_secret", basicSecret), auth: basic(basicID, basicSecret)},
			want{status: 400, err: "invalid_request", description: "multiple client authentication methods"}},
		{"basic plus matching client_id is fine", req{body: cc("client_id", basicID), auth: basic(basicID, basicSecret)},
			want{}},
		{"basic plus different client_id", req{body: cc("client_id", postID), auth: basic(basicID, basicSecret)},
			want{status: 400, err: "invalid_request", description: "does not match"}},
		{"client_secret in query is never allowed", req{query: form("client_secret", basicSecret), body: cc(), auth: basic(basicID, basicSecret)},
			want{status: 400, err: "invalid_request", description: "client_secret must not be sent in the query"}},

		// client_secret_post.
		{"post ok", req{body: cc("client_id", postID, "client_secret", postSecret)},
			want{}},
		{"post wrong secret", req{body: cc("client_id", postID, "client_secret", "nope")},
			want{status: 401, err: "invalid_client", description: badClientCredentials}},
		{"post unknown client", req{body: cc("client_id", "nobody", "client_secret", "x")},
			want{status: 401, err: "invalid_client", description: badClientCredentials}},
		{"post client using basic", req{body: cc(), auth: basic(postID, postSecret)},
			want{status: 401, err: "invalid_client", description: "client_secret_post", challenge: true}},
		{"post client_id in query", req{query: form("client_id", postID), body: cc("client_secret", postSecret)},
			want{status: 400, err: "invalid_request", description: "client_id in the request body"}},
		{"post without secret", req{body: cc("client_id", postID)},
			want{status: 401, err: "invalid_client"}},
		{"empty parameters count as omitted", req{body: cc("client_id", postID, "client_secret", postSecret, "scope", "")},
			want{scope: "-"}},

		// none.
		{"public client in body", req{body: form("grant_type", "password", "client_id", publicID, "username", "alice", "password", "wonder land&+")},
			want{}},
		{"public client_id in query", req{query: form("client_id", publicID), body: form("grant_type", "password", "username", "alice", "password", "wonder land&+")},
			want{}},
		{"public client may not use client_credentials", req{body: cc("client_id", publicID)},
			want{status: 400, err: "unauthorized_client"}},
		{"public client sending a secret", req{body: cc("client_id", publicID, "client_secret", "x")},
			want{status: 401, err: "invalid_client"}},
		{"no client at all", req{body: cc()},
			want{status: 401, err: "invalid_client"}},
		{"unknown public client", req{body: cc("client_id", "nobody")},
			want{status: 401, err: "invalid_client", description: badClientCredentials}},
		{"client_id in query and body", req{query: form("client_id", publicID), body: cc("client_id", publicID)},
			want{status: 400, err: "invalid_request", description: "client_id must not be repeated"}},

		// Parameter placement and repetition (ParamsIn = body).
		{"grant_type in query", req{query: cc(), auth: basic(basicID, basicSecret)},
			want{status: 400, err: "invalid_request", description: "grant_type must be sent in the request body"}},
		{"scope in query", req{query: form("scope", "a"), body: cc(), auth: basic(basicID, basicSecret)},
			want{status: 400, err: "invalid_request", description: "scope must be sent in the request body"}},
		{"unknown extra parameter in query", req{query: form("foo", "bar"), body: cc(), auth: basic(basicID, basicSecret)},
			want{status: 400, err: "invalid_request", description: "foo"}},
		{"unknown extra parameter in body is ignored", req{body: cc("foo", "bar"), auth: basic(basicID, basicSecret)},
			want{}},
		{"repeated scope", req{body: cc("scope", "a", "scope", "b"), auth: basic(basicID, basicSecret)},
			want{status: 400, err: "invalid_request", description: "scope must not be repeated"}},
		{"repeated resource and audience are fine", req{body: cc("resource", "https://a.example/", "resource", "urn:b", "audience", "x", "audience", "y"), auth: basic(basicID, basicSecret)},
			want{}},
		{"relative resource", req{body: cc("resource", "api"), auth: basic(basicID, basicSecret)},
			want{status: 400, err: "invalid_target"}},
		{"resource with fragment", req{body: cc("resource", "https://a.example/#x"), auth: basic(basicID, basicSecret)},
			want{status: 400, err: "invalid_target"}},

		// Grants.
		{"missing grant_type", req{body: form("scope", "a"), auth: basic(basicID, basicSecret)},
			want{status: 400, err: "invalid_request", description: "grant_type"}},
		{"unsupported grant_type", req{body: form("grant_type", "authorization_code", "code", "x"), auth: basic(basicID, basicSecret)},
			want{status: 400, err: "unsupported_grant_type"}},
		{"password ok", req{body: form("grant_type", "password", "username", "alice", "password", "wonder land&+"), auth: basic(basicID, basicSecret)},
			want{}},
		{"password wrong", req{body: form("grant_type", "password", "username", "alice", "password", "nope"), auth: basic(basicID, basicSecret)},
			want{status: 400, err: "invalid_grant", description: "Invalid user credentials"}},
		{"password unknown user", req{body: form("grant_type", "password", "username", "bob", "password", "x"), auth: basic(basicID, basicSecret)},
			want{status: 400, err: "invalid_grant", description: "Invalid user credentials"}},
		{"password missing username", req{body: form("grant_type", "password", "password", "x"), auth: basic(basicID, basicSecret)},
			want{status: 400, err: "invalid_request"}},
		{"refresh_token disabled", req{body: form("grant_type", "refresh_token", "refresh_token", "x"), auth: basic(basicID, basicSecret)},
			want{status: 400, err: "unsupported_grant_type"}},

		// Scopes.
		{"any scope for unrestricted client", req{body: cc("scope", "x y"), auth: basic(basicID, basicSecret)},
			want{scope: "x y"}},
		{"allowed scope", req{body: cc("scope", "api.read"), auth: basic(scopedID, scopedSecret)},
			want{scope: "api.read"}},
		{"no scope requested gets the client's scopes", req{body: cc(), auth: basic(scopedID, scopedSecret)},
			want{scope: "api.read api.write"}},
		{"disallowed scope", req{body: cc("scope", "api.read admin"), auth: basic(scopedID, scopedSecret)},
			want{status: 400, err: "invalid_scope", description: "admin"}},
		{"comma-delimited scope", req{body: cc("scope", "api.read,api.write"), auth: basic(scopedID, scopedSecret)},
			want{status: 400, err: "invalid_scope"}},
		{"double space in scope", req{body: cc("scope", "a  b"), auth: basic(basicID, basicSecret)},
			want{status: 400, err: "invalid_scope"}},
		{"quote in scope", req{body: cc("scope", `a"b`), auth: basic(basicID, basicSecret)},
			want{status: 400, err: "invalid_scope"}},
		{"duplicate scope tokens are collapsed", req{body: cc("scope", "a b a"), auth: basic(basicID, basicSecret)},
			want{scope: "a b"}},

		// Paths.
		{"other path", req{path: "/other", body: cc(), auth: basic(basicID, basicSecret)},
			want{status: 404, err: "-"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.TokenRequests()
			got := do(t, base, tt.req)
			if tt.want.status == 404 {
				if got.status != 404 {
					t.Fatalf("status = %d, want 404", got.status)
				}
				return
			}
			check(t, got, tt.want)
			wantIssued := 1
			if tt.want.err != "" {
				wantIssued = 0
			}
			if issued := s.TokenRequests() - before; issued != wantIssued {
				t.Errorf("TokenRequests grew by %d, want %d", issued, wantIssued)
			}
			if tt.want.err == "" && !s.Active(got.str("access_token")) {
				t.Errorf("issued token is not Active")
			}
		})
	}
}

func TestParamsInQuery(t *testing.T) {
	_, base := newTestServer(t, Options{Clients: testClients(), ParamsIn: ParamsInQuery})
	tests := []struct {
		name string
		req  req
		want want
	}{
		{"all grant parameters in query, basic", req{query: form("grant_type", "client_credentials", "scope", "a b"), auth: basic(basicID, basicSecret)},
			want{scope: "a b"}},
		{"no body at all needs no Content-Type", req{query: form("grant_type", "client_credentials"), contentType: "-", auth: basic(basicID, basicSecret)},
			want{}},
		{"post credentials still in the body", req{query: form("grant_type", "client_credentials"), body: form("client_id", postID, "client_secret", postSecret)},
			want{}},
		{"client_secret in query", req{query: form("grant_type", "client_credentials", "client_id", postID, "client_secret", postSecret)},
			want{status: 400, err: "invalid_request", description: "client_secret must not be sent in the query"}},
		{"grant_type in body", req{body: form("grant_type", "client_credentials"), auth: basic(basicID, basicSecret)},
			want{status: 400, err: "invalid_request", description: "grant_type must be sent in the query string"}},
		{"scope in body", req{query: form("grant_type", "client_credentials"), body: form("scope", "a"), auth: basic(basicID, basicSecret)},
			want{status: 400, err: "invalid_request", description: "scope must be sent in the query string"}},
		{"missing grant_type", req{query: form("scope", "a"), auth: basic(basicID, basicSecret)},
			want{status: 400, err: "invalid_request", description: "grant_type"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { check(t, do(t, base, tt.req), tt.want) })
	}
}

func TestRequiredParams(t *testing.T) {
	for _, in := range []string{ParamsInBody, ParamsInQuery} {
		t.Run(in, func(t *testing.T) {
			_, base := newTestServer(t, Options{
				Clients:        testClients(),
				ParamsIn:       in,
				RequiredParams: map[string]string{"idp_system": "salesforce"},
			})
			place := func(kv ...string) req {
				v := form(append([]string{"grant_type", "client_credentials"}, kv...)...)
				if in == ParamsInQuery {
					return req{query: v, auth: basic(basicID, basicSecret)}
				}
				return req{body: v, auth: basic(basicID, basicSecret)}
			}
			check(t, do(t, base, place("idp_system", "salesforce")), want{})
			check(t, do(t, base, place()), want{status: 400, err: "invalid_request", description: "idp_system"})
			check(t, do(t, base, place("idp_system", "other")), want{status: 400, err: "invalid_request", description: "idp_system"})
		})
	}
}

func TestResponseShapes(t *testing.T) {
	ccReq := req{body: form("grant_type", "client_credentials", "scope", "a b"), auth: basic(basicID, basicSecret)}
	tests := []struct {
		name  string
		opts  Options
		check func(t *testing.T, r resp)
	}{
		{"defaults", Options{}, func(t *testing.T, r resp) {
			if r.header.Get("Content-Type") != "application/json" || r.header.Get("Pragma") != "no-cache" {
				t.Errorf("headers = %v", r.header)
			}
			if r.fields["expires_in"] != float64(3600) || r.fields["scope"] != "a b" || r.fields["token_type"] != "Bearer" {
				t.Errorf("fields = %v", r.fields)
			}
			if _, ok := r.fields["refresh_token"]; ok {
				t.Errorf("unexpected refresh_token for client_credentials")
			}
			if tok, _ := base64.RawURLEncoding.DecodeString(r.str("access_token")); len(tok) != 32 {
				t.Errorf("access_token %q is not 32 base64url bytes", r.str("access_token"))
			}
		}},
		{"expires_in as string", Options{ExpiresIn: 60, ExpiresInAsString: true}, func(t *testing.T, r resp) {
			if r.fields["expires_in"] != "60" {
				t.Errorf("expires_in = %#v", r.fields["expires_in"])
			}
		}},
		{"expires_in omitted", Options{ExpiresIn: -1}, func(t *testing.T, r resp) {
			if _, ok := r.fields["expires_in"]; ok {
				t.Errorf("expires_in = %v, want absent", r.fields["expires_in"])
			}
		}},
		{"scope as array", Options{ScopeAsArray: true}, func(t *testing.T, r resp) {
			if !reflect.DeepEqual(r.fields["scope"], []any{"a", "b"}) {
				t.Errorf("scope = %#v", r.fields["scope"])
			}
		}},
		{"scope omitted", Options{OmitScope: true}, func(t *testing.T, r resp) {
			if _, ok := r.fields["scope"]; ok {
				t.Errorf("scope present")
			}
		}},
		{"token type", Options{TokenType: "bearer"}, func(t *testing.T, r resp) {
			if r.fields["token_type"] != "bearer" {
				t.Errorf("token_type = %v", r.fields["token_type"])
			}
		}},
		{"extra fields", Options{ExtraFields: map[string]any{"not-before-policy": 1696859419, "entityURI": "entities/abc", "id_token": "x.y.z"}},
			func(t *testing.T, r resp) {
				if r.fields["not-before-policy"] != float64(1696859419) || r.fields["entityURI"] != "entities/abc" || r.fields["id_token"] != "x.y.z" {
					t.Errorf("fields = %v", r.fields)
				}
				if !strings.Contains(r.raw, `"not-before-policy":1696859419`) {
					t.Errorf("number not verbatim in %s", r.raw)
				}
			}},
		{"extra fields override standard ones", Options{ExtraFields: map[string]any{"expires_in": "soon"}}, func(t *testing.T, r resp) {
			if r.fields["expires_in"] != "soon" {
				t.Errorf("expires_in = %v", r.fields["expires_in"])
			}
		}},
		{"form response", Options{FormResponse: true, ScopeAsArray: true, ExtraFields: map[string]any{"n": 1.5e9}}, func(t *testing.T, r resp) {
			if r.header.Get("Content-Type") != "application/x-www-form-urlencoded" {
				t.Errorf("Content-Type = %q", r.header.Get("Content-Type"))
			}
			if r.fields["expires_in"] != "3600" || r.fields["scope"] != "a b" || r.fields["n"] != "1500000000" || r.str("access_token") == "" {
				t.Errorf("fields = %v", r.fields)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Clients = testClients()
			_, base := newTestServer(t, tt.opts)
			r := do(t, base, ccReq)
			if r.status != 200 {
				t.Fatalf("status %d: %s", r.status, r.raw)
			}
			tt.check(t, r)
		})
	}
}

func TestFormErrorResponse(t *testing.T) {
	_, base := newTestServer(t, Options{Clients: testClients(), FormResponse: true})
	r := do(t, base, req{body: form("grant_type", "client_credentials"), auth: basic(basicID, "wrong")})
	if r.header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		t.Errorf("Content-Type = %q", r.header.Get("Content-Type"))
	}
	check(t, r, want{status: 401, err: "invalid_client", description: badClientCredentials, challenge: true})
}

func TestRefreshRotation(t *testing.T) {
	s, base := newTestServer(t, Options{
		Clients:       testClients(),
		Users:         []User{{Username: "alice", Password: "pw"}},
		RefreshTokens: true,
	})
	auth := basic(basicID, basicSecret)
	refresh := func(token string, kv ...string) resp {
		return do(t, base, req{body: form(append([]string{"grant_type", "refresh_token", "refresh_token", token}, kv...)...), auth: auth})
	}

	r := do(t, base, req{body: form("grant_type", "password", "username", "alice", "password", "pw", "scope", "a b"), auth: auth})
	check(t, r, want{scope: "a b"})
	rt1 := r.str("refresh_token")
	if rt1 == "" {
		t.Fatal("password grant issued no refresh_token")
	}

	// No refresh token for client_credentials (RFC 6749 section 4.4.3).
	if r := do(t, base, req{body: form("grant_type", "client_credentials"), auth: auth}); r.fields["refresh_token"] != nil {
		t.Errorf("client_credentials issued a refresh_token")
	}

	r = refresh(rt1)
	check(t, r, want{scope: "a b"})
	rt2 := r.str("refresh_token")
	if rt2 == "" || rt2 == rt1 {
		t.Fatalf("refresh token not rotated: %q -> %q", rt1, rt2)
	}
	check(t, refresh(rt1), want{status: 400, err: "invalid_grant"}) // already used

	// Narrowing the scope is allowed, widening is not.
	check(t, refresh(rt2, "scope", "a c"), want{status: 400, err: "invalid_scope"})
	// rt2 was consumed by the failed attempt, as a real server revokes it.
	check(t, refresh(rt2, "scope", "a"), want{status: 400, err: "invalid_grant"})

	r = do(t, base, req{body: form("grant_type", "password", "username", "alice", "password", "pw", "scope", "a b"), auth: auth})
	r = refresh(r.str("refresh_token"), "scope", "a")
	check(t, r, want{scope: "a"})

	// A refresh token belongs to the client it was issued to.
	other := do(t, base, req{body: form("grant_type", "password", "username", "alice", "password", "pw"), auth: auth}).str("refresh_token")
	check(t, do(t, base, req{body: form("grant_type", "refresh_token", "refresh_token", other), auth: basic(colonID, colonSecret)}),
		want{status: 400, err: "invalid_grant"})

	check(t, refresh("unknown"), want{status: 400, err: "invalid_grant"})
	check(t, do(t, base, req{body: form("grant_type", "refresh_token"), auth: auth}), want{status: 400, err: "invalid_request"})

	if n := s.TokenRequests(); n != 6 {
		t.Errorf("TokenRequests = %d, want 6", n)
	}
}

func TestActive(t *testing.T) {
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	s := New(Options{Clients: testClients(), ExpiresIn: 60})
	s.now = clock
	base := serve(t, s)

	tok := do(t, base, req{body: form("grant_type", "client_credentials"), auth: basic(basicID, basicSecret)}).str("access_token")
	if !s.Active(tok) {
		t.Fatal("fresh token not active")
	}
	if s.Active("forged") || s.Active("") {
		t.Error("unknown token active")
	}
	advance(59 * time.Second)
	if !s.Active(tok) {
		t.Error("token inactive before expiry")
	}
	advance(time.Second)
	if s.Active(tok) {
		t.Error("token active at expiry")
	}

	s2 := New(Options{Clients: testClients(), ExpiresIn: -1})
	s2.now = clock
	base2 := serve(t, s2)
	tok = do(t, base2, req{body: form("grant_type", "client_credentials"), auth: basic(basicID, basicSecret)}).str("access_token")
	advance(100 * 365 * 24 * time.Hour)
	if !s2.Active(tok) {
		t.Error("token without expiry became inactive")
	}
}

// The protected resource accepts a bearer token while it is active by the
// server's clock, and refuses it afterwards, as an API would.
func TestResource(t *testing.T) {
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	s := New(Options{Clients: testClients(), ExpiresIn: 3, ResourcePath: "/api"})
	s.now = clock
	base := serve(t, s)
	tok := do(t, base, req{body: form("grant_type", "client_credentials"), auth: basic(basicID, basicSecret)}).str("access_token")

	call := func(authz string) (int, string) {
		t.Helper()
		r, err := http.NewRequest(http.MethodGet, base+"/api", nil)
		if err != nil {
			t.Fatal(err)
		}
		if authz != "" {
			r.Header.Set("Authorization", authz)
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("WWW-Authenticate")
	}
	if status, _ := call("Bearer " + tok); status != http.StatusOK {
		t.Errorf("active token: status %d, want 200", status)
	}
	if status, _ := call("bearer " + tok); status != http.StatusOK {
		t.Errorf("lower-case scheme: status %d, want 200", status)
	}
	for _, authz := range []string{"", "Bearer forged", "Basic " + tok, tok} {
		if status, challenge := call(authz); status != http.StatusUnauthorized || !strings.HasPrefix(challenge, "Bearer") {
			t.Errorf("%q: status %d, WWW-Authenticate %q, want 401 with a Bearer challenge", authz, status, challenge)
		}
	}
	advance(3 * time.Second)
	if status, challenge := call("Bearer " + tok); status != http.StatusUnauthorized || !strings.Contains(challenge, "invalid_token") {
		t.Errorf("expired token: status %d, WWW-Authenticate %q, want 401 invalid_token", status, challenge)
	}
	if accepted, refused := s.ResourceRequests(); accepted != 2 || refused != 5 {
		t.Errorf("ResourceRequests = %d accepted, %d refused, want 2 and 5", accepted, refused)
	}
	if n := s.TokenRequests(); n != 1 {
		t.Errorf("TokenRequests = %d: calls to the resource were counted as token requests", n)
	}
}

func TestRequestsRecorded(t *testing.T) {
	s, base := newTestServer(t, Options{Clients: testClients()})
	do(t, base, req{
		query: form("x", "1"),
		body:  form("grant_type", "client_credentials", "resource", "urn:a", "resource", "urn:b", "audience", "aud"),
		auth:  basic(colonID, colonSecret),
	})
	do(t, base, req{method: http.MethodGet, auth: "Basic garbage"})

	reqs := s.Requests()
	if len(reqs) != 2 {
		t.Fatalf("recorded %d requests, want 2", len(reqs))
	}
	r := reqs[0]
	if r.Method != "POST" || r.Path != "/token" || r.Query.Get("x") != "1" {
		t.Errorf("recorded %+v", r)
	}
	if !reflect.DeepEqual(r.Form["resource"], []string{"urn:a", "urn:b"}) || r.Form.Get("audience") != "aud" {
		t.Errorf("Form = %v", r.Form)
	}
	if !r.BasicOK || r.BasicUser != colonID || r.BasicPassword != colonSecret {
		t.Errorf("Basic = %v %q %q", r.BasicOK, r.BasicUser, r.BasicPassword)
	}
	if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		t.Errorf("Header = %v", r.Header)
	}
	if reqs[1].Method != "GET" || reqs[1].BasicOK {
		t.Errorf("second request recorded as %+v", reqs[1])
	}

	// Requests returns copies: mutating them must not affect the server.
	reqs[0].Form.Set("grant_type", "mutated")
	reqs[0].Header.Set("Content-Type", "mutated")
	again := s.Requests()[0]
	if again.Form.Get("grant_type") != "client_credentials" || again.Header.Get("Content-Type") == "mutated" {
		t.Error("Requests did not return a copy")
	}
}

func TestBasicDecoding(t *testing.T) {
	// Every awkward character on its own, in the ID and in the secret.
	for _, c := range []string{"@", "&", "=", "+", "%", "/", ":", " ", "%41", "é"} {
		id, secret := "id"+c+"x", "sec"+c+"ret"
		s, base := newTestServer(t, Options{Clients: []Client{{ID: id, Secret: secret, Auth: AuthBasic}}})
		check(t, do(t, base, req{body: form("grant_type", "client_credentials"), auth: basic(id, secret)}), want{})
		got := s.Requests()[0]
		if got.BasicUser != id || got.BasicPassword != secret {
			t.Errorf("%q: decoded %q / %q", c, got.BasicUser, got.BasicPassword)
		}
	}
}

func TestLatency(t *testing.T) {
	// A short latency still answers.
	_, base := newTestServer(t, Options{Clients: testClients(), Latency: time.Millisecond})
	check(t, do(t, base, req{body: form("grant_type", "client_credentials"), auth: basic(basicID, basicSecret)}), want{})

	// A canceled request is abandoned without an answer; called directly so
	// the test needs no timing at all.
	s := New(Options{Clients: testClients(), Latency: time.Hour})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	hr := httptest.NewRequestWithContext(ctx, http.MethodPost, "/token", strings.NewReader("grant_type=client_credentials"))
	hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	hr.Header.Set("Authorization", basic(basicID, basicSecret))
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, hr)
	if rec.Body.Len() != 0 || s.TokenRequests() != 0 || len(s.Requests()) != 1 {
		t.Errorf("canceled request: body %q, tokens %d, recorded %d", rec.Body, s.TokenRequests(), len(s.Requests()))
	}
}

func TestConcurrent(t *testing.T) {
	s, base := newTestServer(t, Options{Clients: testClients()})
	var wg sync.WaitGroup
	for range 8 {
		// Plain requests: t.Fatal (used by do) must not be called off the
		// test goroutine.
		wg.Go(func() {
			for range 5 {
				hr, _ := http.NewRequest(http.MethodPost, base+"/token", strings.NewReader("grant_type=client_credentials"))
				hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				hr.Header.Set("Authorization", basic(basicID, basicSecret))
				r, err := http.DefaultClient.Do(hr)
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, r.Body)
				r.Body.Close()
				_ = s.Requests()
			}
		})
	}
	wg.Wait()
	if s.TokenRequests() != 40 || len(s.Requests()) != 40 {
		t.Errorf("TokenRequests = %d, Requests = %d, want 40", s.TokenRequests(), len(s.Requests()))
	}
}

func TestNewPanicsOnBadOptions(t *testing.T) {
	for name, opts := range map[string]Options{
		"ParamsIn":  {ParamsIn: "header"},
		"Auth":      {Clients: []Client{{ID: "a", Auth: "private_key_jwt"}}},
		"duplicate": {Clients: []Client{{ID: "a", Auth: AuthNone}, {ID: "a", Auth: AuthNone}}},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("New did not panic")
				}
			}()
			New(opts)
		})
	}
}
