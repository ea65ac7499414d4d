package oauth2client

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Token type hints of RFC 7009 section 2.1.
const (
	HintAccessToken  = "access_token"
	HintRefreshToken = "refresh_token"
)

// RevocationError is a failed revocation request (RFC 7009), described in
// terms a user can act on. Every string in it has been through the
// redactor: neither the token nor a secret of the request survives in it.
type RevocationError struct {
	Endpoint      string
	ClientAuth    string
	TokenTypeHint string

	// StatusCode is 0 when no response arrived; Cause then says why.
	StatusCode int
	Status     string

	// The error response (RFC 7009 section 2.2.1, RFC 6749 section 5.2),
	// when there was one.
	Code        string
	Description string
	URI         string

	// Body is the start of a response that was not an OAuth2 error
	// response, printable characters only.
	Body        string
	ContentType string
	// Location is where a redirect pointed.
	Location string
	// RetryAfter is the Retry-After header of the response, as sent.
	RetryAfter string
	// Attempts counts the requests sent; more than 1 when failures were
	// retried. The other fields describe the last one.
	Attempts int
	// NotRetried says why a failure that is retried in general was not
	// (a Retry-After beyond the policy's MaxDelay).
	NotRetried string

	Cause   string
	Timeout bool

	// unusable is set when the request was never sent because the
	// configuration cannot make it.
	unusable bool
	// tooLarge is set when the response was over 1 MiB.
	tooLarge bool
	// insecure is set when the request was refused as plain http.
	insecure bool
	// canceled is the context's error when cancellation ended the request.
	canceled error
}

// Unwrap returns the context's error (context.Canceled or
// context.DeadlineExceeded) when the caller's context ended the request,
// and nil otherwise.
func (e *RevocationError) Unwrap() error {
	return e.canceled
}

// Summary is a short title for the failure.
func (e *RevocationError) Summary() string {
	return "Token Revocation Failed"
}

// Error renders what was attempted, what the server said, what to try and,
// last, the underlying error, as *Error does for token requests.
func (e *RevocationError) Error() string {
	var b strings.Builder
	switch {
	case e.unusable:
		b.WriteString("The token could not be revoked: the revocation request cannot be made.\n\n")
	case e.canceled != nil:
		b.WriteString("The revocation request was cancelled; the token may still be valid.\n\n")
	case e.Attempts > 1:
		fmt.Fprintf(&b, "The authorization server did not revoke the token after %d attempts.\n\n", e.Attempts)
	default:
		b.WriteString("The authorization server did not revoke the token.\n\n")
	}
	line := func(label, value string) {
		if value != "" {
			fmt.Fprintf(&b, "%-16s %s\n", label+":", value)
		}
	}
	line("Revocation URL", e.Endpoint)
	line("Client auth", e.ClientAuth)
	line("Token type hint", e.TokenTypeHint)
	if e.StatusCode != 0 {
		line("HTTP status", statusLine(e.StatusCode, e.Status))
	}
	line("Error", e.Code)
	line("Description", e.Description)
	line("Error URI", e.URI)
	line("Redirect to", e.Location)
	line("Retry after", describeRetryAfter(e.RetryAfter))
	if e.Attempts > 1 {
		line("Attempts", strconv.Itoa(e.Attempts))
	}
	line("Not retried", e.NotRetried)
	if e.Body != "" {
		ct := e.ContentType
		if ct == "" {
			ct = "no content type"
		}
		fmt.Fprintf(&b, "Response (%s, first %d printable characters):\n  %s\n", ct, snippetLen, e.Body)
	}
	if hint := e.hint(); hint != "" {
		b.WriteString("\n")
		b.WriteString(hint)
		b.WriteString("\n")
	}
	if e.Cause != "" {
		fmt.Fprintf(&b, "\nOriginal Error: %s", e.Cause)
	}
	return strings.TrimRight(b.String(), "\n")
}

// describeRetryAfter renders a Retry-After value (RFC 9110 section 10.2.3):
// a number of seconds or an HTTP date.
func describeRetryAfter(v string) string {
	if v == "" {
		return ""
	}
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
		if n == 1 {
			return "1 second"
		}
		return strconv.Itoa(n) + " seconds"
	}
	if t, err := http.ParseTime(v); err == nil {
		return t.UTC().Format(time.RFC1123)
	}
	return v
}

func (e *RevocationError) hint() string {
	switch e.Code {
	case "invalid_client", "unauthorized_client":
		return fmt.Sprintf("The server did not accept the client. Check client_id and the credential, and that "+
			"client_auth (now %q, which %s) is the method this client is registered for. The token must be "+
			"revoked by the client it was issued to.", e.ClientAuth, authSends[e.ClientAuth])
	case "unsupported_token_type":
		return fmt.Sprintf("The server does not revoke this type of token (token_type_hint %q). Some servers "+
			"revoke only refresh tokens; an access token then stays valid until it expires.", e.TokenTypeHint)
	case "invalid_request":
		return "The server found the revocation request malformed or missing a parameter. Check that the " +
			"revocation URL is the server's RFC 7009 revocation endpoint."
	case "":
	default:
		return ""
	}
	switch {
	case e.unusable:
		return ""
	case e.canceled != nil:
		return "The request was interrupted before it completed."
	case e.tooLarge:
		return "No revocation response is that large. Check that the revocation URL is the server's RFC 7009 " +
			"revocation endpoint."
	case e.Location != "":
		return "Revocation requests do not follow redirects, because the client credentials would go with " +
			"them. Set the revocation URL to the address the server redirects to, if it is the right one."
	case e.StatusCode == 503:
		when := "later"
		if e.RetryAfter != "" {
			when = "after the time the server asks for"
		}
		return "The server is temporarily unable to revoke tokens (RFC 7009 section 2.2.1); the token is " +
			"still valid. Try again " + when + ", or let the token expire."
	case e.StatusCode == 401 || e.StatusCode == 403:
		return fmt.Sprintf("The server refused the request without saying why. Check client_id, client_secret "+
			"and client_auth (now %q).", e.ClientAuth)
	case e.StatusCode == 404 || e.StatusCode == 405:
		return "The server has no revocation endpoint at this address. Check the revocation URL."
	case e.StatusCode >= 500:
		return "The server failed to answer; the token may still be valid. Try again later, or ask its operators."
	case e.StatusCode >= 200 && e.StatusCode < 300:
		return "The server answered with success but reported an error; the token may still be valid."
	case e.insecure:
		return "Nothing was sent: the revocation URL uses plain http:// to a host that is not loopback. Use an " +
			"https:// endpoint, or set allow_insecure_http = true in the provider block if the network is trusted."
	case e.Timeout:
		return "The server did not answer in time. Check that the revocation URL is reachable from here, or " +
			"raise timeout."
	case e.StatusCode == 0:
		return "No response arrived. Check that the revocation URL is reachable from here, and any proxy " +
			"settings (HTTPS_PROXY, NO_PROXY)."
	}
	return ""
}

// clientAuthParams decides how the client authenticates to endpoint (the
// audience of a client assertion): the parameters to add to the form body
// and the value of the Authorization header ("" for none). Token requests
// go through x/oauth2, which does the same for client_secret_basic,
// client_secret_post and none; this is the one place where revocation (and
// any later request made without x/oauth2) learns it.
func clientAuthParams(req Request, audience string, now time.Time) (params url.Values, header string, err error) {
	params = url.Values{}
	switch auth := req.clientAuth(); auth {
	case AuthClientSecretBasic:
		// RFC 6749 section 2.3.1: both form-encoded, then Basic-encoded.
		// basicCredentials is "" without a secret, and an empty secret is
		// still a credential here.
		raw := url.QueryEscape(req.ClientID) + ":" + url.QueryEscape(req.ClientSecret)
		return params, "Basic " + base64.StdEncoding.EncodeToString([]byte(raw)), nil
	case AuthClientSecretPost:
		params.Set("client_id", req.ClientID)
		params.Set("client_secret", req.ClientSecret)
		return params, "", nil
	case AuthNone, AuthTLSClientAuth, AuthSelfSignedTLSClientAuth:
		params.Set("client_id", req.ClientID)
		return params, "", nil
	case AuthPrivateKeyJWT, AuthClientSecretJWT:
		assertion, err := req.assertionParams(audience, now)
		if err != nil {
			return nil, "", err
		}
		params.Set("client_id", req.ClientID)
		for k, v := range assertion {
			params[k] = v
		}
		return params, "", nil
	default:
		return nil, "", fmt.Errorf("client_auth %q cannot authenticate a request to %s", auth, redactURL(audience))
	}
}

// Revoke asks the revocation endpoint (RFC 7009) to revoke token, with the
// client authentication of req (ClientAuth, ClientID, ClientSecret) and its
// extra Headers. hint is sent as token_type_hint when not empty
// (HintAccessToken or HintRefreshToken). Any 2xx answer is success: RFC 7009
// section 2.2 has the server answer 200 for a token it revoked and for one
// that was invalid already, and ignore the body; only a 2xx body that is
// plainly an OAuth2 error ({"error": ...}) counts as a failure.
//
// The error, when not nil, is a *RevocationError whose text contains
// neither token nor any secret of req.
func (c *Client) Revoke(ctx context.Context, endpoint string, req Request, token, hint string) error {
	auth := req.clientAuth()
	secrets := append(req.secrets(), token, basicCredentials(req.ClientID, req.ClientSecret))
	redact := newRedactor(secrets)
	fail := &RevocationError{
		Endpoint:      redactURL(endpoint),
		ClientAuth:    auth,
		TokenTypeHint: hint,
	}
	unusable := func(cause string) error {
		fail.unusable = true
		fail.Cause = redact.String(cause)
		return fail
	}
	if token == "" {
		return unusable("there is no token to revoke")
	}
	if reason := CheckTokenURL(endpoint); reason != "" {
		return unusable("the revocation URL is not usable. " + reason)
	}

	var (
		last      *RevocationError
		buildErr  error
		sent      int
		lastBody  []byte
		lastFinal bool
	)
	stats := c.withRetry(ctx, redact.String(redactURL(endpoint)), func() attemptResult {
		// Built anew for each attempt: a client assertion has a fresh jti.
		httpReq, err := newRevocationRequest(ctx, endpoint, req, token, hint, c.now())
		if err != nil {
			buildErr = err
			return attemptResult{}
		}
		sent++
		last = &RevocationError{}
		resp, err := c.httpClient.Do(httpReq)
		if err != nil {
			err = unwrapURLError(err)
			last.Cause = redact.String(err.Error())
			last.Timeout = isTimeout(err)
			last.insecure = errors.Is(err, ErrInsecureHTTP)
			return attemptResult{err: err}
		}
		defer func() { _ = resp.Body.Close() }()
		last.StatusCode = resp.StatusCode
		last.Status = resp.Status
		last.ContentType = resp.Header.Get("Content-Type")
		last.RetryAfter = redact.String(resp.Header.Get("Retry-After"))
		if resp.StatusCode >= 300 && resp.StatusCode < 400 {
			if loc := resp.Header.Get("Location"); loc != "" {
				last.Location = redact.String(redactURL(resolveLocation(resp.Request.URL, loc)))
			}
		}
		lastBody, err = readBody(resp)
		result := attemptResult{status: resp.StatusCode, statusText: resp.Status, retryAfter: resp.Header.Get("Retry-After")}
		if err != nil {
			last.Cause = redact.String(unwrapURLError(err).Error())
			last.Timeout = isTimeout(err)
			last.tooLarge = errors.Is(err, errTooLarge)
			result.err = err
		}
		lastFinal = err == nil
		return result
	})
	if buildErr != nil && sent == 0 {
		return unusable(buildErr.Error())
	}
	fail.Attempts = sent
	fail.NotRetried = stats.notRetried
	fail.canceled = stats.canceled
	if buildErr != nil {
		fail.Cause = redact.String(buildErr.Error())
		return fail
	}
	fail.StatusCode = last.StatusCode
	fail.Status = last.Status
	fail.Location = last.Location
	fail.RetryAfter = last.RetryAfter
	fail.Cause = last.Cause
	fail.Timeout = last.Timeout
	fail.tooLarge = last.tooLarge
	fail.insecure = last.insecure
	if !lastFinal {
		// No answer, or one that could not be read.
		if last.StatusCode != 0 && len(lastBody) > 0 {
			fail.Body = redact.String(snippet([]byte(redact.String(string(lastBody)))))
			fail.ContentType = last.ContentType
		}
		return fail
	}

	fields, isOAuth := decodeFields(lastBody, last.ContentType)
	code, hasCode := fields["error"]
	reportsError := isOAuth && hasCode && code.text != ""
	if last.StatusCode >= 200 && last.StatusCode < 300 && !reportsError {
		return nil
	}
	if isOAuth && hasCode {
		fail.Code = redact.String(code.text)
		fail.Description = redact.String(fields["error_description"].text)
		fail.URI = redact.String(fields["error_uri"].text)
	}
	if fail.Code == "" {
		// Redacted before and after cutting, so that neither a secret
		// with runs of white space nor one cut short survives.
		fail.Body = redact.String(snippet([]byte(redact.String(string(lastBody)))))
		fail.ContentType = last.ContentType
	}
	return fail
}

// newRevocationRequest builds the RFC 7009 request revoking token.
func newRevocationRequest(ctx context.Context, endpoint string, req Request, token, hint string, now time.Time) (*http.Request, error) {
	form, authorization, err := clientAuthParams(req, endpoint, now)
	if err != nil {
		return nil, err
	}
	form.Set("token", token)
	if hint != "" {
		form.Set("token_type_hint", hint)
	}
	httpReq, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	for k, v := range req.Headers {
		httpReq.Header.Set(k, v)
	}
	httpReq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if httpReq.Header.Get("Accept") == "" {
		httpReq.Header.Set("Accept", "application/json")
	}
	if authorization != "" {
		httpReq.Header.Set("Authorization", authorization)
	}
	return httpReq, nil
}

// IsRevocationUnsupported reports whether err says the server does not
// revoke tokens of the hinted type (unsupported_token_type), which a caller
// may treat as "nothing to do".
func IsRevocationUnsupported(err error) bool {
	var e *RevocationError
	return errors.As(err, &e) && e.Code == "unsupported_token_type"
}
