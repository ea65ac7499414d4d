package oauth2client

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"golang.org/x/net/http/httpproxy"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// DefaultTimeout bounds each request when the configuration sets none.
const DefaultTimeout = 30 * time.Second

// maxBodyBytes is the largest response read. Token responses and metadata
// are a few kilobytes; a larger response is refused (errTooLarge) rather
// than cut short.
const maxBodyBytes = 1 << 20

// errTooLarge is the error of a response over maxBodyBytes.
var errTooLarge = errors.New("the response is larger than 1 MiB")

// Client fetches tokens. The zero value is not usable; build one with New.
type Client struct {
	httpClient *http.Client
	now        func() time.Time
	retry      RetryPolicy
	onRetry    func(context.Context, RetryEvent)
	sleep      func(context.Context, time.Duration) error
	// secrets are the Client's own: the proxy's password, which a proxy
	// may echo in an error page.
	secrets []string
}

// Options configure a Client. The zero value is usable: every field has a
// default.
type Options struct {
	// Timeout bounds each attempt of a request, from connecting to reading
	// the whole response; DefaultTimeout when zero.
	Timeout time.Duration
	// Now reads the time (time.Now when nil), so tests can pin expires_at.
	// Retry-After dates are read relative to it.
	Now func() time.Time
	// TLS is the TLS configuration of every request (from
	// TLSOptions.TLSConfig); nil for Go's defaults.
	TLS *tls.Config
	// Retry says how failed requests are retried; unset fields take
	// DefaultRetry's values.
	Retry RetryPolicy
	// ProxyURL, when set, is the proxy of every request. When nil,
	// HTTPS_PROXY, HTTP_PROXY and NO_PROXY are read at each request.
	ProxyURL *url.URL
	// OnRetry, when set, is called before each retry (for logging), with the
	// context of the request.
	OnRetry func(ctx context.Context, r RetryEvent)
	// AllowInsecureHTTP lets requests go over plain http:// to hosts other
	// than loopback, which are refused otherwise (see InsecureHTTP).
	AllowInsecureHTTP bool
	// UserAgent is the User-Agent of every request that does not set one
	// in its headers.
	UserAgent string

	// sleep waits between attempts; tests replace it. It must return
	// ctx's error as soon as ctx is done.
	sleep func(ctx context.Context, d time.Duration) error
}

// New returns a Client configured by opts.
func New(opts Options) *Client {
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	sleep := opts.sleep
	if sleep == nil {
		sleep = sleepContext
	}
	transport := &http.Transport{}
	if dt, ok := http.DefaultTransport.(*http.Transport); ok {
		transport = dt.Clone()
	}
	if opts.TLS != nil {
		transport.TLSClientConfig = opts.TLS
	}
	transport.Proxy = func(req *http.Request) (*url.URL, error) {
		// A loopback target never goes through a proxy: a proxy on another
		// host would carry a plain http:// request, credentials and all,
		// across the network.
		if isLoopback(req.URL.Hostname()) {
			return nil, nil
		}
		if opts.ProxyURL != nil {
			return opts.ProxyURL, nil
		}
		// http.ProxyFromEnvironment reads the environment once per
		// process; reading it per request lets HTTPS_PROXY and NO_PROXY
		// set by a pipeline step between runs of the same plugin process
		// take effect.
		return httpproxy.FromEnvironment().ProxyFunc()(req.URL)
	}
	var base http.RoundTripper = transport
	if !opts.AllowInsecureHTTP {
		base = httpsOnly{base: transport}
	}
	if opts.UserAgent != "" {
		base = userAgent{base: base, value: opts.UserAgent}
	}
	return &Client{
		httpClient: &http.Client{
			Transport: base,
			Timeout:   timeout,
			// A redirected POST would carry the client credentials to
			// wherever the server points; report the redirect instead.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		now:     now,
		secrets: proxySecrets(opts.ProxyURL),
		retry:   opts.Retry.normalized(),
		onRetry: opts.OnRetry,
		sleep:   sleep,
	}
}

// proxySecrets are the credentials in a proxy URL's userinfo, as typed and
// as a Proxy-Authorization header carries them.
func proxySecrets(u *url.URL) []string {
	if u == nil || u.User == nil {
		return nil
	}
	pass, ok := u.User.Password()
	if !ok {
		return nil
	}
	return []string{pass, base64.StdEncoding.EncodeToString([]byte(u.User.Username() + ":" + pass))}
}

// redactor is the one redactor of a request: secrets are the request's
// own (with every assertion signed for it), to which the Client adds its
// proxy credentials.
func (c *Client) redactor(secrets []string) *redactor {
	return newRedactor(append(secrets, c.secrets...))
}

// Outcome describes the HTTP exchanges behind a Fetch, for logging.
type Outcome struct {
	// Status is the status of the last answer, 0 when none arrived.
	Status int
	// Duration is the time from the first request to the last answer,
	// delays between retries included.
	Duration time.Duration
	// Attempts counts the requests sent, 0 when the request could not be
	// built.
	Attempts int
}

// Fetch performs a token request, retried as the Client's RetryPolicy says
// and the grant allows (Grant.Replayable). Each attempt is built anew, so a
// JWT client assertion or a signed jwt-bearer assertion has a fresh jti and
// iat each time. The error, when not nil, is an *Error whose text is safe to
// show: no secret of the request, no assertion signed for it and no token
// of the response appears in it. It describes the last attempt and, when
// the context ended the request, unwraps to the context's error.
func (c *Client) Fetch(ctx context.Context, req Request) (*Token, Outcome, error) {
	grant := req.grant()
	shownURL := c.redactor(req.secrets()).String(redactURL(req.TokenURL))
	var (
		last     *recorder
		err      error
		buildErr error
		sent     int
		signed   []string
	)
	start := time.Now()
	stats := c.withRetry(ctx, shownURL, func() attemptResult {
		w, berr := req.tokenWire(ctx, c)
		// Assertions signed for any attempt are credentials too: a server
		// may echo one while it is still valid.
		signed = append(signed, w.signed...)
		if buildErr = berr; berr != nil {
			return attemptResult{}
		}
		sent++
		last, err = c.sendToken(ctx, &req, w)
		r := attemptResult{status: last.status, statusText: last.statusText, retryAfter: last.retryAfter}
		if isTransportError(err) {
			r.err = err
		}
		if (!grant.Replayable() || !replayableAuth(req.auth())) && !certainlyUnprocessed(r) {
			// The server may have used the refresh token, the assertion or
			// the subject token already; a second request would fail, or
			// revoke the grant where reuse is detected. Retry only what
			// never reached it.
			r.final = true
		}
		return r
	})
	// Built once everything is signed, and used for every text below.
	redact := c.redactor(append(req.secrets(), signed...))
	outcome := Outcome{Duration: time.Since(start), Attempts: sent}
	if last != nil {
		outcome.Status = last.status
	}

	failure := &Error{
		Kind:       KindToken,
		Grant:      grant.GrantType(),
		URL:        shownURL,
		ClientAuth: req.ClientAuthMethod(),
		Attempts:   sent,
		NotRetried: stats.notRetried,
		canceled:   stats.canceled,
		redact:     redact,
	}
	var source *Error
	if errors.As(buildErr, &source) && source.Kind == KindIdentity {
		// No identity token: the token request was not sent. The source's
		// error says why, redacted with this request's secrets too.
		source.Grant, source.ClientAuth = grant.GrantType(), req.ClientAuthMethod()
		if ctx.Err() != nil {
			// The caller's context ended the fetch, not the source.
			source.canceled = ctx.Err()
		}
		return nil, outcome, source.withSecrets(append(req.secrets(), signed...)...)
	}
	if buildErr != nil {
		// The request could not be built: nothing more was sent.
		failure.Cause = redact.String(buildErr.Error())
		if sent == 0 {
			failure.Problem = ProblemNotSent
		}
		return nil, outcome, failure
	}
	failure.StatusCode = last.status
	failure.Status = last.statusText
	if last.retryAfter != "" && last.status >= 300 {
		failure.RetryAfter = redact.String(last.retryAfter)
	}
	var retrieve *oauth2.RetrieveError
	if err != nil && (errors.As(err, &retrieve) || isTransportError(err) || last.status == 0) {
		return nil, outcome, c.finish(failure.explain(err, last))
	}
	// A 2xx answer: x/oauth2 either accepted it or refused it for a reason
	// of its own (a missing access_token, an expires_in it cannot read).
	// Either way the normalised reading below decides, and explains.
	token, err := parseToken(last.body, last.contentType, last.arrived)
	if err != nil {
		return nil, outcome, failure.explain(err, last)
	}
	return token, outcome, nil
}

// finish completes e with what the Client knows.
func (c *Client) finish(e *Error) *Error {
	if e.Timeout {
		e.TimeLimit = c.httpClient.Timeout
	}
	return e
}

// isCertificateError says whether err is a failure to verify the server's
// certificate.
func isCertificateError(err error) bool {
	var verr *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	return errors.As(err, &verr) || errors.As(err, &unknown) || errors.As(err, &host) || errors.As(err, &invalid)
}

// replayableAuth says whether a client authentication may be sent again
// once a server may have read it: all may, but a client assertion from an
// identity token source that gives the same token each time (one jti).
func replayableAuth(a ClientAuth) bool {
	if ca, ok := a.(ClientAssertion); ok {
		return ca.Source.Fresh()
	}
	return true
}

// sendToken sends one token request through x/oauth2, which posts the form
// and reads an error response; w decided everything else before. With the
// parameters in the query string, x/oauth2 is told to send no grant_type of
// its own in the body.
func (c *Client) sendToken(ctx context.Context, req *Request, w *wire) (*recorder, error) {
	captured := &recorder{base: c.httpClient.Transport, header: w.header, now: c.now}
	endpoint, body, err := w.target(req.TokenURL, req.ParamsIn == ParamsInQuery)
	if err != nil {
		return captured, err
	}
	if _, ok := body["grant_type"]; !ok {
		body["grant_type"] = nil
	}
	httpClient := *c.httpClient
	httpClient.Transport = captured
	// AuthStyleInParams with no ClientID or ClientSecret: x/oauth2 adds no
	// credentials of its own (the wire has them), and never probes another
	// method, as AuthStyleAutoDetect would after a failure.
	conf := clientcredentials.Config{TokenURL: endpoint, AuthStyle: oauth2.AuthStyleInParams, EndpointParams: body}
	_, err = conf.Token(context.WithValue(ctx, oauth2.HTTPClient, &httpClient))
	return captured, err
}

// recorder is the one place x/oauth2 is wrapped: it sets the headers the
// wire decided on, and keeps a copy of the response, which x/oauth2 does not
// hand back on success or on a missing access_token. One is made per
// attempt, so it needs no locking.
type recorder struct {
	base   http.RoundTripper
	header http.Header
	now    func() time.Time

	status      int
	statusText  string
	contentType string
	location    string
	retryAfter  string
	body        []byte
	arrived     time.Time
	tooLarge    bool
}

func (w *recorder) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range w.header {
		r.Header[k] = v
	}
	resp, err := w.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	w.arrived = w.now()
	w.status = resp.StatusCode
	w.statusText = resp.Status
	w.contentType = resp.Header.Get("Content-Type")
	w.location = resp.Header.Get("Location")
	w.retryAfter = resp.Header.Get("Retry-After")
	body, err := readBody(resp)
	_ = resp.Body.Close()
	w.body = body
	if err != nil {
		w.tooLarge = errors.Is(err, errTooLarge)
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.Header.Del("Content-Encoding")
	resp.ContentLength = int64(len(body))
	return resp, nil
}

// isTransportError says whether err, from x/oauth2, is the HTTP client's:
// no response, or one whose body could not be read. The other errors are
// x/oauth2's reading of a whole response.
func isTransportError(err error) bool {
	var uerr *url.Error
	return errors.As(err, &uerr)
}

// readBody reads a response body of at most maxBodyBytes, decoding a gzip
// Content-Encoding that Go's transport left alone (it decodes only when it
// asked for gzip itself, not when a header of the configuration did). A
// longer body is an error, errTooLarge, with its first maxBodyBytes.
func readBody(resp *http.Response) ([]byte, error) {
	var r io.Reader = resp.Body
	if enc := strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding"))); !resp.Uncompressed &&
		(enc == "gzip" || enc == "x-gzip") {
		gz, err := gzip.NewReader(resp.Body)
		switch {
		case errors.Is(err, io.EOF):
			return nil, nil // An empty body.
		case err != nil:
			return nil, fmt.Errorf("the response says it is gzip-encoded but is not: %w", err)
		}
		defer func() { _ = gz.Close() }()
		r = gz
	}
	body, err := io.ReadAll(io.LimitReader(r, maxBodyBytes+1))
	if err != nil {
		return body, err
	}
	if len(body) > maxBodyBytes {
		return body[:maxBodyBytes], errTooLarge
	}
	return body, nil
}

// explain turns what went wrong into the error the user sees.
func (e *Error) explain(err error, w *recorder) *Error {
	e.ContentType = w.contentType
	var retrieve *oauth2.RetrieveError
	var perr *parseError
	switch {
	case errors.As(err, &retrieve):
		e.Code = e.redact.String(retrieve.ErrorCode)
		e.Description = e.redact.String(retrieve.ErrorDescription)
		e.URI = e.redact.String(retrieve.ErrorURI)
		if e.Code == "" {
			e.Body = e.safeSnippet(w.body)
		}
		if w.location != "" && e.StatusCode >= 300 && e.StatusCode < 400 {
			e.Location = e.redact.String(redactURL(w.location))
		}
	case errors.As(err, &perr):
		e.Code = e.redact.String(perr.code)
		e.Description = e.redact.String(perr.description)
		e.URI = e.redact.String(perr.uri)
		// Field names are the server's text too: one that echoes a secret
		// as a key must not show it.
		for _, f := range perr.fields {
			e.Fields = append(e.Fields, e.redact.String(f))
		}
		if perr.problem == ProblemNotAToken {
			// A success answer that is not a token response may still hold
			// a token, in a shape this reading does not know; only markup
			// (a login or proxy page) is shown.
			if bytes.HasPrefix(bytes.TrimSpace(w.body), []byte("<")) {
				e.Body = e.safeSnippet(w.body)
			} else {
				e.BodyWithheld = len(w.body)
			}
		}
		e.Problem = perr.problem
		e.Detail = e.redact.String(perr.detail)
	default:
		var uerr *url.Error
		if errors.As(err, &uerr) {
			// url.Error repeats the URL, query string (and so, with
			// params_in = "query", the password) included.
			err = uerr.Err
		}
		e.Cause = e.redact.String(err.Error())
		e.Timeout = isTimeout(err)
		e.CertificateRejected = isCertificateError(err)
		if errors.Is(err, ErrInsecureHTTP) {
			e.Problem = ProblemInsecure
		}
		switch {
		case w.tooLarge:
			e.Problem = ProblemTooLarge
			if e.StatusCode >= 200 && e.StatusCode < 300 {
				// A success answer may hold the access token in its
				// first characters.
				e.BodyWithheld = len(w.body)
			} else {
				e.Body = e.safeSnippet(w.body)
			}
		case e.StatusCode != 0 && !e.Timeout && e.canceled == nil:
			e.Problem = ProblemUnreadable
		}
	}
	return e
}

// safeSnippet is the start of a response, redacted before it is cut (a
// secret across the cut would otherwise show its first half) and after
// (collapsing white space can form a secret again).
func (e *Error) safeSnippet(body []byte) string {
	return e.redact.String(snippet([]byte(e.redact.String(string(body)))))
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &t) && t.Timeout())
}

// redactURL drops the password of a URL with userinfo, so a token URL can be
// shown. A URL that does not parse loses its whole userinfo.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return userinfo.ReplaceAllString(raw, "${1}"+redacted+"@")
	}
	return u.Redacted()
}

// userinfo matches the userinfo of a URL, parsable or not.
var userinfo = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@`)

// urlProblem says why a URL does not parse without repeating the URL, which
// may hold a password: url.Parse's error quotes it whole.
func urlProblem(err error) string {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	return err.Error()
}
