package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/oauth2client"
	"github.com/tfoauth2/terraform-provider-oauth2/internal/tokenfile"
	"github.com/tfoauth2/terraform-provider-oauth2/internal/tokenserver"
)

// The renewal of a token file, driven without a CLI: Open, Renew and Close
// as the ephemeral resource calls them, against a token server, on a clock
// the test moves. The CLIs' side is in token_file_acc_test.go.

// fakeClock is the provider's clock in these tests.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// set moves the clock to t.
func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// renewalServer is a token server that can be made to fail, recording the
// grant type of each token request.
type renewalServer struct {
	*tokenserver.Server
	URL string
	// failing makes every token request fail with 503.
	failing atomic.Bool

	mu     sync.Mutex
	grants []string
}

func newRenewalServer(t *testing.T, opts tokenserver.Options) *renewalServer {
	t.Helper()
	rs := &renewalServer{Server: tokenserver.New(opts)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		form := peekForm(r)
		rs.mu.Lock()
		rs.grants = append(rs.grants, form.Get("grant_type"))
		rs.mu.Unlock()
		if rs.failing.Load() {
			http.Error(w, `{"error":"temporarily_unavailable"}`, http.StatusServiceUnavailable)
			return
		}
		rs.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	rs.URL = srv.URL + "/token"
	return rs
}

// peekForm reads the form body of r and leaves it there for the token
// server.
func peekForm(r *http.Request) url.Values {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	form, _ := url.ParseQuery(string(body))
	return form
}

// takeGrants returns the grant types requested since the last call.
func (rs *renewalServer) takeGrants() []string {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	g := rs.grants
	rs.grants = nil
	return g
}

// renewalFixture is one oauth2_token with a token file.
type renewalFixture struct {
	t     *testing.T
	clock *fakeClock
	data  *providerData
	call  *tokenCall
	file  *tokenFileSettings
}

func newRenewalFixture(t *testing.T, req oauth2client.Request, content string) *renewalFixture {
	t.Helper()
	clock := &fakeClock{now: testNow}
	data := &providerData{
		// One attempt per request: the schedule is what is tested, not the
		// client's retries.
		client: oauth2client.New(oauth2client.Options{Now: clock.Now, Retry: oauth2client.RetryPolicy{Attempts: 1}}),
		now:    clock.Now,
	}
	p := filepath.Join(t.TempDir(), "tokens", "api")
	return &renewalFixture{
		t: t, clock: clock, data: data,
		call: &tokenCall{req: req, minValidity: oauth2client.DefaultMinValidity},
		file: &tokenFileSettings{path: p, configured: p, content: content},
	}
}

// open fetches the first token and opens the file, failing on an error.
func (f *renewalFixture) open() (*oauth2client.Token, time.Time, []byte, diag.Diagnostics) {
	f.t.Helper()
	token, _, err := f.data.client.Fetch(context.Background(), f.call.req)
	if err != nil {
		f.t.Fatalf("the first token: %v", err)
	}
	renewAt, private, diags := openTokenFile(context.Background(), f.data, f.call, f.file, token, false)
	return token, renewAt, private, diags
}

func (f *renewalFixture) contents() string {
	f.t.Helper()
	data, err := os.ReadFile(f.file.path)
	if err != nil {
		f.t.Fatal(err)
	}
	return string(data)
}

func wantNoDiags(t *testing.T, what string, diags diag.Diagnostics) {
	t.Helper()
	for _, d := range diags {
		t.Errorf("%s: %s: %s: %s", what, d.Severity(), d.Summary(), d.Detail())
	}
}

// wantDiag fails unless diags is exactly one diagnostic of the severity
// and summary given, and returns its detail.
func wantDiag(t *testing.T, what string, diags diag.Diagnostics, severity diag.Severity, summary string) string {
	t.Helper()
	if len(diags) != 1 || diags[0].Severity() != severity || diags[0].Summary() != summary {
		var got []string
		for _, d := range diags {
			got = append(got, d.Severity().String()+" "+d.Summary()+": "+d.Detail())
		}
		t.Fatalf("%s: diagnostics %q, want one %s %q", what, got, severity, summary)
	}
	return diags[0].Detail()
}

func clientCredentials(tokenURL string) oauth2client.Request {
	return oauth2client.Request{TokenURL: tokenURL, ClientID: "app", ClientAuth: oauth2client.SecretBasic{Secret: testSecret}}
}

func appClient() []tokenserver.Client {
	return []tokenserver.Client{{ID: "app", Secret: testSecret, Auth: tokenserver.AuthBasic}}
}

// A token of an hour is renewed at three quarters of its life; the
// renewal, with no refresh token, repeats the first grant, writes the new
// token and schedules the next.
func TestTokenFile_renewsOnSchedule(t *testing.T) {
	srv := newRenewalServer(t, tokenserver.Options{Clients: appClient(), ExpiresIn: 3600})
	f := newRenewalFixture(t, clientCredentials(srv.URL), contentAccessToken)
	first, renewAt, private, diags := f.open()
	wantNoDiags(t, "open", diags)
	if want := testNow.Add(45 * time.Minute); !renewAt.Equal(want) {
		t.Errorf("RenewAt = now + %s, want now + 45m", renewAt.Sub(testNow))
	}
	if got := f.contents(); got != first.AccessToken {
		t.Fatalf("the file holds %q, want the first access token", got)
	}
	if strings.Contains(string(private), first.AccessToken) {
		t.Error("the private data holds the token")
	}
	srv.takeGrants()

	f.clock.set(renewAt)
	next, diags := renewTokenFile(context.Background(), f.data, private)
	wantNoDiags(t, "renew", diags)
	if got := srv.takeGrants(); len(got) != 1 || got[0] != "client_credentials" {
		t.Errorf("the renewal sent %q, want one client_credentials request", got)
	}
	if got := f.contents(); got == first.AccessToken || !srv.Active(got) {
		t.Errorf("after renewal the file holds the first token or a token the server did not issue")
	}
	if want := renewAt.Add(45 * time.Minute); !next.Equal(want) {
		t.Errorf("next RenewAt = renewal + %s, want + 45m", next.Sub(renewAt))
	}
	if fi, _ := os.Lstat(f.file.path); fi.Mode() != tokenfile.Mode {
		t.Errorf("the renewed file has mode %s", fi.Mode())
	}

	if _, diags := closeTokenFile(context.Background(), f.data, private); diags.HasError() {
		t.Fatal(diags)
	}
	if _, err := os.Lstat(f.file.path); !os.IsNotExist(err) {
		t.Errorf("the file is still there after Close: %v", err)
	}
	// A renewal Terraform sends after Close (it should not) does nothing.
	if at, diags := renewTokenFile(context.Background(), f.data, private); !at.IsZero() || !diags.HasError() {
		t.Errorf("renewal after Close: RenewAt %s, diagnostics %v; want none and an error", at, diags)
	}
	if _, err := os.Lstat(f.file.path); !os.IsNotExist(err) {
		t.Error("a renewal after Close wrote the file again")
	}
}

// passwordServer issues refresh tokens, which rotate.
func passwordServer(t *testing.T) *renewalServer {
	return newRenewalServer(t, tokenserver.Options{
		Clients: appClient(), Users: []tokenserver.User{{Username: "jane", Password: testPassword}},
		RefreshTokens: true, ExpiresIn: 600,
	})
}

func passwordRequest(tokenURL string) oauth2client.Request {
	r := clientCredentials(tokenURL)
	r.Grant = oauth2client.Password{Username: "jane", Password: testPassword}
	r.Scopes = []string{"api"}
	return r
}

// With a refresh token, renewals use it, each time the newest one the
// server issued (it rotates them).
func TestTokenFile_renewsWithRefreshToken(t *testing.T) {
	srv := passwordServer(t)
	f := newRenewalFixture(t, passwordRequest(srv.URL), contentAccessToken)
	_, renewAt, private, diags := f.open()
	wantNoDiags(t, "open", diags)
	srv.takeGrants()
	for i := range 3 {
		f.clock.set(renewAt)
		before := f.contents()
		var diags diag.Diagnostics
		renewAt, diags = renewTokenFile(context.Background(), f.data, private)
		wantNoDiags(t, "renew", diags)
		if got := srv.takeGrants(); len(got) != 1 || got[0] != "refresh_token" {
			t.Fatalf("renewal %d sent %q, want one refresh_token request", i+1, got)
		}
		if after := f.contents(); after == before || !srv.Active(after) {
			t.Fatalf("renewal %d did not write a new token the server issued", i+1)
		}
	}
	form := srv.Requests()[len(srv.Requests())-1].Form
	if form.Get("scope") != "api" || form.Has("username") || form.Has("password") {
		t.Errorf("the refresh request's form was %v: want the first request's scope, and no password", redactForm(form))
	}
}

func redactForm(v url.Values) url.Values {
	out := url.Values{}
	for k := range v {
		out.Set(k, "...")
	}
	return out
}

// A refresh token the server refuses (here: used already elsewhere, with a
// server that rotates them) makes the renewal fall back to the first grant,
// whose refresh token the next renewal uses.
func TestTokenFile_refusedRefreshTokenFallsBack(t *testing.T) {
	srv := passwordServer(t)
	f := newRenewalFixture(t, passwordRequest(srv.URL), contentAccessToken)
	first, renewAt, private, diags := f.open()
	wantNoDiags(t, "open", diags)
	// Someone else uses the refresh token first.
	used, _, err := f.data.client.Fetch(context.Background(), oauth2client.Request{
		TokenURL: srv.URL, ClientID: "app", ClientAuth: oauth2client.SecretBasic{Secret: testSecret},
		Grant: oauth2client.RefreshToken{RefreshToken: *first.RefreshToken},
	})
	if err != nil || used == nil {
		t.Fatalf("using the refresh token: %v", err)
	}
	srv.takeGrants()

	f.clock.set(renewAt)
	renewAt, diags = renewTokenFile(context.Background(), f.data, private)
	wantNoDiags(t, "renew", diags)
	if got := srv.takeGrants(); strings.Join(got, ",") != "refresh_token,password" {
		t.Fatalf("the renewal sent %q, want refresh_token (refused), then password", got)
	}
	if got := f.contents(); !srv.Active(got) || got == first.AccessToken {
		t.Fatal("the fallback's token is not in the file")
	}
	f.clock.set(renewAt)
	_, diags = renewTokenFile(context.Background(), f.data, private)
	wantNoDiags(t, "second renew", diags)
	if got := srv.takeGrants(); strings.Join(got, ",") != "refresh_token" {
		t.Errorf("the next renewal sent %q, want the fallback's refresh token", got)
	}
}

// A refresh response without the ID token the file holds falls back to
// the first grant, which issued one.
func TestTokenFile_refreshWithoutIDTokenFallsBack(t *testing.T) {
	var refreshes atomic.Int32
	ts := tokenserver.New(tokenserver.Options{
		Clients: appClient(), Users: []tokenserver.User{{Username: "jane", Password: testPassword}},
		RefreshTokens: true, ExpiresIn: 600,
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		form := peekForm(r)
		if form.Get("grant_type") == "refresh_token" {
			refreshes.Add(1)
			ts.ServeHTTP(w, r)
			return
		}
		// The password grant answers with an ID token.
		rec := httptest.NewRecorder()
		ts.ServeHTTP(rec, r)
		body := strings.Replace(rec.Body.String(), `{`, `{"id_token":"id.token.`+form.Get("username")+`",`, 1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rec.Code)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	f := newRenewalFixture(t, passwordRequest(srv.URL+"/token"), contentIDToken)
	_, renewAt, private, diags := f.open()
	wantNoDiags(t, "open", diags)
	if got := f.contents(); got != "id.token.jane" {
		t.Fatalf("the file holds %q, want the ID token", got)
	}
	if err := os.WriteFile(f.file.path, []byte("stale"), 0o600); err != nil {
		t.Fatal(err)
	}
	f.clock.set(renewAt)
	_, diags = renewTokenFile(context.Background(), f.data, private)
	wantNoDiags(t, "renew", diags)
	if refreshes.Load() != 1 {
		t.Errorf("%d refresh requests, want 1 before falling back", refreshes.Load())
	}
	if got := f.contents(); got != "id.token.jane" {
		t.Errorf("the file holds %q, want the first grant's ID token again", got)
	}
}

// Failed renewals leave the file alone and warn, retrying sooner and
// sooner while the token in the file has life left; once it has expired,
// the renewal is an error and nothing more is scheduled. A success in
// between starts the schedule afresh.
func TestTokenFile_failuresRetryUntilExpiry(t *testing.T) {
	srv := newRenewalServer(t, tokenserver.Options{Clients: appClient(), ExpiresIn: 120})
	f := newRenewalFixture(t, clientCredentials(srv.URL), contentAccessToken)
	first, renewAt, private, diags := f.open()
	wantNoDiags(t, "open", diags)
	expires := *first.ExpiresAt
	// 120s with min_validity 1m: renewed with a minute left.
	if want := testNow.Add(time.Minute); !renewAt.Equal(want) {
		t.Fatalf("RenewAt = now + %s, want now + 1m", renewAt.Sub(testNow))
	}

	srv.failing.Store(true)
	var waits []time.Duration
	for {
		f.clock.set(renewAt)
		next, diags := renewTokenFile(context.Background(), f.data, private)
		if got := f.contents(); got != first.AccessToken {
			t.Fatal("a failed renewal changed the file")
		}
		if next.IsZero() {
			detail := wantDiag(t, "the last renewal", diags, diag.SeverityError, "Token File Expired")
			for _, want := range []string{f.file.path, expires.Format(time.RFC3339), "temporarily_unavailable"} {
				if !strings.Contains(detail, want) {
					t.Errorf("the error does not say %q:\n%s", want, detail)
				}
			}
			if renewAt.Before(expires) {
				t.Errorf("gave up at %s, before the token expired at %s", renewAt, expires)
			}
			break
		}
		detail := wantDiag(t, "a failed renewal", diags, diag.SeverityWarning, "Token File Not Renewed")
		if !strings.Contains(detail, "tries again in "+roughly(next.Sub(renewAt))) {
			t.Errorf("the warning does not say when the next attempt is:\n%s", detail)
		}
		if !next.After(renewAt) {
			t.Fatalf("retry at %s is not after %s", next, renewAt)
		}
		waits = append(waits, next.Sub(renewAt))
		renewAt = next
		if len(waits) > 50 {
			t.Fatal("the renewal never gives up")
		}
	}
	t.Logf("waits between attempts: %v", waits)
	// 5s, 10s, 20s, then at most half of what is left.
	if len(waits) < 4 || waits[0] != 5*time.Second || waits[1] != 10*time.Second || waits[2] != 20*time.Second {
		t.Errorf("waits between attempts %v, want 5s, 10s, 20s, then shorter", waits)
	}
	for i := 3; i < len(waits); i++ {
		if waits[i] > waits[i-1] {
			t.Errorf("wait %d (%s) is longer than the one before (%s), with less of the token's life left", i, waits[i], waits[i-1])
		}
	}

	// A new run of failures starts from the first wait again after a
	// success.
	srv.failing.Store(false)
	f2 := newRenewalFixture(t, clientCredentials(srv.URL), contentAccessToken)
	_, renewAt, private2, _ := f2.open()
	srv.failing.Store(true)
	f2.clock.set(renewAt)
	next, _ := renewTokenFile(context.Background(), f2.data, private2)
	f2.clock.set(next)
	next2, _ := renewTokenFile(context.Background(), f2.data, private2)
	srv.failing.Store(false)
	f2.clock.set(next2)
	next3, diags := renewTokenFile(context.Background(), f2.data, private2)
	wantNoDiags(t, "the renewal that succeeds", diags)
	if want := next2.Add(time.Minute); !next3.Equal(want) {
		t.Errorf("after a success, next renewal at + %s, want the usual + 1m", next3.Sub(next2))
	}
	srv.failing.Store(true)
	f2.clock.set(next3)
	next4, _ := renewTokenFile(context.Background(), f2.data, private2)
	if next4.Sub(next3) != 5*time.Second {
		t.Errorf("the first failure after a success waits %s, want 5s", next4.Sub(next3))
	}
}

// With revoke_on_close, Close revokes what renewals issued too: the last
// refresh token and every access token that has not expired, not the ones
// that have.
func TestTokenFile_revocableAfterRenewals(t *testing.T) {
	srv := passwordServer(t)
	f := newRenewalFixture(t, passwordRequest(srv.URL), contentAccessToken)
	token, _, _ := f.data.client.Fetch(context.Background(), f.call.req)
	renewAt, private, diags := openTokenFile(context.Background(), f.data, f.call, f.file, token, true)
	wantNoDiags(t, "open", diags)
	var files []string
	for range 3 {
		f.clock.set(renewAt)
		renewAt, diags = renewTokenFile(context.Background(), f.data, private)
		wantNoDiags(t, "renew", diags)
		files = append(files, f.contents())
	}
	entry := f.data.files.get(mustID(t, private))
	// 600s tokens renewed every 450s: at the third renewal the first
	// renewal's token (issued 900s earlier) has expired.
	refresh, access := entry.revocable(f.clock.Now())
	if refresh == "" || refresh == valueOr(token.RefreshToken) {
		t.Error("the last refresh token is not among those to revoke")
	}
	if strings.Join(access, ",") != strings.Join(files[1:], ",") {
		t.Errorf("revocable access tokens are not the two unexpired renewals' tokens (%d given)", len(access))
	}
	// Without revoke_on_close, nothing.
	g := newRenewalFixture(t, passwordRequest(srv.URL), contentAccessToken)
	_, renewAt2, private2, _ := g.open()
	g.clock.set(renewAt2)
	renewTokenFile(context.Background(), g.data, private2)
	if refresh, access := g.data.files.get(mustID(t, private2)).revocable(g.clock.Now()); refresh != "" || len(access) != 0 {
		t.Error("tokens to revoke without revoke_on_close")
	}
}

func mustID(t *testing.T, private []byte) string {
	t.Helper()
	var p tokenFilePrivate
	if err := json.Unmarshal(private, &p); err != nil || p.ID == "" {
		t.Fatalf("private data %s: %v", private, err)
	}
	return p.ID
}

// A token without expires_in is not renewed, and the provider says so.
func TestTokenFile_noExpiresIn(t *testing.T) {
	srv := newRenewalServer(t, tokenserver.Options{Clients: appClient(), ExpiresIn: -1})
	f := newRenewalFixture(t, clientCredentials(srv.URL), contentAccessToken)
	token, renewAt, _, diags := f.open()
	detail := wantDiag(t, "open", diags, diag.SeverityWarning, "Token File Not Renewed")
	if !renewAt.IsZero() {
		t.Errorf("RenewAt = %s, want none", renewAt)
	}
	if !strings.Contains(detail, "expires_in") || !strings.Contains(detail, f.file.path) {
		t.Errorf("the warning does not say why, or which file:\n%s", detail)
	}
	if f.contents() != token.AccessToken {
		t.Error("the file does not hold the token")
	}
}

// What the file holds: the access token, Bearer and the token, or the ID
// token; an ID token the server did not issue, or a header for a token
// that is not a bearer token, is an error naming token_file.content, and
// leaves no file.
func TestTokenFile_content(t *testing.T) {
	cases := []struct {
		content string
		extra   map[string]any
		want    func(*oauth2client.Token) string
		summary string
	}{
		{content: contentAccessToken, want: func(t *oauth2client.Token) string { return t.AccessToken }},
		{content: contentAuthorizationHeader, want: func(t *oauth2client.Token) string { return "Bearer " + t.AccessToken }},
		{content: contentIDToken, extra: map[string]any{"id_token": "header.claims.signature"},
			want: func(*oauth2client.Token) string { return "header.claims.signature" }},
		{content: contentIDToken, summary: "No ID Token"},
		{content: contentAuthorizationHeader, extra: map[string]any{"token_type": "DPoP"}, summary: "Token Type Not Bearer"},
	}
	for _, tc := range cases {
		srv := newRenewalServer(t, tokenserver.Options{Clients: appClient(), ExtraFields: tc.extra})
		f := newRenewalFixture(t, clientCredentials(srv.URL), tc.content)
		token, _, _, diags := f.open()
		if tc.summary != "" {
			wantDiag(t, tc.content, diags, diag.SeverityError, tc.summary)
			if at, ok := diags[0].(diag.DiagnosticWithPath); !ok || !at.Path().Equal(tokenFileContent) {
				t.Errorf("%s: the error is not at token_file.content", tc.summary)
			}
			if _, err := os.Lstat(f.file.path); !os.IsNotExist(err) {
				t.Errorf("%s: a file was left: %v", tc.summary, err)
			}
			if f.data.files.byPath[f.file.path] != "" {
				t.Errorf("%s: the path stays registered", tc.summary)
			}
			continue
		}
		wantNoDiags(t, tc.content, diags)
		if got := f.contents(); got != tc.want(token) {
			t.Errorf("%s: the file holds %q, want %q", tc.content, got, tc.want(token))
		}
	}
}

// Two oauth2_tokens of one provider cannot share a path: closing one would
// remove the other's file. Once the first is closed, the path is free.
func TestTokenFile_pathInUse(t *testing.T) {
	srv := newRenewalServer(t, tokenserver.Options{Clients: appClient()})
	f := newRenewalFixture(t, clientCredentials(srv.URL), contentAccessToken)
	_, _, private, diags := f.open()
	wantNoDiags(t, "first open", diags)
	token, _, _ := f.data.client.Fetch(context.Background(), f.call.req)
	_, _, diags = openTokenFile(context.Background(), f.data, f.call, f.file, token, false)
	wantDiag(t, "second open", diags, diag.SeverityError, "Token File Path In Use")
	if f.contents() == token.AccessToken {
		t.Error("the second oauth2_token overwrote the first's file")
	}
	closeTokenFile(context.Background(), f.data, private)
	_, _, _, diags = f.open()
	wantNoDiags(t, "open after close", diags)
}

// Close removes only what the provider wrote: a symbolic link put in the
// file's place is left alone, with a warning.
func TestTokenFile_closeLeavesForeignFile(t *testing.T) {
	srv := newRenewalServer(t, tokenserver.Options{Clients: appClient()})
	f := newRenewalFixture(t, clientCredentials(srv.URL), contentAccessToken)
	_, _, private, _ := f.open()
	target := filepath.Join(t.TempDir(), "precious")
	if err := os.WriteFile(target, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(f.file.path); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, f.file.path); err != nil {
		t.Fatal(err)
	}
	_, diags := closeTokenFile(context.Background(), f.data, private)
	detail := wantDiag(t, "close", diags, diag.SeverityWarning, "Token File Not Removed")
	if !strings.Contains(detail, "symbolic link") {
		t.Errorf("the warning does not say why:\n%s", detail)
	}
	if _, err := os.Lstat(f.file.path); err != nil {
		t.Error("the link was removed")
	}
	if data, _ := os.ReadFile(target); string(data) != "keep" {
		t.Error("the link's target was changed")
	}
}

// Close still removes the file when this process has no record of it.
func TestTokenFile_closeWithoutRecord(t *testing.T) {
	srv := newRenewalServer(t, tokenserver.Options{Clients: appClient()})
	f := newRenewalFixture(t, clientCredentials(srv.URL), contentAccessToken)
	_, _, private, _ := f.open()
	other := &providerData{now: f.clock.Now}
	if _, diags := closeTokenFile(context.Background(), other, private); diags.HasError() {
		t.Fatal(diags)
	}
	if _, err := os.Lstat(f.file.path); !os.IsNotExist(err) {
		t.Errorf("the file is still there: %v", err)
	}
}
