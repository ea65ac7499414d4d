package oauth2client

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"mime"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
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

// Bearer says whether the token is a bearer token (RFC 6750): token_type
// "bearer" in any letter case, or none at all.
func (t *Token) Bearer() bool {
	return t.TokenType == "" || strings.EqualFold(t.TokenType, "bearer")
}

// AuthorizationHeader is the value of an Authorization header that presents
// this bearer token: "Bearer <token>" (RFC 6750 section 2.1; servers spell
// the type in any case). It is "" for any other type: RFC 6749 section 7.1
// forbids using a token whose type the client does not understand, and
// tokens such as DPoP's need more than a header.
func (t *Token) AuthorizationHeader() string {
	if !t.Bearer() {
		return ""
	}
	return "Bearer " + t.AccessToken
}

type parseError struct {
	problem Problem
	// field and detail, for ProblemBadField: the member at fault and what
	// is wrong with it, without its value.
	field, detail string
	fields        []string
	snippet       string
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
	if e, ok := fields["error"]; ok && e.isString && e.text != "" {
		return nil, &parseError{code: e.text, description: fields["error_description"].text, uri: fields["error_uri"].text}
	}
	if name, bad := badUTF8(fields, body); bad {
		return nil, &parseError{problem: ProblemBadField, field: name,
			detail: name + " holds text that is not valid UTF-8"}
	}
	t := &Token{Extra: map[string]string{}}
	for name, f := range fields {
		switch name {
		case "access_token":
			if !f.isString && f.jsonType() != "null" {
				return nil, &parseError{problem: ProblemBadField, field: name,
					detail: "access_token is a JSON " + f.jsonType() + ", not a string"}
			}
			t.AccessToken = f.text
		case "token_type":
			t.TokenType = f.text
		case "expires_in":
			if f.jsonType() == "null" {
				continue
			}
			n, problem := f.seconds()
			if problem != "" {
				return nil, &parseError{problem: ProblemBadField, field: name, detail: "expires_in " + problem}
			}
			t.ExpiresIn = &n
			at := arrived.Add(time.Duration(n) * time.Second).UTC()
			t.ExpiresAt = &at
		case "scope":
			if f.jsonType() == "null" {
				continue
			}
			s, ok := f.scope()
			if !ok {
				return nil, &parseError{problem: ProblemBadField, field: name,
					detail: "scope is a JSON " + f.jsonType() + ", neither a string nor an array of strings"}
			}
			t.Scope = &s
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

// badUTF8 names a member whose name or text is not valid UTF-8, the first
// in order.
func badUTF8(fields map[string]field, body []byte) (string, bool) {
	var bad []string
	for name, f := range fields {
		if f.invalidUTF8 || !utf8.ValidString(name) {
			if name == "" {
				name = "a member with an empty name"
			}
			bad = append(bad, strings.ToValidUTF8(name, "?"))
		}
	}
	if len(bad) == 0 {
		if !utf8.Valid(body) {
			// Only a member's name can hold it then.
			return "a member name", true
		}
		return "", false
	}
	sort.Strings(bad)
	return bad[0], true
}

// field is one top-level member of a response: text is the string value, or
// the compact JSON encoding of anything else.
type field struct {
	text     string
	isString bool
	array    []string // set when the value is a JSON array of strings
	// invalidUTF8 is set when the value as sent is not valid UTF-8 (or
	// escapes a lone surrogate), which decoding would have replaced
	// silently.
	invalidUTF8 bool
	// null is set for a JSON null, which is no string (text is "").
	null bool
}

// jsonType names the JSON type of the value, for errors that must not show
// the value itself.
func (f field) jsonType() string {
	if f.isString {
		return "string"
	}
	if f.null {
		return "null"
	}
	switch t := strings.TrimSpace(f.text); {
	case t == "null":
		return "null"
	case t == "true" || t == "false":
		return "boolean"
	case strings.HasPrefix(t, "{"):
		return "object"
	case strings.HasPrefix(t, "["):
		return "array"
	}
	return "number"
}

// maxSeconds is the longest lifetime a time.Duration can hold, about 292
// years; servers that mean "never expires" send values beyond it.
const maxSeconds = math.MaxInt64 / int64(time.Second)

// seconds reads a lifetime: a non-negative JSON number or numeric string.
// problem, when not "", says what is wrong with it, without its value
// unless it is a number.
func (f field) seconds() (n int64, problem string) {
	if !f.isString && f.jsonType() != "number" {
		return 0, "is a JSON " + f.jsonType() + ", not a number of seconds"
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(f.text), 64)
	switch {
	case err != nil && !errors.Is(err, strconv.ErrRange):
		return 0, "is a string that is not a number of seconds"
	case math.IsNaN(v):
		return 0, "is NaN, not a number of seconds"
	case math.IsInf(v, 0) || errors.Is(err, strconv.ErrRange) && v > 0:
		if v < 0 {
			return 0, "is negative"
		}
		return 0, "is infinite"
	case v < 0:
		return 0, fmt.Sprintf("is negative (%s)", strings.TrimSpace(f.text))
	case v >= float64(maxSeconds):
		return maxSeconds, ""
	}
	return int64(v), ""
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
			out[k] = field{text: vs[0], isString: true, invalidUTF8: !utf8.ValidString(vs[0])}
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
		if bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			// json.Unmarshal would read it as the empty string.
			out[k] = field{null: true}
			continue
		}
		var s string
		if json.Unmarshal(v, &s) == nil {
			out[k] = field{text: s, isString: true, invalidUTF8: replacedUTF8(v, s)}
			continue
		}
		f := field{invalidUTF8: !utf8.Valid(v)}
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

// replacedUTF8 says whether decoding raw into s replaced something with
// U+FFFD: invalid UTF-8, or an escaped lone surrogate.
func replacedUTF8(raw []byte, s string) bool {
	if !utf8.Valid(raw) {
		return true
	}
	if !strings.ContainsRune(s, utf8.RuneError) {
		return false
	}
	lower := bytes.ToLower(raw)
	return !bytes.Contains(lower, []byte(`\ufffd`)) && !bytes.ContainsRune(raw, utf8.RuneError)
}

func sortedKeys(m map[string]field) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
