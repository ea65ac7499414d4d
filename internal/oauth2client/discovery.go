package oauth2client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
)

// Metadata is the part of an authorization server's metadata the provider
// uses (OpenID Connect Discovery 1.0 section 3, RFC 8414 section 2).
type Metadata struct {
	Issuer                            string   `json:"issuer"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	RevocationEndpoint                string   `json:"revocation_endpoint"`
	IntrospectionEndpoint             string   `json:"introspection_endpoint"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	// Source is the URL the document was read from.
	Source string `json:"-"`
}

// Where authorization servers publish their metadata: OpenID Connect
// Discovery 1.0 section 4 and RFC 8414 section 3.
const (
	wellKnownOpenID = "/.well-known/openid-configuration"
	wellKnownOAuth  = "/.well-known/oauth-authorization-server"
)

// DiscoveryAttempt is one metadata URL Discover fetched.
type DiscoveryAttempt struct {
	URL string
	// StatusCode is 0 when no response arrived.
	StatusCode  int
	Status      string
	ContentType string
	// Location is where a redirect pointed.
	Location string
	// Note says why a response was not usable metadata, when the status
	// alone does not.
	Note string
	// Tries counts the requests made to URL; more than 1 when failures
	// were retried. The other fields describe the last one.
	Tries int

	malformed  bool
	retryAfter string
}

// outcome is what came back from one URL, for the list of URLs tried.
func (a DiscoveryAttempt) outcome() string {
	tries := ""
	if a.Tries > 1 {
		tries = fmt.Sprintf(" (after %d attempts)", a.Tries)
	}
	if a.StatusCode == 0 {
		if a.Note != "" {
			return "no response (" + a.Note + ")" + tries
		}
		return "no response" + tries
	}
	s := statusLine(a.StatusCode, a.Status)
	if a.Location != "" {
		s += ", redirect to " + a.Location + " (not followed)"
	}
	if a.Note != "" {
		s += ", " + a.Note
	}
	return s + tries
}

// CheckIssuerURL says what is wrong with an issuer identifier, or "" when it
// is an absolute http or https URL without query or fragment (OpenID Connect
// Discovery 1.0 section 3, RFC 8414 section 2; both require https, http is
// accepted for local servers).
func CheckIssuerURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Sprintf("It is not a valid URL: %s.", urlProblem(err))
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return "It must be an absolute URL starting with https:// (or http:// for a local server), " +
			"such as https://auth.example.com/realms/main."
	}
	if u.Host == "" {
		return "It has no host name; write it in full, such as https://auth.example.com/realms/main."
	}
	if u.RawQuery != "" || u.ForceQuery {
		return "An issuer identifier has no query (the part after ?)."
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return "An issuer identifier has no fragment (the part after #)."
	}
	return ""
}

// discoveryURLs are the metadata URLs for issuer, in the order Discover
// tries them: OpenID Connect's (issuer + /.well-known/openid-configuration),
// RFC 8414's (the well-known path inserted between host and path), and the
// OpenID Connect style applied to RFC 8414's suffix, which some servers use
// for issuers with a path. Any terminating "/" of the issuer's path is
// removed first, as both specifications require.
func discoveryURLs(issuer *url.URL) []string {
	trimmed := *issuer
	trimmed.Path = strings.TrimSuffix(issuer.Path, "/")
	trimmed.RawPath = strings.TrimSuffix(issuer.RawPath, "/")
	base := trimmed.String()

	inserted := trimmed
	inserted.Path = wellKnownOAuth + trimmed.Path
	if trimmed.RawPath != "" {
		inserted.RawPath = wellKnownOAuth + trimmed.RawPath
	}

	var out []string
	for _, u := range []string{base + wellKnownOpenID, inserted.String(), base + wellKnownOAuth} {
		if !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	return out
}

// Discover reads the metadata of the authorization server whose issuer
// identifier is issuerURL. It tries, in order, the OpenID Connect Discovery
// URL, the RFC 8414 URL and RFC 8414's suffix appended OpenID Connect style
// (see discoveryURLs), moving on after any answer that is not a metadata
// document (a 404, another error status, a redirect, an HTML page, invalid
// JSON). It stops at the first metadata document, which must name exactly
// issuerURL as its issuer and an absolute http(s) token_endpoint, and at the
// first request that gets no response, since every URL is on the same host.
// Each URL's request is retried as the Client's RetryPolicy says before the
// answer counts.
//
// The error, when not nil, is an *Error of KindDiscovery.
func (c *Client) Discover(ctx context.Context, issuerURL string) (*Metadata, error) {
	fail := &Error{Kind: KindDiscovery, Issuer: redactURL(issuerURL), redact: c.redactor(nil)}
	if reason := CheckIssuerURL(issuerURL); reason != "" {
		fail.Problem = DiscoveryInvalidIssuer
		fail.Detail = reason
		return nil, fail
	}
	issuer, err := url.Parse(issuerURL)
	if err != nil { // Not reached: CheckIssuerURL parsed it already.
		fail.Problem = DiscoveryInvalidIssuer
		fail.Detail = err.Error()
		return nil, fail
	}

	for _, target := range discoveryURLs(issuer) {
		var (
			attempt DiscoveryAttempt
			md      *Metadata
			err     error
		)
		stats := c.withRetry(ctx, redactURL(target), func() attemptResult {
			attempt, md, err = c.fetchMetadata(ctx, target)
			return attemptResult{status: attempt.StatusCode, statusText: attempt.Status, retryAfter: attempt.retryAfter, err: err}
		})
		attempt.Tries = stats.tries
		if stats.notRetried != "" {
			attempt.Note = strings.TrimPrefix(attempt.Note+"; ", "; ") + "not retried: " + stats.notRetried
		}
		fail.Tried = append(fail.Tried, attempt)
		if stats.canceled != nil {
			fail.Problem = DiscoveryUnreachable
			fail.Cause = stats.canceled.Error()
			fail.canceled = stats.canceled
			return nil, fail
		}
		if err != nil && !errors.Is(err, errTooLarge) {
			fail.Problem = DiscoveryUnreachable
			fail.Cause = err.Error()
			fail.Timeout = isTimeout(err)
			fail.CertificateRejected = isCertificateError(err)
			_ = c.finish(fail)
			return nil, fail
		}
		if md == nil {
			continue
		}
		if problem, detail := md.check(issuerURL); problem != "" {
			fail.Problem = problem
			fail.Detail = detail
			fail.Document = attempt.URL
			fail.Found = md.Issuer
			return nil, fail
		}
		return md, nil
	}

	fail.Problem = DiscoveryNotFound
	for _, a := range fail.Tried {
		if a.malformed {
			fail.Problem = DiscoveryMalformed
			fail.Document = a.URL
			fail.Detail = a.Note
			break
		}
	}
	return nil, fail
}

// check says what makes md unusable for issuer, or "" when it is usable.
func (md *Metadata) check(issuer string) (problem Problem, detail string) {
	if md.Issuer != issuer {
		return DiscoveryIssuerMismatch, ""
	}
	if md.TokenEndpoint == "" {
		return DiscoveryNoTokenEndpoint, ""
	}
	if reason := CheckTokenURL(md.TokenEndpoint); reason != "" {
		return DiscoveryBadTokenEndpoint, fmt.Sprintf("token_endpoint %q: %s", redactURL(md.TokenEndpoint), reason)
	}
	return "", ""
}

// fetchMetadata GETs one metadata URL. It returns the metadata when the
// answer is a metadata document, nil when it is not (attempt says why), and
// an error when no response arrived. A document meant as JSON that cannot
// be read (a syntax error, a member of the wrong JSON type) gives no
// metadata and an attempt marked malformed.
func (c *Client) fetchMetadata(ctx context.Context, target string) (DiscoveryAttempt, *Metadata, error) {
	attempt := DiscoveryAttempt{URL: redactURL(target)}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return attempt, nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.httpClient.Do(req)
	if err != nil {
		return attempt, nil, unwrapURLError(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := readBody(resp)
	attempt.StatusCode = resp.StatusCode
	attempt.Status = resp.Status
	attempt.ContentType = resp.Header.Get("Content-Type")
	attempt.retryAfter = resp.Header.Get("Retry-After")
	switch {
	case errors.Is(err, errTooLarge) && resp.StatusCode >= 200 && resp.StatusCode < 300:
		attempt.Note = err.Error()
		attempt.malformed = true
		return attempt, nil, err
	case errors.Is(err, errTooLarge):
		// An error page: its status says enough.
	case err != nil:
		err = unwrapURLError(err)
		attempt.Note = "reading the response failed: " + err.Error()
		return attempt, nil, err
	}

	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		if loc := resp.Header.Get("Location"); loc != "" {
			attempt.Location = redactURL(resolveLocation(resp.Request.URL, loc))
		}
		return attempt, nil, nil
	case resp.StatusCode < 200 || resp.StatusCode >= 300:
		return attempt, nil, nil
	}

	md, note, malformed := parseMetadata(body, attempt.ContentType)
	attempt.Note = note
	attempt.malformed = malformed
	if md != nil {
		md.Source = target
	}
	return attempt, md, nil
}

// parseMetadata reads a metadata document. It returns nil and a note saying
// why when body is not one; malformed is set when body is meant as JSON (by
// its content type or its first character) but cannot be read.
func parseMetadata(body []byte, contentType string) (md *Metadata, note string, malformed bool) {
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")) // A UTF-8 byte order mark.
	trimmed := bytes.TrimSpace(body)
	media, _, _ := mime.ParseMediaType(contentType)
	looksJSON := bytes.HasPrefix(trimmed, []byte("{")) || media == "application/json" ||
		strings.HasSuffix(media, "+json")
	ct := contentType
	if ct == "" {
		ct = "no content type"
	}

	var members map[string]json.RawMessage
	if err := json.Unmarshal(body, &members); err != nil || members == nil {
		switch {
		case len(trimmed) == 0:
			return nil, "empty body, not metadata", looksJSON
		case !looksJSON:
			return nil, fmt.Sprintf("not JSON (%s): %s", ct, snippet(body)), false
		case err == nil: // null
			return nil, "JSON null, not a metadata object", true
		}
		return nil, "not valid JSON: " + describeJSONError(err), true
	}
	_, hasIssuer := members["issuer"]
	_, hasToken := members["token_endpoint"]
	if !hasIssuer && !hasToken {
		return nil, "a JSON object with neither issuer nor token_endpoint, not metadata", false
	}
	md = &Metadata{}
	if err := json.Unmarshal(body, md); err != nil {
		return nil, "malformed metadata: " + describeJSONError(err), true
	}
	return md, "", false
}

// describeJSONError says where and how a document breaks JSON, or which
// member has the wrong type.
func describeJSONError(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("%s (at byte %d)", syntax.Error(), syntax.Offset)
	case errors.As(err, &typ):
		want := "a string"
		if typ.Type != nil && typ.Type.Kind() == reflect.Slice {
			want = "an array of strings"
		}
		field := typ.Field
		if field == "" {
			return fmt.Sprintf("the document is a JSON %s, not an object", typ.Value)
		}
		return fmt.Sprintf("%s is a JSON %s, not %s", field, typ.Value, want)
	}
	return err.Error()
}

// unwrapURLError drops the method and URL url.Error repeats, which the
// attempt shows already.
func unwrapURLError(err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return uerr.Err
	}
	return err
}

// resolveLocation makes a relative Location absolute, so the error names
// the address in full.
func resolveLocation(base *url.URL, loc string) string {
	u, err := url.Parse(loc)
	if err != nil || base == nil {
		return loc
	}
	return base.ResolveReference(u).String()
}

// PickClientAuth chooses how to authenticate the client when no method is
// configured, from the token_endpoint_auth_methods_supported of the
// server's metadata: client_secret_basic when a secret is set and the
// server supports it (an empty list means client_secret_basic only, RFC
// 8414 section 2), else client_secret_post with a secret, else
// private_key_jwt with a private key, else client_secret_jwt with a secret,
// else none without a secret. It returns "" when no method fits.
func PickClientAuth(supported []string, hasSecret, hasPrivateKey bool) string {
	supports := func(m string) bool { return slices.Contains(supported, m) }
	switch {
	case hasSecret && (len(supported) == 0 || supports(AuthClientSecretBasic)):
		return AuthClientSecretBasic
	case hasSecret && supports(AuthClientSecretPost):
		return AuthClientSecretPost
	case hasPrivateKey && supports(AuthPrivateKeyJWT):
		return AuthPrivateKeyJWT
	case hasSecret && supports(AuthClientSecretJWT):
		return AuthClientSecretJWT
	case !hasSecret && supports(AuthNone):
		return AuthNone
	}
	return ""
}
