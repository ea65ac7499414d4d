package oauth2client

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Stand-ins for the CI systems' token endpoints, as strict as their
// documentation: the bearer credential, the audience or the service
// connection, the API version.

const (
	ghRequestToken  = "gh-request-token-secret-1"
	adoAccessToken  = "ado-system-access-token-1"
	ciIdentityToken = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOm9jdG8vYXBwIn0.c2lnbmF0dXJl"
)

// githubStandIn serves GET ?api-version=2.0[&audience=...] with
// "Authorization: bearer <ghRequestToken>" and answers {"value": token}.
// It records the audiences it was asked for.
type githubStandIn struct {
	mu        sync.Mutex
	audiences []string
	status    int // when not 0, the status of every answer
}

func (g *githubStandIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method != http.MethodGet:
		http.Error(w, "method", http.StatusMethodNotAllowed)
	case r.Header.Get("Authorization") != "bearer "+ghRequestToken:
		http.Error(w, `{"message":"Bad credentials `+r.Header.Get("Authorization")+`"}`, http.StatusUnauthorized)
	case r.URL.Query().Get("api-version") != "2.0":
		http.Error(w, "api-version", http.StatusBadRequest)
	case g.status != 0:
		http.Error(w, "<html>unavailable, request token "+r.Header.Get("Authorization")+"</html>", g.status)
	default:
		g.mu.Lock()
		g.audiences = append(g.audiences, r.URL.Query().Get("audience"))
		g.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"count": 1, "value": ciIdentityToken})
	}
}

// azureStandIn serves POST ?api-version=7.1&serviceConnectionId=... with
// "Authorization: Bearer <adoAccessToken>" and answers {"oidcToken": token}.
type azureStandIn struct{ connection string }

func (a azureStandIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	switch {
	case r.Method != http.MethodPost:
		http.Error(w, "method", http.StatusMethodNotAllowed)
	case r.Header.Get("Authorization") != "Bearer "+adoAccessToken:
		http.Error(w, "unauthorized", http.StatusUnauthorized)
	case q.Get("api-version") != "7.1":
		http.Error(w, `{"message":"api-version"}`, http.StatusBadRequest)
	case q.Get("serviceConnectionId") != a.connection:
		http.Error(w, `{"message":"no such service connection"}`, http.StatusNotFound)
	default:
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"oidcToken": ciIdentityToken})
	}
}

func sourceClient() *Client {
	return New(Options{Timeout: 5 * time.Second, Retry: RetryPolicy{Attempts: 2}, sleep: noSleep})
}

func TestSource_githubActions(t *testing.T) {
	gh := &githubStandIn{}
	srv := serve(t, gh)
	t.Setenv(EnvGitHubRequestURL, srv+"/token?api-version=2.0")
	t.Setenv(EnvGitHubRequestToken, ghRequestToken)
	for _, audience := range []string{"api://AzureADTokenExchange", ""} {
		token, err := GitHubActionsSource{Audience: audience}.fetch(t.Context(), sourceClient())
		if err != nil || token != ciIdentityToken {
			t.Fatalf("audience %q: %q, %v", audience, token, err)
		}
	}
	if got := strings.Join(gh.audiences, ","); got != "api://AzureADTokenExchange," {
		t.Errorf("audiences asked for: %q", got)
	}
}

func TestSource_azureDevOps(t *testing.T) {
	srv := serve(t, azureStandIn{connection: "sc-1"})
	t.Setenv(EnvAzureDevOpsURL, srv+"/oidctoken")
	t.Setenv(EnvAzureDevOpsToken, adoAccessToken)
	token, err := AzureDevOpsSource{ServiceConnectionID: "sc-1"}.fetch(t.Context(), sourceClient())
	if err != nil || token != ciIdentityToken {
		t.Fatalf("%q, %v", token, err)
	}
	_, err = AzureDevOpsSource{ServiceConnectionID: "sc-2"}.fetch(t.Context(), sourceClient())
	var e *Error
	if !errors.As(err, &e) || e.StatusCode != http.StatusNotFound || !strings.Contains(e.Error(), "no such service connection") {
		t.Errorf("an unknown service connection: %v", err)
	}
}

// A failed CI token request shows the status and the body's start,
// redacted: never the request credential.
func TestSource_failureIsRedacted(t *testing.T) {
	for name, status := range map[string]int{"refused": 0, "unavailable": http.StatusServiceUnavailable} {
		t.Run(name, func(t *testing.T) {
			gh := &githubStandIn{status: status}
			srv := serve(t, gh)
			t.Setenv(EnvGitHubRequestURL, srv+"/token?api-version=2.0")
			t.Setenv(EnvGitHubRequestToken, ghRequestToken)
			if status == 0 {
				// A wrong credential: the stand-in echoes what it got.
				t.Setenv(EnvGitHubRequestToken, ghRequestToken+"-wrong")
			}
			_, err := GitHubActionsSource{}.fetch(t.Context(), sourceClient())
			var e *Error
			if !errors.As(err, &e) || e.Kind != KindIdentity || e.StatusCode == 0 {
				t.Fatalf("want a KindIdentity error with a status, got %v", err)
			}
			if strings.Contains(err.Error(), ghRequestToken) {
				t.Errorf("the error shows the request token:\n%s", err)
			}
			if !strings.Contains(err.Error(), "HTTP status") || !strings.Contains(err.Error(), "Response") {
				t.Errorf("the error does not show what the endpoint said:\n%s", err)
			}
		})
	}
}

// Outside the environment a source needs, the error says what is missing.
func TestSource_missingEnvironment(t *testing.T) {
	for _, name := range []string{EnvGitHubRequestURL, EnvGitHubRequestToken, EnvAzureDevOpsURL, EnvAzureDevOpsToken, "CI_TOKEN_X"} {
		t.Setenv(name, "")
		_ = os.Unsetenv(name)
	}
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		src  IdentitySource
		want string
	}{
		"github":        {GitHubActionsSource{}, EnvGitHubRequestURL},
		"azure devops":  {AzureDevOpsSource{ServiceConnectionID: "sc"}, EnvAzureDevOpsURL},
		"env unset":     {EnvSource{Name: "CI_TOKEN_X"}, "CI_TOKEN_X is not set"},
		"file missing":  {FileSource{Path: filepath.Join(dir, "nope")}, "does not exist"},
		"file empty":    {FileSource{Path: empty}, "is empty"},
		"command found": {CommandSource{Args: []string{"/nonexistent/ci-token"}}, "failed"},
		"command none":  {CommandSource{Args: []string{"ci-token-that-is-not-on-path"}}, "was not found"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := tc.src.fetch(t.Context(), sourceClient())
			var e *Error
			if !errors.As(err, &e) || e.Kind != KindIdentity || !strings.Contains(e.Detail, tc.want) {
				t.Errorf("got %v, want a KindIdentity error saying %q", err, tc.want)
			}
		})
	}
	t.Setenv(EnvGitHubRequestURL, "https://example.invalid/token")
	if _, err := (GitHubActionsSource{}).fetch(t.Context(), sourceClient()); err == nil ||
		!strings.Contains(err.Error(), EnvGitHubRequestToken) {
		t.Errorf("a missing request token: %v", err)
	}
}

// A file is read anew for every request: a rotated token is the one sent.
func TestSource_fileRotation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	var seen []string
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		seen = append(seen, r.PostForm.Get("assertion"))
		writeToken(w)
	}))
	c := sourceClient()
	req := Request{TokenURL: srv, ClientID: "id", Grant: JWTBearer{Source: FileSource{Path: path}}}
	for _, token := range []string{"first.jwt.token", "second.jwt.token"} {
		if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.Fetch(t.Context(), req); err != nil {
			t.Fatal(err)
		}
	}
	if strings.Join(seen, ",") != "first.jwt.token,second.jwt.token" {
		t.Errorf("assertions sent: %q", seen)
	}
}

// A failing command: its standard error is shown, redacted of the
// request's secrets, and the token request is not sent.
func TestSource_commandFails(t *testing.T) {
	var sent int
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sent++; writeToken(w) }))
	req := Request{
		TokenURL: srv, ClientID: "id", ClientAuth: SecretPost{Secret: hardSecret},
		Grant: TokenExchange{
			SubjectSource:    CommandSource{Args: []string{"sh", "-c", "echo 'no session for " + hardSecret + "' >&2; exit 3"}},
			SubjectTokenType: "urn:ietf:params:oauth:token-type:jwt",
		},
	}
	_, _, err := sourceClient().Fetch(t.Context(), req)
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindIdentity || e.Source != "command" {
		t.Fatalf("want a command source error, got %v", err)
	}
	if sent != 0 {
		t.Errorf("%d token requests sent without an identity token", sent)
	}
	if !strings.Contains(err.Error(), "no session for") || strings.Contains(err.Error(), hardSecret) {
		t.Errorf("the error should show the command's standard error, redacted:\n%s", err)
	}
	if !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("the error does not say how the command ended:\n%s", err)
	}
}

// Every place a source can be used sends its token where the RFCs say, and
// redacts it from errors.
func TestSource_places(t *testing.T) {
	t.Setenv("CI_TOKEN", ciIdentityToken)
	src := EnvSource{Name: "CI_TOKEN"}
	cases := map[string]struct {
		req   Request
		param string
	}{
		"client assertion": {Request{ClientID: "id", ClientAuth: ClientAssertion{Source: src}}, "client_assertion"},
		"jwt-bearer":       {Request{ClientID: "id", Grant: JWTBearer{Source: src}}, "assertion"},
		"subject token":    {Request{ClientID: "id", Grant: TokenExchange{SubjectSource: src, SubjectTokenType: "urn:ietf:params:oauth:token-type:jwt"}}, "subject_token"},
		"actor token": {Request{ClientID: "id", Grant: TokenExchange{SubjectToken: "subject-1", SubjectTokenType: "urn:ietf:params:oauth:token-type:jwt",
			ActorSource: src, ActorTokenType: "urn:ietf:params:oauth:token-type:jwt"}}, "actor_token"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_ = r.ParseForm()
				if r.PostForm.Get(tc.param) != ciIdentityToken {
					http.Error(w, `{"error":"invalid_request","error_description":"no `+tc.param+`"}`, http.StatusBadRequest)
					return
				}
				if tc.param == "client_assertion" && r.PostForm.Get("client_assertion_type") != ClientAssertionType {
					http.Error(w, `{"error":"invalid_client"}`, http.StatusBadRequest)
					return
				}
				// Echo it back in an error, as a careless server might.
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(`{"error":"invalid_grant","error_description":"rejected ` + ciIdentityToken + `"}`))
			}))
			req := tc.req
			req.TokenURL = srv
			_, _, err := sourceClient().Fetch(t.Context(), req)
			var e *Error
			if !errors.As(err, &e) || e.Code != "invalid_grant" {
				t.Fatalf("the token did not arrive as %s: %v", tc.param, err)
			}
			if strings.Contains(err.Error(), ciIdentityToken) || strings.Contains(err.Error(), "c2lnbmF0dXJl") {
				t.Errorf("the error shows the identity token:\n%s", err)
			}
		})
	}
}
