package oauth2client

import (
	"bytes"
	"encoding/json"
	"math"
	"mime"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Token is a token response (RFC 6749 section 5.1) normalised across the
// dialects servers use. Pointer fields are nil when the server left them out.
type Token struct {
	AccessToken string
	// TokenType is exactly what the server sent ("Bearer", "bearer", "DPoP"),
	// or "" when it sent none.
	TokenType string
	// ExpiresIn comes from a JSON number or a numeric string.
	ExpiresIn *int64
	// ExpiresAt is the arrival time of the response plus ExpiresIn, in UTC.
	ExpiresAt *time.Time
	// Scope is space-delimited; a JSON array of scopes is joined with spaces.
	Scope        *string
	RefreshToken *string
	IDToken      *string
	// IssuedTokenType is the token exchange response's issued_token_type
	// (RFC 8693 section 2.2.1).
	IssuedTokenType *string
	// Extra holds every other top-level field; values that are not strings
	// are kept in their JSON encoding.
	Extra map[string]string
}

// AuthorizationHeader is the value of an Authorization header that presents
// this token. Servers spell the bearer type in any case ("bearer" is common)
// while resource servers expect "Bearer" (RFC 6750 section 2.1); any other
// type is sent as the server named it.
func (t *Token) AuthorizationHeader() string {
	if t.TokenType == "" || strings.EqualFold(t.TokenType, "bearer") {
		return "Bearer " + t.AccessToken
	}
	return t.TokenType + " " + t.AccessToken
}

type parseError struct {
	problem Problem
	fields  []string
	snippet string
	// code and description, when the body was an error response that
	// x/oauth2 could not read as one (JSON labelled text/plain).
	code, description, uri string
}

func (e *parseError) Error() string { return "the response is not a token: " + string(e.problem) }

// isForm says whether a response of this content type is form-encoded, as
// RFC 6749's predecessor drafts and some servers (GitHub, Facebook) answer.
func isForm(contentType string) bool {
	media, _, _ := mime.ParseMediaType(contentType)
	return media == "application/x-www-form-urlencoded" || media == "text/plain"
}

// parseToken normalises a successful response body.
func parseToken(body []byte, contentType string, arrived time.Time) (*Token, error) {
	fields, ok := decodeFields(body, contentType)
	if !ok {
		return nil, &parseError{problem: ProblemNotAToken, snippet: snippet(body)}
	}
	if e, ok := fields["error"]; ok {
		return nil, &parseError{code: e.text, description: fields["error_description"].text, uri: fields["error_uri"].text}
	}
	t := &Token{Extra: map[string]string{}}
	for name, f := range fields {
		switch name {
		case "access_token":
			t.AccessToken = f.text
		case "token_type":
			t.TokenType = f.text
		case "expires_in":
			if n, ok := f.seconds(); ok {
				t.ExpiresIn = &n
				at := arrived.Add(time.Duration(n) * time.Second).UTC()
				t.ExpiresAt = &at
			}
		case "scope":
			if s, ok := f.scope(); ok {
				t.Scope = &s
			}
		case "refresh_token":
			if f.isString {
				t.RefreshToken = &f.text
			}
		case "id_token":
			if f.isString {
				t.IDToken = &f.text
			}
		case "issued_token_type":
			if f.isString {
				t.IssuedTokenType = &f.text
			}
		default:
			t.Extra[name] = f.text
		}
	}
	if t.AccessToken == "" {
		return nil, &parseError{problem: ProblemNoAccessToken, fields: sortedKeys(fields)}
	}
	return t, nil
}

// field is one top-level member of a response: text is the string value, or
// the compact JSON encoding of anything else.
type field struct {
	text     string
	isString bool
	array    []string // set when the value is a JSON array of strings
}

// maxSeconds is the longest lifetime a time.Duration can hold, about 292
// years; servers that mean "never expires" send values beyond it.
const maxSeconds = math.MaxInt64 / int64(time.Second)

func (f field) seconds() (int64, bool) {
	n, err := strconv.ParseFloat(strings.TrimSpace(f.text), 64)
	if err != nil || !(n >= 0) || math.IsInf(n, 1) {
		return 0, false
	}
	if n >= float64(maxSeconds) {
		return maxSeconds, true
	}
	return int64(n), true
}

func (f field) scope() (string, bool) {
	if f.array != nil {
		return strings.Join(f.array, " "), true
	}
	if f.isString {
		return f.text, true
	}
	return "", false
}

// decodeFields reads the top level of a JSON object or a form-encoded body.
func decodeFields(body []byte, contentType string) (map[string]field, bool) {
	// Some servers label a JSON body text/plain; reading it as a form would
	// make the whole object one parameter name, token and all.
	if isForm(contentType) && !bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) {
		// A body with no name=value pair is not a form: read as one, its
		// whole text (a bare token, say) would become a parameter name.
		if !bytes.Contains(body, []byte("=")) {
			return nil, false
		}
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, false
		}
		out := make(map[string]field, len(vals))
		for k, vs := range vals {
			out[k] = field{text: vs[0], isString: true}
		}
		return out, true
	}
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil || raw == nil {
		return nil, false
	}
	out := make(map[string]field, len(raw))
	for k, v := range raw {
		var s string
		if json.Unmarshal(v, &s) == nil {
			out[k] = field{text: s, isString: true}
			continue
		}
		f := field{}
		var arr []string
		if json.Unmarshal(v, &arr) == nil && arr != nil {
			f.array = arr
		}
		var compact bytes.Buffer
		if json.Compact(&compact, v) == nil {
			f.text = compact.String()
		} else {
			f.text = string(v)
		}
		out[k] = f
	}
	return out, true
}

func sortedKeys(m map[string]field) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
