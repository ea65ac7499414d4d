package oauth2client

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Kind says which request failed.
type Kind int

const (
	KindToken Kind = iota
	KindDiscovery
	KindRevocation
	// KindIdentity: an identity token source could not give its token, so
	// the request that needed it was not sent.
	KindIdentity
)

// Problem says what went wrong, where the status and the server's error
// code do not say it alone.
type Problem string

const (
	// ProblemNotSent: the request could not be built, so nothing (or
	// nothing more) was sent; Cause says why.
	ProblemNotSent Problem = "not-sent"
	// ProblemInsecure: refused before sending, as plain http:// to a host
	// that is not loopback.
	ProblemInsecure Problem = "insecure-http"
	// ProblemTooLarge: the response was over 1 MiB.
	ProblemTooLarge Problem = "too-large"
	// ProblemUnreadable: an answer arrived but could not be read in full.
	ProblemUnreadable Problem = "unreadable"
	// ProblemNoAccessToken: a 2xx token response without access_token.
	ProblemNoAccessToken Problem = "no-access-token"
	// ProblemNotAToken: a 2xx answer that is not a token response.
	ProblemNotAToken Problem = "not-a-token"
	// ProblemBadField: a token response whose member (Detail says which)
	// has a type or value RFC 6749 section 5.1 does not allow.
	ProblemBadField Problem = "bad-field"

	// ProblemSourceMissing: what an identity token source reads is not
	// there (a variable, a file, a command, a CI system's endpoint): the
	// job is not set up for identity tokens. Detail says what is missing.
	ProblemSourceMissing Problem = "source-missing"
	// ProblemSourceFailed: the source is there but gave no token.
	ProblemSourceFailed Problem = "source-failed"

	// DiscoveryInvalidIssuer: the configured issuer is not an issuer
	// identifier; nothing was fetched.
	DiscoveryInvalidIssuer Problem = "invalid-issuer"
	// DiscoveryUnreachable: no response arrived.
	DiscoveryUnreachable Problem = "unreachable"
	// DiscoveryNotFound: no URL answered with a metadata document.
	DiscoveryNotFound Problem = "not-found"
	// DiscoveryMalformed: a document is not valid JSON, or a member has the
	// wrong JSON type.
	DiscoveryMalformed Problem = "malformed"
	// DiscoveryIssuerMismatch: the document names another issuer.
	DiscoveryIssuerMismatch Problem = "issuer-mismatch"
	// DiscoveryNoTokenEndpoint: the document names no token_endpoint.
	DiscoveryNoTokenEndpoint Problem = "no-token-endpoint"
	// DiscoveryBadTokenEndpoint: token_endpoint is not an absolute http(s)
	// URL.
	DiscoveryBadTokenEndpoint Problem = "bad-token-endpoint"
)

// Error is a failed token, discovery or revocation request, described in
// protocol terms: what was attempted, what the server said, and the
// underlying error. Every string in it has been through the request's
// redactor: no secret of the request, no assertion signed for it and no
// token it carried survives in it. What a user should do about it is the
// caller's to say (Report).
type Error struct {
	Kind    Kind
	Problem Problem

	// What was attempted. URL is the token, revocation or metadata URL.
	Grant string
	URL   string
	// Source is the kind of identity token source at fault, for
	// KindIdentity.
	Source        string
	ClientAuth    string
	TokenTypeHint string

	// StatusCode is 0 when no response arrived; Cause then says why.
	StatusCode int
	Status     string

	// The RFC 6749 section 5.2 (RFC 7009 section 2.2.1) error response,
	// when there was one.
	Code        string
	Description string
	URI         string

	// Body is the start of a response that was not an OAuth2 response,
	// printable characters only.
	Body        string
	ContentType string
	// BodyWithheld is the length of a success response that was not shown
	// because it may hold a token.
	BodyWithheld int
	// Fields names the members of a 2xx response without an access_token.
	Fields []string
	// Location is where a redirect pointed.
	Location string

	// RetryAfter is the Retry-After header of the last answer, as sent.
	RetryAfter string
	// Attempts counts the requests sent; more than 1 when failures were
	// retried. The other fields describe the last one.
	Attempts int
	// NotRetried says why a failure that is retried in general was not
	// (a Retry-After beyond the policy's MaxDelay).
	NotRetried string

	// Discovery: the configured issuer, the document at fault, the issuer
	// it names (for DiscoveryIssuerMismatch), the specific fault, and every
	// URL fetched.
	Issuer   string
	Document string
	Found    string
	Detail   string
	Tried    []DiscoveryAttempt

	Cause   string
	Timeout bool
	// TimeLimit is the Client's timeout, when Timeout is set.
	TimeLimit time.Duration
	// CertificateRejected is set when the server's TLS certificate could
	// not be verified.
	CertificateRejected bool

	redact *redactor
	// canceled is the context's error when cancellation ended the request.
	canceled error
}

// Unwrap returns the context's error (context.Canceled or
// context.DeadlineExceeded) when the caller's context ended the request,
// and nil otherwise: the errors underneath are described, redacted, in
// Cause and are not exposed.
func (e *Error) Unwrap() error { return e.canceled }

// Canceled says whether the caller's context ended the request.
func (e *Error) Canceled() bool { return e.canceled != nil }

// Summary is a short title for the failure.
func (e *Error) Summary() string {
	switch e.Kind {
	case KindDiscovery:
		return "Authorization Server Discovery Failed"
	case KindRevocation:
		return "Token Revocation Failed"
	case KindIdentity:
		return "Identity Token Not Available"
	}
	return "Token Request Failed"
}

// Error renders the failure without advice.
func (e *Error) Error() string { return e.Report("") }

// Report renders what was attempted, what the server said, then hint (what
// to try) and, last, the underlying error. It is the one renderer of every
// failure.
func (e *Error) Report(hint string) string {
	var b strings.Builder
	b.WriteString(e.headline())
	b.WriteString("\n\n")
	line := func(label, value string) {
		if value != "" {
			fmt.Fprintf(&b, "%-16s %s\n", label+":", e.redact.String(value))
		}
	}
	switch e.Kind {
	case KindDiscovery:
		line("Issuer", e.Issuer)
		line("Document", e.Document)
		if e.Problem == DiscoveryIssuerMismatch {
			found := e.Found
			if found == "" {
				found = "(none)"
			}
			line("Document issuer", found)
		}
		line("Detail", e.Detail)
	case KindIdentity:
		line("Source", e.Source)
		line("Grant type", e.Grant)
		line("Client auth", e.ClientAuth)
		line("CI endpoint", e.URL)
		line("Detail", e.Detail)
	case KindRevocation:
		line("Revocation URL", e.URL)
		line("Client auth", e.ClientAuth)
		line("Token type hint", e.TokenTypeHint)
	default:
		line("Grant type", e.Grant)
		line("Token URL", e.URL)
		line("Client auth", e.ClientAuth)
		line("Detail", e.Detail)
	}
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
	line("Fields", strings.Join(e.Fields, ", "))
	switch {
	case e.BodyWithheld > 0:
		line("Response", fmt.Sprintf("%d bytes, not shown because a success answer may hold a token", e.BodyWithheld))
	case e.Body == "" && e.Problem == ProblemNotAToken:
		line("Response", "empty body")
	}
	if e.Body != "" && e.Kind == KindIdentity && e.Source == "command" {
		fmt.Fprintf(&b, "Standard error (first %d printable characters):\n  %s\n", snippetLen, e.Body)
	} else if e.Body != "" {
		ct := e.ContentType
		if ct == "" {
			ct = "no content type"
		}
		if len([]rune(e.Body)) >= snippetLen {
			fmt.Fprintf(&b, "Response (%s, first %d printable characters):\n  %s\n", ct, snippetLen, e.Body)
		} else {
			fmt.Fprintf(&b, "Response (%s):\n  %s\n", ct, e.Body)
		}
	}
	if len(e.Tried) > 0 {
		b.WriteString("Tried:\n")
		for _, a := range e.Tried {
			fmt.Fprintf(&b, "  GET %s -> %s\n", a.URL, a.outcome())
		}
	}
	if hint != "" {
		b.WriteString("\n")
		b.WriteString(e.redact.String(hint))
		b.WriteString("\n")
	}
	if e.Cause != "" {
		fmt.Fprintf(&b, "\nOriginal Error: %s", e.Cause)
	}
	return strings.TrimRight(b.String(), "\n")
}

func (e *Error) headline() string {
	switch e.Kind {
	case KindDiscovery:
		switch e.Problem {
		case DiscoveryInvalidIssuer:
			return "The issuer is not a valid issuer identifier."
		case DiscoveryUnreachable:
			if e.canceled != nil {
				return "The metadata request was cancelled."
			}
			return "The authorization server did not answer the metadata request."
		case DiscoveryMalformed:
			return "The authorization server's metadata could not be read: it is not valid JSON metadata."
		case DiscoveryIssuerMismatch:
			return "The authorization server's metadata names a different issuer."
		case DiscoveryNoTokenEndpoint:
			return "The authorization server's metadata names no token endpoint."
		case DiscoveryBadTokenEndpoint:
			return "The authorization server's metadata names a token endpoint the provider cannot use."
		}
		return "No authorization server metadata was found for the issuer."
	case KindIdentity:
		return "The token request was not sent: no identity token could be obtained from the " + e.Source + " source."
	case KindRevocation:
		switch {
		case e.Problem == ProblemNotSent:
			return "The token could not be revoked: the revocation request cannot be made."
		case e.canceled != nil:
			return "The revocation request was cancelled; the token may still be valid."
		case e.Attempts > 1:
			return fmt.Sprintf("The authorization server did not revoke the token after %d attempts.", e.Attempts)
		}
		return "The authorization server did not revoke the token."
	}
	switch {
	case e.canceled != nil:
		return "The token request was cancelled."
	case e.Problem == ProblemNotSent || e.Problem == ProblemInsecure:
		return "The token request was not sent."
	case e.Attempts > 1:
		return fmt.Sprintf("The authorization server did not issue a token after %d attempts.", e.Attempts)
	}
	return "The authorization server did not issue a token."
}

// Unreachable says whether no answer arrived, for a reason other than
// cancellation: the case where the address, the network or a proxy is at
// fault.
func (e *Error) Unreachable() bool {
	return e.StatusCode == 0 && e.canceled == nil && e.Problem != ProblemNotSent && e.Problem != ProblemInsecure &&
		(e.Kind != KindDiscovery || e.Problem == DiscoveryUnreachable) &&
		(e.Kind != KindIdentity || e.URL != "" && e.Problem == ProblemSourceFailed)
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

// statusLine renders "401 Unauthorized" from what the response said.
func statusLine(code int, status string) string {
	if status != "" {
		return status
	}
	return strconv.Itoa(code) + " " + http.StatusText(code)
}
