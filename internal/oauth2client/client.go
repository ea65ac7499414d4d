package oauth2client

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http/httpproxy"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// DefaultTimeout bounds a token request when the configuration sets none.
const DefaultTimeout = 30 * time.Second

// maxBodyBytes is how much of a response is read. Token responses are a few
// kilobytes; x/oauth2 stops at the same limit.
const maxBodyBytes = 1 << 20

// Client fetches tokens. The zero value is not usable; build one with New.
type Client struct {
	httpClient *http.Client
	now        func() time.Time
}

// New returns a Client whose requests give up after timeout (DefaultTimeout
// when zero), which reads the time from now (time.Now when nil, so tests can
// pin expires_at) and which uses tlsConfig (from TLSOptions.TLSConfig; nil
// for Go's defaults) for every request it makes.
func New(timeout time.Duration, now func() time.Time, tlsConfig *tls.Config) *Client {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if now == nil {
		now = time.Now
	}
	transport := &http.Transport{}
	if dt, ok := http.DefaultTransport.(*http.Transport); ok {
		transport = dt.Clone()
	}
	if tlsConfig != nil {
		transport.TLSClientConfig = tlsConfig
	}
	// http.ProxyFromEnvironment reads the environment once per process;
	// reading it per request lets HTTPS_PROXY and NO_PROXY set by a
	// pipeline step between runs of the same plugin process take effect.
	transport.Proxy = func(req *http.Request) (*url.URL, error) {
		return httpproxy.FromEnvironment().ProxyFunc()(req.URL)
	}
	return &Client{
		httpClient: &http.Client{
			Transport: transport,
			Timeout:   timeout,
			// A redirected POST would carry the client credentials to
			// wherever the server points; report the redirect instead.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		now: now,
	}
}

// Outcome describes the HTTP exchange behind a Fetch, for logging. Status
// is 0 when no response arrived.
type Outcome struct {
	Status   int
	Duration time.Duration
}

// Fetch performs one token request. The error, when not nil, is an *Error
// whose text is safe to show: no secret of the request and no token of the
// response appears in it.
func (c *Client) Fetch(ctx context.Context, req Request) (*Token, Outcome, error) {
	auth := req.clientAuth()
	w := &wireTransport{
		base:          c.httpClient.Transport,
		headers:       req.Headers,
		paramsInQuery: req.ParamsIn == ParamsInQuery,
		now:           c.now,
	}
	httpClient := *c.httpClient
	httpClient.Transport = w

	// clientcredentials.Config lets grant_type be overridden through
	// EndpointParams, which makes it a general token request builder: it
	// sends the client credentials the way AuthStyle says and never probes
	// another method (AuthStyleAutoDetect would retry with the secret in
	// the body after a failure, which the issue forbids).
	conf := clientcredentials.Config{
		ClientID:     req.ClientID,
		ClientSecret: req.ClientSecret,
		TokenURL:     req.TokenURL,
		AuthStyle:    oauth2.AuthStyleInParams,
	}
	if auth == AuthClientSecretBasic {
		conf.AuthStyle = oauth2.AuthStyleInHeader
	} else if auth != AuthClientSecretPost {
		// Every other method proves the client without sending the
		// secret: x/oauth2 then sends client_id alone.
		conf.ClientSecret = ""
	}
	now := c.now()
	params, err := req.grantParams(now)
	var assertion url.Values
	if err == nil {
		assertion, err = req.assertionParams(req.TokenURL, now)
	}

	var outcome Outcome
	sent := err == nil
	if sent {
		for k, v := range assertion {
			params[k] = v
		}
		conf.EndpointParams = params
		start := time.Now()
		_, err = conf.Token(context.WithValue(ctx, oauth2.HTTPClient, &httpClient))
		outcome = Outcome{Status: w.status, Duration: time.Since(start)}
	}

	failure := &Error{
		Grant:      req.Grant(),
		TokenURL:   redactURL(req.TokenURL),
		ClientAuth: auth,
		StatusCode: w.status,
		Status:     w.statusText,
		redact:     newRedactor(append(req.secrets(), basicCredentials(req.ClientID, req.ClientSecret))),
	}
	if !sent {
		// Nothing was sent: the request could not be built.
		failure.Cause = failure.redact.String(err.Error())
		failure.problem = problemNotSent
		return nil, outcome, failure
	}
	var retrieve *oauth2.RetrieveError
	if err != nil && (errors.As(err, &retrieve) || w.status == 0) {
		return nil, outcome, failure.explain(err, w)
	}
	// A 2xx answer: x/oauth2 either accepted it or refused it for a reason
	// of its own (a missing access_token, an expires_in it cannot read).
	// Either way the normalised reading below decides, and explains.
	token, err := parseToken(w.body, w.contentType, w.arrived)
	if err != nil {
		return nil, outcome, failure.explain(err, w)
	}
	return token, outcome, nil
}

// wireTransport adapts the request x/oauth2 builds to the server's dialect
// (extra headers, grant parameters in the query string) and keeps a copy of
// the response, which x/oauth2 does not hand back on success or on a
// missing access_token. One is made per Fetch, so it needs no locking.
type wireTransport struct {
	base          http.RoundTripper
	headers       map[string]string
	paramsInQuery bool
	now           func() time.Time

	status      int
	statusText  string
	contentType string
	location    string
	body        []byte
	arrived     time.Time
}

func (w *wireTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	if r.Header.Get("Accept") == "" {
		r.Header.Set("Accept", "application/json")
	}
	for k, v := range w.headers {
		r.Header.Set(k, v)
	}
	if w.paramsInQuery {
		if err := moveGrantParamsToQuery(r); err != nil {
			return nil, err
		}
	}

	resp, err := w.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	w.arrived = w.now()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes))
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	w.status = resp.StatusCode
	w.statusText = resp.Status
	w.contentType = resp.Header.Get("Content-Type")
	w.location = resp.Header.Get("Location")
	w.body = body
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// moveGrantParamsToQuery moves the form parameters from the body to the
// URL's query string, for servers that read grant parameters only from the
// query (params_in = "query"). Under client_secret_post the client
// credentials stay in the body, where client_auth put them and where a
// secret stays out of access logs; a public client's client_id is just
// another request parameter and travels with the rest.
func moveGrantParamsToQuery(r *http.Request) error {
	if r.Body == nil {
		return nil
	}
	raw, err := io.ReadAll(r.Body)
	_ = r.Body.Close()
	if err != nil {
		return err
	}
	form, err := url.ParseQuery(string(raw))
	if err != nil {
		return err
	}
	query := r.URL.Query()
	body := url.Values{}
	// Client credentials in the body (a secret or an assertion) stay there
	// with their client_id.
	credsInBody := form.Has("client_secret") || form.Has("client_assertion")
	for k, vs := range form {
		target := query
		if credsInBody && (k == "client_id" || k == "client_secret" || k == "client_assertion" || k == "client_assertion_type") {
			target = body
		}
		for _, v := range vs {
			target.Add(k, v)
		}
	}
	r.URL.RawQuery = query.Encode()
	encoded := body.Encode()
	r.Body = io.NopCloser(strings.NewReader(encoded))
	r.ContentLength = int64(len(encoded))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(encoded)), nil }
	return nil
}

// explain turns what went wrong into the error the user sees.
func (e *Error) explain(err error, w *wireTransport) *Error {
	e.ContentType = w.contentType
	var retrieve *oauth2.RetrieveError
	var perr *parseError
	switch {
	case errors.As(err, &retrieve):
		e.Code = e.redact.String(retrieve.ErrorCode)
		e.Description = e.redact.String(retrieve.ErrorDescription)
		e.URI = e.redact.String(retrieve.ErrorURI)
		if e.Code == "" {
			e.Body = e.redact.String(snippet(w.body))
		}
		if w.location != "" && e.StatusCode >= 300 && e.StatusCode < 400 {
			e.Location = redactURL(w.location)
		}
	case errors.As(err, &perr):
		e.Code = e.redact.String(perr.code)
		e.Description = e.redact.String(perr.description)
		e.URI = e.redact.String(perr.uri)
		e.Fields = perr.fields
		e.Body = e.redact.String(perr.snippet)
		e.problem = perr.problem
	default:
		var uerr *url.Error
		if errors.As(err, &uerr) {
			// url.Error repeats the URL, query string (and so, with
			// params_in = "query", the password) included.
			err = uerr.Err
		}
		e.Cause = e.redact.String(err.Error())
		e.Timeout = isTimeout(err)
	}
	return e
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &t) && t.Timeout())
}

// basicCredentials is what x/oauth2 puts after "Basic " (RFC 6749 section
// 2.3.1), so a server echoing its request headers cannot leak the secret.
func basicCredentials(id, secret string) string {
	if secret == "" {
		return ""
	}
	return base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id) + ":" + url.QueryEscape(secret)))
}

// redactURL drops the password of a URL with userinfo, so a token URL can be
// shown.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Redacted()
}

// statusLine renders "401 Unauthorized" from what the response said.
func statusLine(code int, status string) string {
	if status != "" {
		return status
	}
	return strconv.Itoa(code) + " " + http.StatusText(code)
}
