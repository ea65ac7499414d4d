package oauth2client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
)

// Identity token sources: where a short-lived signed identity token (an
// OIDC JWT a CI system issues to each job) comes from, for a client
// assertion, a jwt-bearer assertion or a token exchange's subject or actor
// token. A source is read for every token request that needs it, and its
// token is kept no longer than that request: it is a secret of the request,
// redacted like any other.
//
// To add a source: write its type here (Kind, Fresh, fetch), add it to
// knownSources in grant_test.go, and give it an attribute in the provider's
// source table (internal/provider/token_sources.go) with the advice for a
// missing environment in internal/provider/diagnostics.go.
type IdentitySource interface {
	// Kind is the source's name in the configuration ("env", "file"...).
	Kind() string
	// Fresh says whether each fetch yields a new token (a new jti), so
	// that a request carrying one may be retried with another.
	Fresh() bool
	// fetch obtains the token, with c's HTTP client rules for requests.
	fetch(ctx context.Context, c *Client) (string, error)
}

// Environment variables of the CI systems whose token endpoints the
// sources call.
const (
	EnvGitHubRequestURL   = "ACTIONS_ID_TOKEN_REQUEST_URL"
	EnvGitHubRequestToken = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"
	EnvAzureDevOpsURL     = "SYSTEM_OIDCREQUESTURI"
	EnvAzureDevOpsToken   = "SYSTEM_ACCESSTOKEN"
)

// EnvSource reads the token from an environment variable (HCP Terraform's
// TFC_WORKLOAD_IDENTITY_TOKEN, a GitLab id_tokens variable...).
type EnvSource struct{ Name string }

func (EnvSource) Kind() string { return "env" }
func (EnvSource) Fresh() bool  { return false }
func (s EnvSource) fetch(context.Context, *Client) (string, error) {
	v, ok := os.LookupEnv(s.Name)
	if !ok {
		return "", sourceMissing(s, "the environment variable %s is not set", s.Name)
	}
	if v = strings.TrimSpace(v); v == "" {
		return "", sourceMissing(s, "the environment variable %s is empty", s.Name)
	}
	return v, nil
}

// FileSource reads the token from a file, anew for every request, since
// such files (a Kubernetes projected service account token,
// AZURE_FEDERATED_TOKEN_FILE) are rotated while a job runs.
type FileSource struct{ Path string }

func (FileSource) Kind() string { return "file" }
func (FileSource) Fresh() bool  { return false }
func (s FileSource) fetch(context.Context, *Client) (string, error) {
	data, err := os.ReadFile(s.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", sourceMissing(s, "the file %s does not exist", s.Path)
	case err != nil:
		var perr *fs.PathError
		if errors.As(err, &perr) {
			err = perr.Err
		}
		return "", sourceFailed(s, "", "reading %s failed: %v", s.Path, err)
	}
	token := strings.TrimSpace(string(data))
	if token == "" {
		return "", sourceMissing(s, "the file %s is empty", s.Path)
	}
	return token, nil
}

// CommandSource runs a command (no shell) whose standard output, trimmed,
// is the token, within the Client's timeout.
type CommandSource struct{ Args []string }

func (CommandSource) Kind() string { return "command" }
func (CommandSource) Fresh() bool  { return true }
func (s CommandSource) fetch(ctx context.Context, c *Client) (string, error) {
	if len(s.Args) == 0 || s.Args[0] == "" {
		return "", sourceFailed(s, "", "the command is empty")
	}
	ctx, cancel := context.WithTimeout(ctx, c.httpClient.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.Args[0], s.Args[1:]...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	token := strings.TrimSpace(stdout.String())
	switch {
	case errors.Is(err, exec.ErrNotFound):
		return "", sourceMissing(s, "the command %s was not found", s.Args[0])
	case ctx.Err() != nil && err != nil:
		return "", sourceFailed(s, snippet(stderr.Bytes()), "the command %s did not finish within %s",
			s.Args[0], c.httpClient.Timeout)
	case err != nil:
		// The command's output may hold a token even though it failed: it
		// is a secret of the error too.
		return "", sourceFailed(s, snippet(stderr.Bytes()), "the command %s failed: %v", s.Args[0], err).withSecrets(token)
	case token == "":
		return "", sourceFailed(s, snippet(stderr.Bytes()), "the command %s printed nothing", s.Args[0])
	}
	return token, nil
}

// GitHubActionsSource requests a token from the job's token endpoint
// (ACTIONS_ID_TOKEN_REQUEST_URL, authorized by
// ACTIONS_ID_TOKEN_REQUEST_TOKEN), with Audience as its aud when given.
type GitHubActionsSource struct{ Audience string }

func (GitHubActionsSource) Kind() string { return "github_actions" }
func (GitHubActionsSource) Fresh() bool  { return true }
func (s GitHubActionsSource) fetch(ctx context.Context, c *Client) (string, error) {
	endpoint, credential, err := ciEndpoint(s, EnvGitHubRequestURL, EnvGitHubRequestToken)
	if err != nil {
		return "", err
	}
	if s.Audience != "" {
		q := endpoint.Query()
		q.Set("audience", s.Audience)
		endpoint.RawQuery = q.Encode()
	}
	return c.ciToken(ctx, s, http.MethodGet, endpoint, "bearer "+credential, credential, "value")
}

// AzureDevOpsSource requests a token for a service connection from the
// job's OIDC endpoint (SYSTEM_OIDCREQUESTURI, authorized by
// SYSTEM_ACCESSTOKEN).
type AzureDevOpsSource struct{ ServiceConnectionID string }

func (AzureDevOpsSource) Kind() string { return "azure_devops" }
func (AzureDevOpsSource) Fresh() bool  { return true }
func (s AzureDevOpsSource) fetch(ctx context.Context, c *Client) (string, error) {
	endpoint, credential, err := ciEndpoint(s, EnvAzureDevOpsURL, EnvAzureDevOpsToken)
	if err != nil {
		return "", err
	}
	q := endpoint.Query()
	// The API version Microsoft's own SDKs use for this endpoint.
	q.Set("api-version", "7.1")
	q.Set("serviceConnectionId", s.ServiceConnectionID)
	endpoint.RawQuery = q.Encode()
	return c.ciToken(ctx, s, http.MethodPost, endpoint, "Bearer "+credential, credential, "oidcToken")
}

// ciEndpoint reads a CI token endpoint and its credential from the
// environment.
func ciEndpoint(s IdentitySource, urlVar, tokenVar string) (*url.URL, string, error) {
	raw := strings.TrimSpace(os.Getenv(urlVar))
	credential := strings.TrimSpace(os.Getenv(tokenVar))
	switch {
	case raw == "":
		return nil, "", sourceMissing(s, "the environment variable %s is not set", urlVar)
	case credential == "":
		return nil, "", sourceMissing(s, "the environment variable %s is not set", tokenVar)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, "", sourceFailed(s, "", "%s is not an absolute http(s) URL", urlVar).withSecrets(credential)
	}
	return u, credential, nil
}

// ciToken makes the request to a CI system's token endpoint, retried as
// token requests are, and reads the token from the member field of its
// JSON answer. Its errors show the status and the start of the body,
// redacted, never credential or the token.
func (c *Client) ciToken(ctx context.Context, s IdentitySource, method string, endpoint *url.URL, authorization, credential, field string) (string, error) {
	var (
		statusText  string
		code        int
		body        []byte
		reqErr      error
		contentType string
	)
	shown := redactURL(endpoint.String())
	c.withRetry(ctx, shown, func() attemptResult {
		code, statusText, body, reqErr, contentType = 0, "", nil, nil, ""
		req, err := http.NewRequestWithContext(ctx, method, endpoint.String(), nil)
		if err != nil {
			reqErr = err
			return attemptResult{}
		}
		req.Header.Set("Authorization", authorization)
		req.Header.Set("Accept", "application/json")
		if method == http.MethodPost {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := c.httpClient.Do(req)
		if err != nil {
			reqErr = unwrapURLError(err)
			return attemptResult{err: err}
		}
		defer func() { _ = resp.Body.Close() }()
		code, statusText = resp.StatusCode, resp.Status
		contentType = resp.Header.Get("Content-Type")
		body, reqErr = readBody(resp)
		return attemptResult{status: code, statusText: statusText, retryAfter: resp.Header.Get("Retry-After"), err: reqErr}
	})
	fail := func(format string, args ...any) error {
		e := sourceFailed(s, "", format, args...).withSecrets(credential, authorization)
		e.URL = e.redact.String(shown)
		e.StatusCode, e.Status = code, statusText
		e.Timeout = isTimeout(reqErr)
		e.CertificateRejected = isCertificateError(reqErr)
		if code != 0 && (code < 200 || code >= 300) {
			e.Body = e.redact.String(snippet([]byte(e.redact.String(string(body)))))
			e.ContentType = contentType
		}
		return c.finish(e)
	}
	switch {
	case reqErr != nil && code == 0:
		return "", fail("the request to the CI token endpoint failed: %v", reqErr)
	case reqErr != nil:
		return "", fail("the CI token endpoint's answer could not be read: %v", reqErr)
	case code < 200 || code >= 300:
		return "", fail("the CI token endpoint refused the request")
	}
	var answer map[string]json.RawMessage
	var token string
	if json.Unmarshal(body, &answer) != nil || json.Unmarshal(answer[field], &token) != nil || strings.TrimSpace(token) == "" {
		return "", fail("the CI token endpoint's answer has no %q string", field)
	}
	return strings.TrimSpace(token), nil
}

// sourceMissing is the error of a source whose environment is not there:
// the job is not set up for identity tokens.
func sourceMissing(s IdentitySource, format string, args ...any) *Error {
	e := sourceFailed(s, "", format, args...)
	e.Problem = ProblemSourceMissing
	return e
}

// sourceFailed is the error of a source that could not produce a token.
// output is what a command printed on its standard error.
func sourceFailed(s IdentitySource, output, format string, args ...any) *Error {
	return &Error{
		Kind:    KindIdentity,
		Problem: ProblemSourceFailed,
		Source:  s.Kind(),
		Detail:  fmt.Sprintf(format, args...),
		Body:    output,
		redact:  newRedactor(nil),
	}
}

// withSecrets makes e redact secrets too, in every text it already holds.
func (e *Error) withSecrets(secrets ...string) *Error {
	e.redact = newRedactor(append(e.redact.secrets, secrets...))
	e.Detail = e.redact.String(e.Detail)
	e.Body = e.redact.String(e.Body)
	return e
}
