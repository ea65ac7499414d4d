package oauth2client

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode"
)

// Error is a failed token request, described in terms a user can act on.
// Every string in it has been through the redactor: no configured secret,
// in plain, form-encoded or Basic-encoded form, survives in it.
type Error struct {
	Grant      string
	TokenURL   string
	ClientAuth string

	// StatusCode is 0 when no response arrived; Cause then says why.
	StatusCode int
	Status     string

	// The RFC 6749 section 5.2 error response, when there was one.
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

	Cause   string
	Timeout bool

	problem string
	redact  *redactor
	// canceled is the context's error when cancellation ended the request.
	canceled error
}

// Unwrap returns the context's error (context.Canceled or
// context.DeadlineExceeded) when the caller's context ended the request,
// and nil otherwise: the errors underneath are described, redacted, in
// Cause and are not exposed.
func (e *Error) Unwrap() error {
	return e.canceled
}

// Summary is a short title for the failure.
func (e *Error) Summary() string {
	return "Token Request Failed"
}

// Error renders what was attempted, what the server said, what to try and,
// last, the underlying error, as the provider's diagnostics do.
func (e *Error) Error() string {
	var b strings.Builder
	switch {
	case e.canceled != nil:
		b.WriteString("The token request was cancelled.\n\n")
	case e.problem == problemNotSent || e.problem == problemInsecure:
		b.WriteString("The token request was not sent.\n\n")
	case e.Attempts > 1:
		fmt.Fprintf(&b, "The authorization server did not issue a token after %d attempts.\n\n", e.Attempts)
	default:
		b.WriteString("The authorization server did not issue a token.\n\n")
	}
	line := func(label, value string) {
		if value != "" {
			fmt.Fprintf(&b, "%-13s %s\n", label+":", value)
		}
	}
	line("Grant type", e.Grant)
	line("Token URL", e.TokenURL)
	line("Client auth", e.ClientAuth)
	if e.StatusCode != 0 {
		line("HTTP status", statusLine(e.StatusCode, e.Status))
	}
	line("Error", e.Code)
	line("Description", e.Description)
	line("Error URI", e.URI)
	// Location and Fields arrive unredacted: a redirect can repeat a query
	// that carried the password, and a text/plain body echoing a secret
	// reads as a form with one member named by it.
	line("Redirect to", e.redact.String(e.Location))
	line("Retry after", describeRetryAfter(e.RetryAfter))
	if e.Attempts > 1 {
		line("Attempts", strconv.Itoa(e.Attempts))
	}
	line("Not retried", e.NotRetried)
	if len(e.Fields) > 0 {
		line("Fields", e.redact.String(strings.Join(e.Fields, ", ")))
	}
	switch {
	case e.BodyWithheld > 0:
		line("Response", fmt.Sprintf("%d bytes, not shown because a success answer may hold a token", e.BodyWithheld))
	case e.Body == "" && e.problem == problemNotAToken:
		line("Response", "empty body")
	}
	if e.Body != "" {
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

// hint says what to try, from the most specific evidence available.
func (e *Error) hint() string {
	switch e.Code {
	case "invalid_client", "unauthorized_client":
		return fmt.Sprintf("The server did not accept the client. Check client_id and the credential, and that "+
			"client_auth (now %q, which %s) is the method this client is registered for. If it is, check that "+
			"the client may use the %s grant.", e.ClientAuth, authSends[e.ClientAuth], e.Grant)
	case "invalid_grant":
		switch e.Grant {
		case GrantPassword:
			return "The server refused the user's credentials. Check password_grant's username and password, " +
				"and that the user may sign in through this client."
		case GrantRefreshToken:
			return "The server refused the refresh token: it may have expired, been revoked, or been used " +
				"already by a server that rotates refresh tokens. Get a new one with the grant that issued it."
		}
		return "The server refused the grant. Check the grant's inputs and the parameters in extra_params."
	case "invalid_scope":
		return "The server refused the requested scopes. Check scopes against the scopes this client may " +
			"request, and their exact spelling and case."
	case "unsupported_grant_type":
		return fmt.Sprintf("The server does not support the %q grant for this client. Enable the grant for "+
			"the client on the server, or set grant_type to the value the server expects.", e.Grant)
	case "invalid_request":
		return "The server found the request malformed or missing a parameter. Check params_in (\"body\" or " +
			"\"query\") and that extra_params holds every parameter the server requires."
	case "":
	default:
		return ""
	}
	switch {
	case e.canceled != nil:
		return "The request was interrupted (cancelled) before it completed."
	case e.problem == problemNotSent:
		return "The request was not sent, because it could not be built; the error below says why."
	case e.problem == problemNoAccessToken:
		return "The server answered with success but sent no access_token. Check that token_url is the token " +
			"endpoint, not another endpoint of the server."
	case e.problem == problemNotAToken:
		return "The server answered with success but not with a token response (JSON or form-encoded). Check " +
			"that token_url is the token endpoint, not a login page or a proxy's page."
	case e.problem == problemTooLarge:
		return "No token response is that large. Check that token_url is the token endpoint, not another " +
			"endpoint of the server or a proxy's page."
	case e.problem == problemUnreadable:
		return "An answer arrived but could not be read in full: the connection may have been closed while " +
			"the response was sent. Try again later, or check any proxy between here and the server."
	case e.Location != "":
		return "Token requests do not follow redirects, because the client credentials would go with them. " +
			"Set token_url to the address the server redirects to, if it is the right one."
	case e.StatusCode == 401 || e.StatusCode == 403:
		return fmt.Sprintf("The server refused the request without saying why. Check client_id, client_secret "+
			"and client_auth (now %q).", e.ClientAuth)
	case e.StatusCode == 404 || e.StatusCode == 405:
		return "The server has no token endpoint at this address. Check token_url."
	case e.StatusCode == 429:
		return "The server is limiting the rate of requests. Try again later, or raise the retry settings " +
			"(attempts, max_delay) so the provider waits as long as the server asks."
	case e.StatusCode >= 500:
		return "The server failed to answer. Try again later, or ask its operators."
	case e.problem == problemInsecure:
		return "Nothing was sent. Use an https:// endpoint, or set allow_insecure_http = true in the provider block " +
			"if the network to this host is trusted."
	case e.Timeout:
		return "The server did not answer in time. Check that token_url is reachable from here, or raise timeout."
	case e.StatusCode == 0:
		return "No response arrived. Check that token_url is reachable from here, and any proxy settings " +
			"(HTTPS_PROXY, NO_PROXY)."
	}
	return ""
}

// authSends says, for hints, what each client authentication method puts on
// the wire.
var authSends = map[string]string{
	AuthClientSecretBasic:       "sends client_id and client_secret in an HTTP Basic header",
	AuthClientSecretPost:        "sends client_id and client_secret in the request body",
	AuthClientSecretJWT:         "sends a JWT signed with client_secret, which must match the server's copy",
	AuthPrivateKeyJWT:           "sends a JWT signed with private_key, which the server checks against the client's registered public key (and private_key_id)",
	AuthTLSClientAuth:           "presents client_certificate_pem, whose subject the server checks",
	AuthSelfSignedTLSClientAuth: "presents client_certificate_pem, which must be the one registered for the client",
	AuthNone:                    "sends only client_id",
}

// snippetLen is how much of a response that is not OAuth2 an error shows:
// enough to recognise an HTML error page, not enough to flood the output.
const snippetLen = 200

// snippet returns the first printable characters of body, with runs of
// white space (an HTML page's indentation) collapsed to one space.
func snippet(body []byte) string {
	var b strings.Builder
	n := 0
	space := false
	for _, r := range string(body) {
		if n >= snippetLen {
			break
		}
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if !unicode.IsPrint(r) {
			continue
		}
		if space {
			if n+2 > snippetLen {
				// No room for the space and the character after it.
				break
			}
			b.WriteByte(' ')
			n++
			space = false
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// redactor replaces secrets in text, in every encoding a server might echo
// them in: as sent, form-encoded, path-escaped and inside a Basic header.
type redactor struct {
	forms []string
}

const redacted = "[REDACTED]"

// minSecretLen keeps one-character "secrets" from redacting every letter.
const minSecretLen = 3

func newRedactor(secrets []string) *redactor {
	seen := map[string]bool{}
	var forms []string
	add := func(s string) {
		if len(s) >= minSecretLen && !seen[s] {
			seen[s] = true
			forms = append(forms, s)
		}
	}
	for _, s := range secrets {
		add(s)
		add(url.QueryEscape(s))
		add(url.PathEscape(s))
		add(base64.StdEncoding.EncodeToString([]byte(s)))
	}
	return &redactor{forms: forms}
}

// String replaces every occurrence of every form with the marker. Where
// occurrences overlap (a secret repeated in "abcabcab" with "abc" and
// "cabca", or "000" in "00000") they are replaced as one run: replacing
// the first whole and scanning on from its end would leave the rest of the
// others in the text.
func (r *redactor) String(s string) string {
	if r == nil {
		return s
	}
	// ends[i] is where the longest occurrence starting at byte i ends.
	var ends []int
	for _, f := range r.forms {
		for from := 0; ; {
			k := strings.Index(s[from:], f)
			if k < 0 {
				break
			}
			if ends == nil {
				ends = make([]int, len(s))
			}
			start := from + k
			ends[start] = max(ends[start], start+len(f))
			from = start + 1
		}
	}
	if ends == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); i++ {
		end := ends[i]
		if end == 0 {
			continue
		}
		for j := i + 1; j < end; j++ {
			end = max(end, ends[j])
		}
		b.WriteString(s[last:i])
		b.WriteString(redacted)
		last, i = end, end-1
	}
	b.WriteString(s[last:])
	return b.String()
}
