package oauth2client

import (
	"context"
	"crypto/elliptic"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/tokenserver"
)

// Secrets full of the characters that break naive encodings: Basic
// credentials must be form-encoded before base64 (RFC 6749 section 2.3.1)
// and the body and query must escape them.
const (
	hardSecret   = "s3cr@t &=+%/: with spaces"
	hardPassword = "p@ss word&=+%/:x"
)

var fixedNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// newTestClient retries as DefaultRetry says but never waits between
// attempts, so that tests of failures stay fast.
func newTestClient() *Client {
	return New(Options{Timeout: 5 * time.Second, Now: func() time.Time { return fixedNow }, sleep: noSleep})
}

// noSleep is a sleep that returns at once, unless ctx is done.
func noSleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }

func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// relatics is a Keycloak realm as the Relatics document describes it: client
// credentials only, the client in an HTTP Basic header, never in the body.
func relatics() *tokenserver.Server {
	return tokenserver.New(tokenserver.Options{
		Clients: []tokenserver.Client{{
			ID: "c005aef4-88d4-42d5-937e-290e4bb19661", Secret: hardSecret,
			Auth: tokenserver.AuthBasic, Scopes: []string{"DataExchange"},
		}},
		ExpiresIn: 600,
		ExtraFields: map[string]any{
			"not-before-policy":  1696859419,
			"refresh_expires_in": 0,
		},
	})
}

// reltio reads the password grant only from the query string, needs its
// idp_system parameter and answers in its own dialect.
func reltio() *tokenserver.Server {
	return tokenserver.New(tokenserver.Options{
		Clients:           []tokenserver.Client{{ID: "reltio_ui", Secret: hardSecret, Auth: tokenserver.AuthBasic}},
		Users:             []tokenserver.User{{Username: "jane@example.com", Password: hardPassword}},
		ParamsIn:          tokenserver.ParamsInQuery,
		RequiredParams:    map[string]string{"idp_system": "salesforce"},
		TokenType:         "bearer",
		ExpiresInAsString: true,
		ExpiresIn:         1800,
		ScopeAsArray:      true,
		RefreshTokens:     true,
		ExtraFields:       map[string]any{"entityURI": "entities/0000abc"},
		Path:              "/oauth/token",
	})
}

// dvinci takes client credentials only in the form body.
func dvinci() *tokenserver.Server {
	return tokenserver.New(tokenserver.Options{
		Clients:   []tokenserver.Client{{ID: "api-user", Secret: hardSecret, Auth: tokenserver.AuthPost}},
		OmitScope: true,
		Path:      "/plt/oauth2/token",
	})
}

func TestFetch_relaticsClientSecretBasic(t *testing.T) {
	srv := relatics()
	tokenURL := serve(t, srv) + "/token"

	tok, outcome, err := newTestClient().Fetch(context.Background(), Request{
		TokenURL: tokenURL, ClientID: "c005aef4-88d4-42d5-937e-290e4bb19661", ClientAuth: SecretBasic{Secret: hardSecret},
	})
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if outcome.Status != http.StatusOK {
		t.Errorf("status = %d, want 200", outcome.Status)
	}
	if tok.TokenType != "Bearer" || tok.AuthorizationHeader() != "Bearer "+tok.AccessToken {
		t.Errorf("token type %q, header %q", tok.TokenType, tok.AuthorizationHeader())
	}
	if tok.ExpiresIn == nil || *tok.ExpiresIn != 600 {
		t.Errorf("expires_in = %v, want 600", tok.ExpiresIn)
	}
	if want := fixedNow.Add(600 * time.Second); tok.ExpiresAt == nil || !tok.ExpiresAt.Equal(want) {
		t.Errorf("expires_at = %v, want %v", tok.ExpiresAt, want)
	}
	if tok.Scope == nil || *tok.Scope != "DataExchange" {
		t.Errorf("scope = %v, want DataExchange", tok.Scope)
	}
	if got := tok.Extra["not-before-policy"]; got != "1696859419" {
		t.Errorf(`extra["not-before-policy"] = %q, want "1696859419"`, got)
	}
	if got := tok.Extra["refresh_expires_in"]; got != "0" {
		t.Errorf(`extra["refresh_expires_in"] = %q, want "0"`, got)
	}
	if tok.RefreshToken != nil || tok.IDToken != nil {
		t.Errorf("refresh_token and id_token must be absent: %v %v", tok.RefreshToken, tok.IDToken)
	}
	if !srv.Active(tok.AccessToken) {
		t.Error("the server does not know the token it was said to issue")
	}

	got := srv.Requests()[0]
	if !got.BasicOK || got.BasicUser != "c005aef4-88d4-42d5-937e-290e4bb19661" || got.BasicPassword != hardSecret {
		t.Errorf("Basic credentials arrived as %v %q %q", got.BasicOK, got.BasicUser, got.BasicPassword)
	}
	if got.Form.Has("client_secret") || got.Form.Has("client_id") {
		t.Errorf("client credentials leaked into the body: %v", got.Form)
	}
	if got.Form.Get("grant_type") != "client_credentials" {
		t.Errorf("grant_type = %q", got.Form.Get("grant_type"))
	}
}

func TestFetch_relaticsRejectsSecretInBody(t *testing.T) {
	tokenURL := serve(t, relatics()) + "/token"
	_, outcome, err := newTestClient().Fetch(context.Background(), Request{
		TokenURL: tokenURL, ClientID: "c005aef4-88d4-42d5-937e-290e4bb19661", ClientAuth: SecretPost{Secret: hardSecret},
	})
	if err == nil {
		t.Fatal("a Basic-only server accepted the secret in the body")
	}
	if outcome.Status != http.StatusBadRequest {
		t.Errorf("status = %d, want 400", outcome.Status)
	}
	assertErrorText(t, err, []string{"400 Bad Request", "invalid_request", "client_secret_post", "client_credentials", tokenURL},
		hardSecret)
}

func TestFetch_reltioPasswordInQueryThenRefresh(t *testing.T) {
	srv := reltio()
	tokenURL := serve(t, srv) + "/oauth/token"
	c := newTestClient()
	base := Request{
		TokenURL: tokenURL, ClientID: "reltio_ui", ClientAuth: SecretBasic{Secret: hardSecret},
		ParamsIn: ParamsInQuery, ExtraParams: map[string]string{"idp_system": "salesforce"},
	}

	pw := base
	pw.Grant = Password{Username: "jane@example.com", Password: hardPassword}
	tok, _, err := c.Fetch(context.Background(), pw)
	if err != nil {
		t.Fatalf("password grant: %v", err)
	}
	if tok.TokenType != "bearer" || !strings.HasPrefix(tok.AuthorizationHeader(), "Bearer ") {
		t.Errorf("token type %q gave header %q", tok.TokenType, tok.AuthorizationHeader())
	}
	if tok.ExpiresIn == nil || *tok.ExpiresIn != 1800 {
		t.Errorf("expires_in from a string = %v, want 1800", tok.ExpiresIn)
	}
	if tok.Extra["entityURI"] != "entities/0000abc" {
		t.Errorf("entityURI = %q", tok.Extra["entityURI"])
	}
	if tok.RefreshToken == nil {
		t.Fatal("no refresh token")
	}
	first := srv.Requests()[0]
	if first.Query.Get("password") != hardPassword || first.Query.Get("grant_type") != "password" ||
		first.Query.Get("idp_system") != "salesforce" {
		t.Errorf("grant parameters not in the query: %v", first.Query)
	}
	if len(first.Form) != 0 {
		t.Errorf("body should be empty, got %v", first.Form)
	}
	if !first.BasicOK || first.BasicPassword != hardSecret {
		t.Error("client credentials did not arrive in the Basic header")
	}

	rt := base
	rt.Grant = RefreshToken{RefreshToken: *tok.RefreshToken}
	tok2, _, err := c.Fetch(context.Background(), rt)
	if err != nil {
		t.Fatalf("refresh grant: %v", err)
	}
	if tok2.AccessToken == tok.AccessToken || !srv.Active(tok2.AccessToken) {
		t.Error("refresh did not yield a new active token")
	}
	if got := srv.Requests()[1].Query.Get("grant_type"); got != "refresh_token" {
		t.Errorf("grant_type = %q, want refresh_token", got)
	}

	// The refresh token rotated: using it again is invalid_grant, with
	// the server's description and without the token in the text.
	_, _, err = c.Fetch(context.Background(), rt)
	assertErrorText(t, err, []string{"invalid_grant", "refresh token"}, *tok.RefreshToken, hardSecret)
}

func TestFetch_reltioRefusesParamsInBody(t *testing.T) {
	tokenURL := serve(t, reltio()) + "/oauth/token"
	_, _, err := newTestClient().Fetch(context.Background(), Request{
		TokenURL: tokenURL, ClientID: "reltio_ui", ClientAuth: SecretBasic{Secret: hardSecret},
		Grant:       Password{Username: "jane@example.com", Password: hardPassword},
		ExtraParams: map[string]string{"idp_system": "salesforce"},
	})
	assertErrorText(t, err, []string{"invalid_request"}, hardPassword, hardSecret)
}

func TestFetch_dvinciClientSecretPost(t *testing.T) {
	srv := dvinci()
	tokenURL := serve(t, srv) + "/plt/oauth2/token"
	tok, _, err := newTestClient().Fetch(context.Background(), Request{
		TokenURL: tokenURL, ClientID: "api-user", ClientAuth: SecretPost{Secret: hardSecret},
	})
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if tok.Scope != nil {
		t.Errorf("scope = %q, want null when the server sends none", *tok.Scope)
	}
	got := srv.Requests()[0]
	if got.Form.Get("client_secret") != hardSecret || got.Form.Get("client_id") != "api-user" {
		t.Errorf("credentials not in the body: %v", got.Form)
	}
	if got.Header.Get("Authorization") != "" {
		t.Error("an Authorization header was sent with client_secret_post")
	}
}

func TestFetch_dvinciRejectsBasic(t *testing.T) {
	tokenURL := serve(t, dvinci()) + "/plt/oauth2/token"
	_, outcome, err := newTestClient().Fetch(context.Background(), Request{
		TokenURL: tokenURL, ClientID: "api-user", ClientAuth: SecretBasic{Secret: hardSecret},
	})
	if outcome.Status != http.StatusUnauthorized {
		t.Errorf("status = %d, want 401", outcome.Status)
	}
	assertErrorText(t, err, []string{"401 Unauthorized", "invalid_client", "client_secret_basic"},
		hardSecret)
}

func TestFetch_publicClientSendsClientID(t *testing.T) {
	srv := tokenserver.New(tokenserver.Options{
		Clients: []tokenserver.Client{{ID: "cli", Auth: tokenserver.AuthNone}},
		Users:   []tokenserver.User{{Username: "u", Password: hardPassword}},
	})
	tokenURL := serve(t, srv) + "/token"
	_, _, err := newTestClient().Fetch(context.Background(), Request{
		TokenURL: tokenURL, ClientID: "cli", Grant: Password{Username: "u", Password: hardPassword}, Scopes: []string{"a", "b"}, Audience: "https://api",
		Resources: []string{"https://r1", "https://r2"}, Headers: map[string]string{"X-Tenant": "t1"},
	})
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	got := srv.Requests()[0]
	if got.Form.Get("client_id") != "cli" || got.Form.Has("client_secret") || got.BasicOK {
		t.Errorf("public client sent %v, basic %v", got.Form, got.BasicOK)
	}
	if got.Form.Get("scope") != "a b" || got.Form.Get("audience") != "https://api" {
		t.Errorf("scope/audience: %v", got.Form)
	}
	if r := got.Form["resource"]; len(r) != 2 || r[0] != "https://r1" || r[1] != "https://r2" {
		t.Errorf("resource = %v, want one parameter per indicator", r)
	}
	if got.Header.Get("X-Tenant") != "t1" || got.Header.Get("Accept") != "application/json" {
		t.Errorf("headers: %v", got.Header)
	}
}

func TestFetch_grantTypeOverride(t *testing.T) {
	var seen string
	url := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		seen = r.PostForm.Get("grant_type") + " " + r.PostForm.Get("vendor_param")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"tok-123","token_type":"DPoP"}`))
	}))
	tok, _, err := newTestClient().Fetch(context.Background(), Request{
		TokenURL: url, ClientID: "id", ClientAuth: SecretBasic{Secret: "secret"}, Grant: CustomGrantType{Type: "urn:vendor:grant"},
		ExtraParams: map[string]string{"vendor_param": "v"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen != "urn:vendor:grant v" {
		t.Errorf("server saw %q", seen)
	}
	// A DPoP token is not a bearer token: it needs more than a header.
	if tok.TokenType != "DPoP" || tok.Bearer() || tok.AuthorizationHeader() != "" {
		t.Errorf("type %q, bearer %v, header %q; want DPoP kept and no bearer header", tok.TokenType, tok.Bearer(), tok.AuthorizationHeader())
	}
	if tok.ExpiresIn != nil || tok.ExpiresAt != nil {
		t.Error("expiry must be unknown when the server sends no expires_in")
	}
}

// respond serves one canned answer.
func respond(t *testing.T, status int, contentType, body string) string {
	return serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
}

func TestFetch_responseDialects(t *testing.T) {
	t.Run("form-encoded token", func(t *testing.T) {
		url := respond(t, 200, "application/x-www-form-urlencoded", "access_token=abc123&token_type=bearer&expires_in=60&scope=a+b&foo=bar")
		tok, _, err := newTestClient().Fetch(context.Background(), Request{TokenURL: url, ClientID: "id", ClientAuth: SecretBasic{Secret: "pw1"}})
		if err != nil {
			t.Fatal(err)
		}
		if tok.AccessToken != "abc123" || *tok.ExpiresIn != 60 || *tok.Scope != "a b" || tok.Extra["foo"] != "bar" {
			t.Errorf("parsed %+v", tok)
		}
	})
	t.Run("text/plain token", func(t *testing.T) {
		url := respond(t, 200, "text/plain; charset=utf-8", "access_token=abc123&expires_in=90")
		tok, _, err := newTestClient().Fetch(context.Background(), Request{TokenURL: url, ClientID: "id", ClientAuth: SecretBasic{Secret: "pw1"}})
		if err != nil {
			t.Fatal(err)
		}
		if *tok.ExpiresIn != 90 || tok.TokenType != "" || tok.AuthorizationHeader() != "Bearer abc123" {
			t.Errorf("parsed %+v", tok)
		}
	})
	t.Run("nested members are kept as JSON, null ones are left out", func(t *testing.T) {
		url := respond(t, 200, "application/json",
			`{"access_token":"abc123","token_type":null,"expires_in":null,"scope":null,"refresh_token":null,"id_token":null,"nested":{"a":[1,2]}}`)
		tok, _, err := newTestClient().Fetch(context.Background(), Request{TokenURL: url, ClientID: "id", ClientAuth: SecretBasic{Secret: "pw1"}})
		if err != nil {
			t.Fatal(err)
		}
		if tok.ExpiresIn != nil || tok.Scope != nil || tok.RefreshToken != nil || tok.IDToken != nil || !tok.Bearer() ||
			tok.Extra["nested"] != `{"a":[1,2]}` {
			t.Errorf("parsed %+v", tok)
		}
	})
	t.Run("a null access_token is none", func(t *testing.T) {
		url := respond(t, 200, "application/json", `{"access_token":null,"expires_in":60}`)
		_, _, err := newTestClient().Fetch(context.Background(), Request{TokenURL: url, ClientID: "id", ClientAuth: SecretBasic{Secret: "pw1"}})
		if e, ok := err.(*Error); !ok || e.Problem != ProblemNoAccessToken {
			t.Errorf("error %v, want ProblemNoAccessToken", err)
		}
	})
	t.Run("non-numeric expires_in is refused", func(t *testing.T) {
		url := respond(t, 200, "application/json", `{"access_token":"abc123-token","expires_in":"soon"}`)
		_, _, err := newTestClient().Fetch(context.Background(), Request{TokenURL: url, ClientID: "id", ClientAuth: SecretBasic{Secret: "pw1"}})
		assertErrorText(t, err, []string{"200 OK", "Detail:          expires_in is a string that is not a number of seconds"},
			"abc123-token", "soon")
		if e, ok := err.(*Error); !ok || e.Problem != ProblemBadField {
			t.Errorf("error %#v, want ProblemBadField", err)
		}
	})
}

func TestFetch_errors(t *testing.T) {
	secret := hardSecret
	cases := map[string]struct {
		status      int
		contentType string
		body        string
		want        []string
	}{
		"json error echoing the secret": {
			400, "application/json",
			`{"error":"invalid_client","error_description":"bad secret ` + secret + `","error_uri":"https://docs.example/errors"}`,
			[]string{"400 Bad Request", "invalid_client", "bad secret [REDACTED]", "https://docs.example/errors", "Client auth:     client_secret_post"},
		},
		"form error": {
			400, "application/x-www-form-urlencoded", "error=invalid_scope&error_description=scope+nope",
			[]string{"invalid_scope", "scope nope"},
		},
		"html page": {
			502, "text/html", "<html>\n  <body>\n    <h1>502 Bad Gateway</h1>  " + strings.Repeat("x", 400) + "</body></html>",
			[]string{"502 Bad Gateway", "<html> <body> <h1>502 Bad Gateway</h1>"},
		},
		"200 carrying an error": {
			200, "application/json", `{"error":"unsupported_grant_type","error_description":"nope"}`,
			[]string{"200 OK", "unsupported_grant_type", "nope"},
		},
		"200 without an access token": {
			200, "application/json", `{"token":"abc-value-secret","expires_in":3600}`,
			[]string{"200 OK", "Fields:", "expires_in, token"},
		},
		"200 html": {
			200, "text/html", "<!DOCTYPE html><title>Sign in</title>",
			[]string{"200 OK", "Sign in"},
		},
		"404 plain": {
			404, "text/plain", "404 page not found",
			[]string{"404 Not Found"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			url := respond(t, tc.status, tc.contentType, tc.body)
			_, _, err := newTestClient().Fetch(context.Background(), Request{
				TokenURL: url, ClientID: "id", ClientAuth: SecretPost{Secret: secret},
			})
			assertErrorText(t, err, tc.want, secret, "abc-value-secret")
			if name == "html page" {
				// 200 printable characters, not the whole page.
				var e *Error
				if errors.As(err, &e) && len([]rune(e.Body)) != snippetLen {
					t.Errorf("snippet has %d characters, want %d", len([]rune(e.Body)), snippetLen)
				}
			}
		})
	}
}

func TestFetch_redirectIsNotFollowed(t *testing.T) {
	var followed bool
	target := serve(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { followed = true }))
	url := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target+"/elsewhere", http.StatusTemporaryRedirect)
	}))
	_, _, err := newTestClient().Fetch(context.Background(), Request{TokenURL: url, ClientID: "id", ClientAuth: SecretBasic{Secret: hardSecret}})
	if followed {
		t.Error("the redirect was followed with the credentials")
	}
	assertErrorText(t, err, []string{"307 Temporary Redirect", "Redirect to:     " + target + "/elsewhere"}, hardSecret)
}

func TestFetch_noServer(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	_, outcome, err := newTestClient().Fetch(context.Background(), Request{
		TokenURL: url + "/token", ClientID: "id", ClientAuth: SecretBasic{Secret: hardSecret}, Grant: Password{Username: "u", Password: hardPassword},
		ParamsIn: ParamsInQuery,
	})
	if outcome.Status != 0 {
		t.Errorf("status = %d, want 0", outcome.Status)
	}
	assertErrorText(t, err, []string{"Original Error:", "connection refused"}, hardSecret, hardPassword,
		"p%40ss")
}

func TestCheckTokenURL(t *testing.T) {
	for raw, ok := range map[string]bool{
		"https://auth.example.com/token": true,
		"http://127.0.0.1:8080/token":    true,
		"auth.example.com/token":         false,
		"ftp://auth.example.com/token":   false,
		"https:///token":                 false,
		"https://a.example/token#frag":   false,
		"https://a example.com/":         false,
	} {
		if got := CheckTokenURL(raw) == ""; got != ok {
			t.Errorf("CheckTokenURL(%q) accepted = %v, want %v (%s)", raw, got, ok, CheckTokenURL(raw))
		}
	}
}

// assertErrorText checks that err is an *Error whose text has every wanted
// phrase and none of the secrets.
func assertErrorText(t *testing.T, err error, want []string, secrets ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("want an error, got none")
	}
	if _, ok := err.(*Error); !ok {
		t.Fatalf("error is %T, want *Error: %v", err, err)
	}
	text := err.Error()
	for _, w := range want {
		if !strings.Contains(strings.ToLower(text), strings.ToLower(w)) {
			t.Errorf("error text lacks %q:\n%s", w, text)
		}
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("error text contains the secret %q:\n%s", s, text)
		}
	}
}

// Servers mislabel bodies; the reading must never turn a token into a
// parameter name that an error would then print.
func TestFetch_jsonLabelledTextPlain(t *testing.T) {
	url := respond(t, 200, "text/plain", `{"access_token":"tok-in-text-plain","token_type":"Bearer","expires_in":120}`)
	tok, _, err := newTestClient().Fetch(context.Background(), Request{TokenURL: url, ClientID: "id", ClientAuth: SecretBasic{Secret: "pw1"}})
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != "tok-in-text-plain" || *tok.ExpiresIn != 120 {
		t.Errorf("parsed %+v", tok)
	}

	url = respond(t, 200, "text/plain", `{"error":"access_denied","error_description":"client disabled"}`)
	_, _, err = newTestClient().Fetch(context.Background(), Request{TokenURL: url, ClientID: "id", ClientAuth: SecretBasic{Secret: "pw1"}})
	assertErrorText(t, err, []string{"access_denied", "client disabled"})

	url = respond(t, 200, "application/json", ``)
	_, _, err = newTestClient().Fetch(context.Background(), Request{TokenURL: url, ClientID: "id", ClientAuth: SecretBasic{Secret: "pw1"}})
	assertErrorText(t, err, []string{"empty body"})
}

func TestFetch_publicClientInQuery(t *testing.T) {
	srv := tokenserver.New(tokenserver.Options{
		Clients:  []tokenserver.Client{{ID: "cli", Auth: tokenserver.AuthNone}},
		Users:    []tokenserver.User{{Username: "u", Password: hardPassword}},
		ParamsIn: tokenserver.ParamsInQuery,
	})
	tokenURL := serve(t, srv) + "/token"
	_, _, err := newTestClient().Fetch(context.Background(), Request{
		TokenURL: tokenURL, ClientID: "cli", Grant: Password{Username: "u", Password: hardPassword}, ParamsIn: ParamsInQuery,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := srv.Requests()[0]; got.Query.Get("client_id") != "cli" || len(got.Form) != 0 {
		t.Errorf("query %v, body %v", got.Query, got.Form)
	}
}

func TestFetch_postCredentialsStayInBodyWithQueryParams(t *testing.T) {
	srv := tokenserver.New(tokenserver.Options{
		Clients:  []tokenserver.Client{{ID: "app", Secret: hardSecret, Auth: tokenserver.AuthPost}},
		ParamsIn: tokenserver.ParamsInQuery,
	})
	tokenURL := serve(t, srv) + "/token?tenant=t1"
	_, _, err := newTestClient().Fetch(context.Background(), Request{
		TokenURL: tokenURL, ClientID: "app", ClientAuth: SecretPost{Secret: hardSecret},
		ParamsIn: ParamsInQuery,
	})
	if err != nil {
		t.Fatal(err)
	}
	got := srv.Requests()[0]
	if got.Query.Has("client_secret") || got.Form.Get("client_secret") != hardSecret {
		t.Errorf("secret must stay in the body: query %v", got.Query)
	}
	if got.Query.Get("tenant") != "t1" || got.Query.Get("grant_type") != "client_credentials" {
		t.Errorf("query %v must keep the token URL's own parameters and gain the grant's", got.Query)
	}
}

// BenchmarkFetch measures one client_credentials token request against a
// loopback server, the provider's own cost per token.
func BenchmarkFetch(b *testing.B) {
	srv := httptest.NewServer(tokenserver.New(tokenserver.Options{
		Clients: []tokenserver.Client{{ID: "bench", Secret: hardSecret, Auth: tokenserver.AuthBasic}},
	}))
	b.Cleanup(srv.Close)
	c := New(Options{Timeout: 5 * time.Second})
	req := Request{TokenURL: srv.URL + "/token", ClientID: "bench", ClientAuth: SecretBasic{Secret: hardSecret}}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := c.Fetch(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}

// rawRequest is one request as it arrived, query and body apart.
type rawRequest struct {
	query, body url.Values
	header      http.Header
}

// rawCapture is a token endpoint recording each request and issuing a
// token.
func rawCapture(t *testing.T) (string, func() rawRequest) {
	t.Helper()
	var mu sync.Mutex
	var got []rawRequest
	u := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			t.Error(err)
		}
		body, err := url.ParseQuery(string(raw))
		if err != nil {
			t.Errorf("body %q: %v", raw, err)
		}
		query, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			t.Errorf("query %q: %v", r.URL.RawQuery, err)
		}
		mu.Lock()
		got = append(got, rawRequest{query: query, body: body, header: r.Header.Clone()})
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"access_token":"issued","token_type":"Bearer"}`)
	}))
	return u, func() rawRequest {
		mu.Lock()
		defer mu.Unlock()
		if len(got) != 1 {
			t.Fatalf("%d requests, want 1", len(got))
		}
		r := got[0]
		got = nil
		return r
	}
}

// One builder makes every request: with params_in = "query" the grant's
// parameters, grant_type included, go to the query string and nowhere
// else, while client credentials and client assertions stay in the body;
// grant_type is sent exactly once.
func TestFetch_paramsInQueryOneBuilder(t *testing.T) {
	key, err := ParseSigningKey(pkcs8PEM(t, jwtTestECKey(t, elliptic.P256())), "", "")
	if err != nil {
		t.Fatal(err)
	}
	common := []string{"grant_type", "scope", "audience", "resource", "idp_system"}
	for name, tc := range map[string]struct {
		auth        ClientAuth
		grant       Grant
		grantParams []string
		inBody      []string
	}{
		"password, client_secret_post": {
			SecretPost{Secret: hardSecret}, Password{Username: "jane", Password: hardPassword},
			[]string{"username", "password"}, []string{"client_id", "client_secret"},
		},
		"client credentials, client_secret_jwt": {
			SecretJWT{Secret: longSecret}, ClientCredentials{},
			nil, []string{"client_id", "client_assertion", "client_assertion_type"},
		},
		"jwt-bearer, private_key_jwt": {
			PrivateKeyJWT{Key: key}, JWTBearer{Claims: map[string]any{"sub": "u"}, Key: key},
			[]string{"assertion"}, []string{"client_id", "client_assertion", "client_assertion_type"},
		},
		"token exchange, client_secret_basic": {
			SecretBasic{Secret: hardSecret}, TokenExchange{SubjectToken: "st", SubjectTokenType: "urn:ietf:params:oauth:token-type:jwt"},
			[]string{"subject_token", "subject_token_type"}, nil,
		},
		"refresh token, public client": {
			NoClientAuth{}, RefreshToken{RefreshToken: "rt"},
			// A public client's client_id is an ordinary parameter.
			[]string{"refresh_token", "client_id"}, nil,
		},
	} {
		for _, paramsIn := range []string{ParamsInQuery, ParamsInBody} {
			t.Run(name+"/"+paramsIn, func(t *testing.T) {
				u, last := rawCapture(t)
				req := Request{
					TokenURL: u + "/token?tenant=t1", ClientID: "app", ClientAuth: tc.auth, Grant: tc.grant,
					Scopes: []string{"a", "b"}, Audience: "https://api", Resources: []string{"https://r1", "https://r2"},
					ExtraParams: map[string]string{"idp_system": "sf"}, ParamsIn: paramsIn,
				}
				if _, _, err := newTestClient().Fetch(t.Context(), req); err != nil {
					t.Fatal(err)
				}
				got := last()
				grantSide, otherSide := got.query, got.body
				if paramsIn == ParamsInBody {
					grantSide, otherSide = got.body, got.query
				}
				for _, p := range append(slices.Clone(common), tc.grantParams...) {
					if !grantSide.Has(p) || otherSide.Has(p) {
						t.Errorf("%s: query %v, body %v; want it with the grant's parameters only", p, got.query, got.body)
					}
				}
				for _, p := range tc.inBody {
					if !got.body.Has(p) || got.query.Has(p) {
						t.Errorf("%s must stay in the body: query %v, body %v", p, got.query, got.body)
					}
				}
				if n := len(got.query["grant_type"]) + len(got.body["grant_type"]); n != 1 || grantSide.Get("grant_type") != tc.grant.GrantType() {
					t.Errorf("grant_type sent %d times (query %v, body %v), want once: %s", n, got.query, got.body, tc.grant.GrantType())
				}
				if got.query.Get("tenant") != "t1" {
					t.Errorf("the token URL's own query was lost: %v", got.query)
				}
				if r := grantSide["resource"]; len(r) != 2 {
					t.Errorf("resource %v, want one per indicator", r)
				}
				wantAuth := ""
				if _, basic := tc.auth.(SecretBasic); basic {
					wantAuth = "Basic " + basicCredentialsForTest("app", hardSecret)
				}
				if got.header.Get("Authorization") != wantAuth {
					t.Errorf("Authorization %q, want %q", got.header.Get("Authorization"), wantAuth)
				}
			})
		}
	}
}

// Token and revocation requests share one encoder of Basic credentials
// (RFC 6749 section 2.3.1: each form-encoded, then base64): a secret with
// "%", ":", "&" and spaces arrives the same way in both.
func TestBasicCredentials_sameForTokenAndRevocation(t *testing.T) {
	u, last := rawCapture(t)
	req := Request{TokenURL: u, ClientID: hardClientID, ClientAuth: SecretBasic{Secret: hardSecret}}
	if _, _, err := newTestClient().Fetch(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	tokenHeader := last().header.Get("Authorization")
	rs := newRevocationServer(t, answer(200, "", ""))
	if err := newTestClient().Revoke(t.Context(), rs.URL, req, revokedToken, ""); err != nil {
		t.Fatal(err)
	}
	got := rs.only(t)
	want := "Basic " + basicCredentialsForTest(hardClientID, hardSecret)
	if tokenHeader != want || got.authorization != want {
		t.Errorf("token request %q, revocation %q, want both %q", tokenHeader, got.authorization, want)
	}
	if got.basicID != hardClientID || got.basicSecret != hardSecret {
		t.Errorf("the revocation endpoint read %q / %q", got.basicID, got.basicSecret)
	}
	for _, c := range []string{"%", ":", "&", " "} {
		if !strings.Contains(hardSecret, c) {
			t.Fatalf("hardSecret lacks %q", c)
		}
	}
}

func TestInsecureHTTP(t *testing.T) {
	for raw, want := range map[string]bool{
		"http://auth.example.com/token":    true,
		"HTTP://auth.example.com/token":    true,
		"http://10.0.0.1:8080/token":       true,
		"https://auth.example.com/token":   false,
		"http://localhost:8080/token":      false,
		"http://keycloak.localhost/token":  true, // Not trusted: a resolver may send it elsewhere.
		"http://127.0.0.1:8080/token":      false,
		"http://[::1]:8080/token":          false,
		"auth.example.com/token":           false,
		"http://a example.com/not-a-url\n": false,
	} {
		if got := InsecureHTTP(raw); got != want {
			t.Errorf("InsecureHTTP(%q) = %v, want %v", raw, got, want)
		}
	}

	// Refused before anything is sent, for every kind of request.
	c := newTestClient()
	_, outcome, err := c.Fetch(t.Context(), Request{
		TokenURL: "http://auth.example.invalid/token", ClientID: "id", ClientAuth: SecretBasic{Secret: hardSecret},
	})
	var e *Error
	if !errors.As(err, &e) || e.Problem != ProblemInsecure || e.Unreachable() || outcome.Status != 0 {
		t.Errorf("token request: %v", err)
	}
	assertErrorText(t, err, []string{"was not sent", "plain http://"}, hardSecret)
	err = c.Revoke(t.Context(), "http://auth.example.invalid/revoke", Request{ClientID: "id", ClientAuth: SecretBasic{Secret: hardSecret}}, revokedToken, "")
	if !errors.As(err, &e) || e.Kind != KindRevocation || e.Problem != ProblemInsecure {
		t.Errorf("revocation: %v", err)
	}
	_, err = c.Discover(t.Context(), "http://auth.example.invalid")
	if !errors.As(err, &e) || e.Kind != KindDiscovery || !strings.Contains(err.Error(), "plain http://") {
		t.Errorf("discovery: %v", err)
	}
}
