package oauth2client

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"sort"
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
	// Fields names the members of a 2xx response without an access_token.
	Fields []string
	// Location is where a redirect pointed.
	Location string

	Cause   string
	Timeout bool

	problem string
	redact  *redactor
}

// Summary is a short title for the failure.
func (e *Error) Summary() string {
	return "Token Request Failed"
}

// Error renders what was attempted, what the server said, what to try and,
// last, the underlying error, as the provider's diagnostics do.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("The authorization server did not issue a token.\n\n")
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
	line("Redirect to", e.Location)
	if len(e.Fields) > 0 {
		line("Fields", strings.Join(e.Fields, ", "))
	}
	if e.Body == "" && e.problem == problemNotAToken {
		line("Response", "empty body")
	}
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
	case e.problem == problemNotSent:
		return "The request was not sent, because it could not be built; the error below says why."
	case e.problem == problemNoAccessToken:
		return "The server answered with success but sent no access_token. Check that token_url is the token " +
			"endpoint, not another endpoint of the server."
	case e.problem == problemNotAToken:
		return "The server answered with success but not with a token response (JSON or form-encoded). Check " +
			"that token_url is the token endpoint, not a login page or a proxy's page."
	case e.Location != "":
		return "Token requests do not follow redirects, because the client credentials would go with them. " +
			"Set token_url to the address the server redirects to, if it is the right one."
	case e.StatusCode == 401 || e.StatusCode == 403:
		return fmt.Sprintf("The server refused the request without saying why. Check client_id, client_secret "+
			"and client_auth (now %q).", e.ClientAuth)
	case e.StatusCode == 404 || e.StatusCode == 405:
		return "The server has no token endpoint at this address. Check token_url."
	case e.StatusCode >= 500:
		return "The server failed to answer. Try again later, or ask its operators."
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
	replacer *strings.Replacer
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
	// Longest first, so a secret that contains another is replaced whole.
	sort.Slice(forms, func(i, j int) bool { return len(forms[i]) > len(forms[j]) })
	pairs := make([]string, 0, 2*len(forms))
	for _, f := range forms {
		pairs = append(pairs, f, redacted)
	}
	return &redactor{replacer: strings.NewReplacer(pairs...)}
}

func (r *redactor) String(s string) string {
	if r == nil {
		return s
	}
	return r.replacer.Replace(s)
}
