package oauth2client

import (
	"encoding/base64"
	"encoding/json"
	"html"
	"net/url"
	"strings"
	"unicode"
)

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
	// secrets are the values it was built from.
	secrets []string
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
		// A server's error page or JSON body may echo a value escaped.
		for _, e := range escapings(s) {
			add(e)
		}
	}
	return &redactor{forms: forms, secrets: secrets}
}

// escapings are the forms of s in HTML and JSON text: HTML-escaped with
// named or numeric entities, and JSON-escaped with or without escaping
// <, > and & as \u003c..., and with / as \/ (as PHP writes it).
func escapings(s string) []string {
	h := html.EscapeString(s)
	out := []string{h, strings.NewReplacer("&#34;", "&quot;", "&#39;", "&apos;").Replace(h),
		strings.NewReplacer("&#34;", "&quot;", "&#39;", "&#x27;").Replace(h)}
	for _, escapeHTML := range []bool{true, false} {
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(escapeHTML)
		if enc.Encode(s) != nil {
			continue
		}
		j := strings.TrimSuffix(strings.TrimSpace(b.String()), "\"")
		j = strings.TrimPrefix(j, "\"")
		out = append(out, j, strings.ReplaceAll(j, "/", "\\/"))
	}
	return out
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
