package oauth2client

import (
	"context"
	"errors"
	"net/http"
	"strings"
)

// Token type hints of RFC 7009 section 2.1.
const (
	HintAccessToken  = "access_token"
	HintRefreshToken = "refresh_token"
)

// Revoke asks the revocation endpoint (RFC 7009) to revoke token, with the
// client authentication of req (ClientID, ClientAuth) and its Headers,
// built by the same builder as token requests. hint is sent as
// token_type_hint when not empty (HintAccessToken or HintRefreshToken). Any
// 2xx answer is success: RFC 7009 section 2.2 has the server answer 200 for
// a token it revoked and for one that was invalid already, and ignore the
// body; only a 2xx body that is plainly an OAuth2 error ({"error": ...})
// counts as a failure.
//
// The error, when not nil, is an *Error of KindRevocation whose text
// contains neither token, nor any secret of req, nor an assertion signed
// for it.
func (c *Client) Revoke(ctx context.Context, endpoint string, req Request, token, hint string) error {
	secrets := append(req.secrets(), token)
	fail := &Error{
		Kind:          KindRevocation,
		URL:           redactURL(endpoint),
		ClientAuth:    req.ClientAuthMethod(),
		TokenTypeHint: hint,
		redact:        c.redactor(secrets),
	}
	unusable := func(cause string) error {
		fail.Problem = ProblemNotSent
		fail.Cause = fail.redact.String(cause)
		return fail
	}
	if token == "" {
		return unusable("there is no token to revoke")
	}
	if reason := CheckTokenURL(endpoint); reason != "" {
		return unusable("the revocation URL is not usable. " + reason)
	}

	var (
		last      *Error
		buildErr  error
		sent      int
		lastBody  []byte
		lastFinal bool
		signed    []string
	)
	stats := c.withRetry(ctx, fail.redact.String(redactURL(endpoint)), func() attemptResult {
		// Built anew for each attempt: a client assertion has a fresh jti.
		w, err := req.revocationWire(ctx, c, endpoint, token, hint)
		signed = append(signed, w.signed...)
		if err != nil {
			buildErr = err
			return attemptResult{}
		}
		// Every assertion signed so far is a secret of what follows.
		redact := c.redactor(append(secrets, signed...))
		sent++
		last = &Error{}
		_, form, err := w.target(endpoint, false)
		if err != nil {
			buildErr = err
			return attemptResult{}
		}
		httpReq, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
		if err != nil {
			buildErr = err
			return attemptResult{}
		}
		httpReq.Header = w.header.Clone()
		httpReq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := c.httpClient.Do(httpReq)
		if err != nil {
			err = unwrapURLError(err)
			last.Cause = redact.String(err.Error())
			last.Timeout = isTimeout(err)
			last.CertificateRejected = isCertificateError(err)
			if errors.Is(err, ErrInsecureHTTP) {
				last.Problem = ProblemInsecure
			}
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
			if errors.Is(err, errTooLarge) {
				last.Problem = ProblemTooLarge
			}
			result.err = err
		}
		lastFinal = err == nil
		return result
	})
	// The one redactor of this request, now that everything is signed.
	fail.redact = c.redactor(append(secrets, signed...))
	redact := fail.redact
	var source *Error
	if errors.As(buildErr, &source) && source.Kind == KindIdentity {
		// No identity token for the client assertion: the source's error
		// says why, redacted with this request's secrets too.
		source.ClientAuth = req.ClientAuthMethod()
		return source.withSecrets(append(secrets, signed...)...)
	}
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
	fail.Location = redact.String(last.Location)
	fail.RetryAfter = redact.String(last.RetryAfter)
	fail.Cause = redact.String(last.Cause)
	fail.Timeout = last.Timeout
	fail.CertificateRejected = last.CertificateRejected
	fail.Problem = last.Problem
	_ = c.finish(fail)
	if !lastFinal {
		// No answer, or one that could not be read.
		if last.StatusCode != 0 && len(lastBody) > 0 && (last.StatusCode < 200 || last.StatusCode >= 300) {
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

// IsRevocationUnsupported reports whether err says the server does not
// revoke tokens of the hinted type (unsupported_token_type), which a caller
// may treat as "nothing to do".
func IsRevocationUnsupported(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == KindRevocation && e.Code == "unsupported_token_type"
}
