package oauth2client

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/oauth2"
)

// The fuzz targets' seed corpora are the dialects of the servers the
// provider serves first (Relatics on Keycloak, Reltio, d.vinci) and the
// shapes a token endpoint answers in when it fails. The corpora under
// testdata/fuzz run with every `go test`; `make fuzz` explores beyond them.

// fuzzArrived is when the fuzzed responses arrive: not UTC and with
// nanoseconds, so ExpiresAt's conversion and arithmetic are both visible.
var fuzzArrived = time.Date(2024, 1, 5, 15, 19, 55, 123456789, time.FixedZone("CET", 3600))

// parseTokenSeeds are response bodies as the seed dialects send them.
var parseTokenSeeds = []struct{ body, contentType string }{
	// Relatics: Keycloak's client credentials response.
	{`{
    "access_token": "eyJhbGciOiJSUzI1NiIsInR5cCIgOiAiSldUIn0.eyJleHAiOjE3MDQ0NjUzOTUsInNjb3BlIjoiRGF0YUV4Y2hhbmdlIn0.WYFNGUXKgPcO_Yhzx7l389mu",
    "expires_in": 600,
    "not-before-policy": 1696859419,
    "refresh_expires_in": 0,
    "scope": "DataExchange",
    "token_type": "Bearer"
}`, "application/json"},
	// Reltio: expires_in as a string, scope as an array, a refresh token and
	// the user's entity.
	{`{"access_token":"b7d8c3a1-5f2e-4c6b-9a0d-1e2f3a4b5c6d","token_type":"bearer","refresh_token":"0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0","expires_in":"1799","scope":["read","write"],"entityURI":"entities/0000Ezx"}`, "application/json;charset=UTF-8"},
	// d.vinci: plain client credentials.
	{`{"access_token":"dv-2f6c1b9e8a7d","token_type":"Bearer","expires_in":3600}`, "application/json"},
	// A long-lived token, as servers send "never expires": the largest
	// signed 32-bit number.
	{`{"access_token":"svc-1","token_type":"Bearer","expires_in":2147483647}`, "application/json"},
	// Token exchange and OpenID Connect members.
	{`{"access_token":"at","issued_token_type":"urn:ietf:params:oauth:token-type:access_token","token_type":"N_A","expires_in":59.9,"id_token":"h.p.s","refresh_token":null}`, "application/json"},
	// Form-encoded, as GitHub and Facebook answer, and its text/plain twin.
	{"access_token=abc123&token_type=bearer&expires_in=60&scope=a+b&foo=bar", "application/x-www-form-urlencoded"},
	{"access_token=abc123&expires_in=90", "text/plain; charset=utf-8"},
	// JSON labelled text/plain, a token and an error.
	{`{"access_token":"tok-in-text-plain","token_type":"Bearer","expires_in":120}`, "text/plain"},
	{`{"error":"access_denied","error_description":"client disabled"}`, "text/plain"},
	// Error responses: JSON, form, HTML.
	{`{"error":"invalid_client","error_description":"Invalid client or Invalid client credentials"}`, "application/json"},
	{`{"error":"invalid_grant","error_description":"Bad credentials","error_uri":"https://docs.reltio.com/errors"}`, "application/json"},
	{"error=invalid_scope&error_description=scope+nope", "application/x-www-form-urlencoded"},
	{"<!DOCTYPE html>\n<html>\n  <head><title>Sign in</title></head>\n  <body>\tPlease sign in</body>\n</html>", "text/html; charset=utf-8"},
	// A success without a token, and nothing at all.
	{`{"token":"abc-value-secret","expires_in":3600,"nested":{"a":[1,2]}}`, "application/json"},
	{"", "application/json"},
}

// FuzzParseToken checks parseToken on any body and content type: it never
// panics, a token it returns is consistent, and an error names the
// response's members but never repeats their values.
func FuzzParseToken(f *testing.F) {
	for _, s := range parseTokenSeeds {
		f.Add(s.body, s.contentType)
	}
	f.Fuzz(func(t *testing.T, body, contentType string) {
		tok, err := parseToken([]byte(body), contentType, fuzzArrived)
		members, isJSON := topLevelMembers(body, contentType)
		if err != nil {
			if tok != nil {
				t.Fatalf("both a token and an error: %v", err)
			}
			var perr *parseError
			if !errors.As(err, &perr) {
				t.Fatalf("error %T is not a *parseError: %v", err, err)
			}
			checkParseError(t, perr, members, isJSON)
			return
		}
		if tok == nil {
			t.Fatal("neither a token nor an error")
		}
		checkToken(t, tok, members, isJSON)
	})
}

// topLevelMembers reads the body's top-level members as parseToken should:
// a JSON object whatever the content type says, otherwise a form when the
// content type is form-encoded or text/plain. It returns nil when the body
// is neither.
func topLevelMembers(body, contentType string) (members map[string]json.RawMessage, isJSON bool) {
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	if dec.Decode(&members) == nil && members != nil {
		return members, true
	}
	media, _, _ := mime.ParseMediaType(contentType)
	if media != "application/x-www-form-urlencoded" && media != "text/plain" {
		return nil, false
	}
	if strings.HasPrefix(strings.TrimSpace(body), "{") {
		// Broken JSON is not read as a form.
		return nil, false
	}
	vals, err := url.ParseQuery(body)
	if err != nil {
		return nil, false
	}
	members = make(map[string]json.RawMessage, len(vals))
	for k, vs := range vals {
		enc, _ := json.Marshal(vs[0])
		members[k] = enc
	}
	return members, false
}

// standardMembers are the members Token has a field for.
var standardMembers = []string{"access_token", "token_type", "expires_in", "scope", "refresh_token", "id_token", "issued_token_type"}

func checkToken(t *testing.T, tok *Token, members map[string]json.RawMessage, isJSON bool) {
	t.Helper()
	if members == nil {
		t.Fatalf("a token from a body that is neither a JSON object nor a form: %+v", tok)
	}
	if tok.AccessToken == "" {
		t.Error("token with an empty access_token")
	}
	if _, ok := members["access_token"]; !ok {
		t.Error("token from a response without access_token")
	}

	switch {
	case tok.ExpiresIn == nil && tok.ExpiresAt != nil:
		t.Errorf("ExpiresAt %v without ExpiresIn", *tok.ExpiresAt)
	case tok.ExpiresIn != nil && tok.ExpiresAt == nil:
		t.Errorf("ExpiresIn %d without ExpiresAt", *tok.ExpiresIn)
	case tok.ExpiresIn != nil:
		n, at := *tok.ExpiresIn, *tok.ExpiresAt
		if n < 0 {
			t.Errorf("negative ExpiresIn %d from expires_in %s", n, members["expires_in"])
		}
		if at.Location() != time.UTC {
			t.Errorf("ExpiresAt %v is not in UTC", at)
		}
		// Exact arithmetic on seconds, which time.Duration would overflow.
		arrived := fuzzArrived.Unix()
		if n > math.MaxInt64-arrived || at.Unix() != arrived+n || at.Nanosecond() != fuzzArrived.Nanosecond() {
			t.Errorf("ExpiresAt %v is not %v plus ExpiresIn %d seconds (expires_in %s)", at, fuzzArrived, n, members["expires_in"])
		}
	}

	raw, hasScope := members["scope"]
	var arr []string
	if hasScope && isJSON && bytes.HasPrefix(bytes.TrimSpace(raw), []byte("[")) && json.Unmarshal(raw, &arr) == nil {
		want := strings.Join(arr, " ")
		if tok.Scope == nil || *tok.Scope != want {
			t.Errorf("scope %s read as %v, want %q", raw, tok.Scope, want)
		}
	}

	for _, name := range standardMembers {
		if v, ok := tok.Extra[name]; ok {
			t.Errorf("standard member %s is also in Extra (%q)", name, v)
		}
	}
	for name := range tok.Extra {
		if _, ok := members[name]; !ok {
			t.Errorf("Extra holds %q, which the response does not have", name)
		}
	}
}

func checkParseError(t *testing.T, perr *parseError, members map[string]json.RawMessage, isJSON bool) {
	t.Helper()
	if perr.problem == ProblemNotAToken {
		checkSnippet(t, perr.snippet)
		return
	}
	if members == nil {
		t.Fatalf("problem %q from a body that is neither a JSON object nor a form", perr.problem)
	}
	if _, ok := members["error"]; ok {
		if perr.problem != "" || perr.fields != nil {
			t.Errorf("an error response read as problem %q, fields %q", perr.problem, perr.fields)
		}
		return
	}
	if perr.problem == ProblemBadField {
		checkBadField(t, perr, members)
		return
	}
	if perr.problem != ProblemNoAccessToken {
		t.Fatalf("problem %q from a response with members", perr.problem)
	}
	if perr.code != "" || perr.description != "" || perr.uri != "" {
		t.Errorf("error response fields %q, %q, %q without an error member", perr.code, perr.description, perr.uri)
	}
	keys := make([]string, 0, len(members))
	for k := range members {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if !slices.Equal(perr.fields, keys) {
		t.Errorf("fields %q, want the response's members %q", perr.fields, keys)
	}
	if !isJSON {
		return
	}
	// No value reaches the error's text, unless a member's name (or the
	// message itself) happens to contain it.
	text := perr.Error() + "\n" + strings.Join(perr.fields, ", ")
	names := perr.Error() + "\n" + strings.Join(keys, ", ")
	for name, raw := range members {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			s = string(raw)
		}
		if s != "" && strings.Contains(text, s) && !strings.Contains(names, s) {
			t.Errorf("the value of %s (%q) is in the error text %q", name, s, text)
		}
	}
}

// checkBadField checks a refused member: it is named, and the detail says
// what is wrong without repeating a string value (a token, as likely as
// not). A value can appear only where it is part of a member's name.
func checkBadField(t *testing.T, perr *parseError, members map[string]json.RawMessage) {
	t.Helper()
	if _, named := members[perr.field]; (perr.field == "" && !named) || perr.detail == "" || perr.fields != nil || perr.code != "" {
		t.Errorf("bad field %q, detail %q, fields %q, code %q", perr.field, perr.detail, perr.fields, perr.code)
	}
	var names []string
	for name := range members {
		names = append(names, name)
	}
	all := strings.Join(names, "\n")
	for name, raw := range members {
		var v string
		if json.Unmarshal(raw, &v) != nil {
			continue
		}
		// Long and without spaces, it cannot be one of the detail's words.
		if len(v) >= 12 && !strings.ContainsAny(v, " \t\n") && strings.Contains(perr.detail, v) && !strings.Contains(all, v) {
			t.Errorf("the value of %s (%q) is in the detail %q", name, v, perr.detail)
		}
	}
}

// checkSnippet checks what snippet promises: at most snippetLen printable
// characters, white space collapsed to single spaces and trimmed.
func checkSnippet(t *testing.T, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Errorf("snippet %q is not valid UTF-8", s)
	}
	if n := utf8.RuneCountInString(s); n > snippetLen {
		t.Errorf("snippet has %d characters, more than %d: %q", n, snippetLen, s)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) || (unicode.IsSpace(r) && r != ' ') {
			t.Errorf("snippet has the unprintable %U: %q", r, s)
			break
		}
	}
	if strings.HasPrefix(s, " ") || strings.HasSuffix(s, " ") || strings.Contains(s, "  ") {
		t.Errorf("snippet's white space is not collapsed and trimmed: %q", s)
	}
}

const (
	fuzzClientID = "c005aef4-88d4-42d5-937e-290e4bb19661"
	fuzzTokenURL = "https://auth.reltio.com/oauth/token"
)

// What the byte kind selects: the response's content type and status.
var (
	fuzzContentTypes = []string{"application/json", "application/x-www-form-urlencoded", "text/plain; charset=utf-8", "text/html; charset=utf-8", ""}
	fuzzStatuses     = []int{400, 401, 200, 302, 503}
)

// FuzzErrorText checks the error a user sees when a token request fails,
// built the way Fetch builds it (explain) from fuzzed server text and fuzzed
// secrets: no secret survives in it in any form the redactor knows, however
// the server text and the secrets overlap, and snippets stay short and
// printable.
func FuzzErrorText(f *testing.F) {
	for _, s := range errorTextSeeds {
		f.Add(s.code, s.description, s.uri, s.body, s.location, s.clientSecret, s.password, s.kind)
	}
	f.Fuzz(func(t *testing.T, code, description, uri, body, location, clientSecret, password string, kind uint8) {
		checkSnippet(t, snippet([]byte(body)))

		secrets := []string{clientSecret, password, basicCredentials(fuzzClientID, clientSecret)}
		red := newRedactor(secrets)
		forms := secretForms(secrets, minSecretLen)

		// The redactor alone: every byte of every occurrence of every form
		// it knows is gone, even where occurrences overlap.
		known := secretForms(secrets, 0)
		for _, s := range []string{code, description, uri, body, location} {
			got, want := pieces(red.String(s)), unredactedPieces(s, known)
			if !slices.Equal(got, want) {
				t.Errorf("redacting %q with forms %q left %q, want %q", s, known, got, want)
			}
		}

		for _, e := range explained(code, description, uri, body, location, clientSecret, password, kind) {
			// The values explain puts through the redactor.
			for _, v := range []string{e.Code, e.Description, e.URI, e.Body, e.Cause} {
				for _, p := range pieces(v) {
					for _, form := range forms {
						if strings.Contains(p, form) {
							t.Errorf("secret form %q survives in %q", form, v)
						}
					}
				}
			}
			// Error() as a whole. A form can appear there without leaking:
			// when it is part of the text around the values (a label, the
			// redaction marker) or straddles a value's edge, which
			// takes a space, a newline or a bracket of the marker.
			text, around := e.Error(), scaffold(e)
			for _, form := range forms {
				if strings.Contains(text, form) && !strings.ContainsAny(form, " \n[]") &&
					!strings.Contains(around, form) && !strings.Contains(redacted, form) {
					t.Errorf("secret form %q survives in the error text:\n%s", form, text)
				}
			}
		}
	})
}

// explained builds the errors Fetch would return for a response carrying
// this server text: an error response x/oauth2 read (RetrieveError), a 2xx
// response parseToken refused, and a failure to get any response.
func explained(code, description, uri, body, location, clientSecret, password string, kind uint8) []*Error {
	ct := fuzzContentTypes[int(kind)%len(fuzzContentTypes)]
	status := fuzzStatuses[int(kind)/len(fuzzContentTypes)%len(fuzzStatuses)]
	grant := GrantClientCredentials
	if password != "" {
		grant = GrantPassword
	}
	failure := func(status int) *Error {
		e := &Error{
			Kind:       KindToken,
			Grant:      grant,
			URL:        fuzzTokenURL,
			ClientAuth: AuthClientSecretBasic,
			StatusCode: status,
			redact:     newRedactor([]string{clientSecret, password, basicCredentials(fuzzClientID, clientSecret)}),
		}
		if status != 0 {
			e.Status = strconv.Itoa(status) + " " + http.StatusText(status)
		}
		return e
	}
	w := &recorder{
		status:      status,
		statusText:  strconv.Itoa(status) + " " + http.StatusText(status),
		contentType: ct,
		location:    location,
		body:        []byte(body),
	}

	out := []*Error{failure(status).explain(&oauth2.RetrieveError{
		Response:         &http.Response{StatusCode: status, Status: w.statusText},
		Body:             []byte(body),
		ErrorCode:        code,
		ErrorDescription: description,
		ErrorURI:         uri,
	}, w)}
	if _, err := parseToken([]byte(body), ct, fuzzArrived); err != nil {
		out = append(out, failure(status).explain(err, w))
	}
	// No response: url.Error repeats the request URL, which explain drops.
	none := &recorder{}
	out = append(out, failure(0).explain(&url.Error{Op: "Post", URL: location, Err: errors.New(description)}, none))
	return out
}

// secretForms lists the forms of each secret at least minLen bytes long that
// the redactor knows: as sent, form-encoded, path-escaped, base64, and
// escaped for HTML and JSON text.
func secretForms(secrets []string, minLen int) []string {
	var forms []string
	for _, s := range secrets {
		if s == "" || len(s) < minLen {
			continue
		}
		all := append([]string{s, url.QueryEscape(s), url.PathEscape(s), base64.StdEncoding.EncodeToString([]byte(s))}, escapings(s)...)
		for _, form := range all {
			if len(form) >= minSecretLen && !slices.Contains(forms, form) {
				forms = append(forms, form)
			}
		}
	}
	return forms
}

// pieces splits redacted text at the redaction markers, dropping empty
// pieces: what is left of the server's text.
func pieces(s string) []string {
	var out []string
	for _, p := range strings.Split(s, redacted) {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// unredactedPieces is what pieces should return for s once every
// occurrence of every form, overlapping ones included, is redacted.
func unredactedPieces(s string, forms []string) []string {
	covered := make([]bool, len(s))
	for _, form := range forms {
		for i := 0; i+len(form) <= len(s); i++ {
			if strings.HasPrefix(s[i:], form) {
				for j := i; j < i+len(form); j++ {
					covered[j] = true
				}
			}
		}
	}
	var out []string
	for i := 0; i < len(s); {
		if covered[i] {
			i++
			continue
		}
		j := i
		for j < len(s) && !covered[j] {
			j++
		}
		out = append(out, pieces(s[i:j])...)
		i = j
	}
	return out
}

// scaffold renders e with every value that came from the server replaced by
// a placeholder (empty stays empty): the labels and request details around
// the server's text.
func scaffold(e *Error) string {
	c := *e
	hole := func(s string) string {
		if s == "" {
			return ""
		}
		return "\x00"
	}
	c.Code = hole(c.Code)
	c.Description, c.URI, c.Body, c.Location, c.Cause = hole(c.Description), hole(c.URI), hole(c.Body), hole(c.Location), hole(c.Cause)
	if len(c.Fields) > 0 {
		c.Fields = []string{"\x00"}
	}
	return c.Error()
}

// errorTextSeeds are failures as the seed dialects answer them, with
// secrets shaped like theirs.
var errorTextSeeds = []struct {
	code, description, uri, body, location, clientSecret, password string
	kind                                                           uint8
}{
	// Relatics (Keycloak): a wrong client secret, sent in a Basic header.
	{
		"unauthorized_client", "Invalid client or Invalid client credentials", "",
		`{"error":"unauthorized_client","error_description":"Invalid client or Invalid client credentials"}`, "",
		"c5229a8e-0dff-4270-80a6-a5a47267e7f7-ec85c647-d089-4fda-87d3-89866ac5fefe-80090b3f-cc2c-4c01-8e34-c3c83c145368", "", 5,
	},
	// Reltio: a refused password, the grant parameters in the query.
	{
		"invalid_grant", "Bad credentials", "https://docs.reltio.com/",
		`{"error":"invalid_grant","error_description":"Bad credentials"}`, "",
		"cmVsdGlvX3VpOm1ha2l0YQ==", hardPassword, 0,
	},
	// d.vinci: a gateway's HTML page for a secret sent in the wrong place.
	{
		"", "", "", "<html>\n  <body>\n    <h1>401 Unauthorized</h1>\n  </body>\n</html>", "",
		"Zm9vYmFyYmF6cXV4", "", 8,
	},
	// A server echoing the secret, in each encoding.
	{
		"invalid_client", "bad secret " + hardSecret, "https://docs.example/errors?secret=" + url.QueryEscape(hardSecret),
		`{"error":"invalid_client","error_description":"bad secret ` + hardSecret + `"}`, "",
		hardSecret, "", 0,
	},
	{
		"invalid_request", "Authorization: Basic " + basicCredentials(fuzzClientID, hardSecret), "/" + url.PathEscape(hardSecret),
		"client_secret=" + url.QueryEscape(hardSecret) + "&error=invalid_request", "",
		hardSecret, "", 1,
	},
	// Reltio's password in the query, repeated by a redirect.
	{
		"", "", "", "", "https://auth.reltio.com/oauth/token/?grant_type=password&username=u&password=" + url.QueryEscape(hardPassword),
		"cmVsdGlvX3VpOm1ha2l0YQ==", hardPassword, 15,
	},
	// Form and text/plain errors, and a redirect to a login page.
	{"invalid_scope", "scope nope", "", "error=invalid_scope&error_description=scope+nope", "", "pw1", "", 1},
	{"", "", "", "", "https://login.example/sign-in?next=%2Foauth%2Ftoken", "secret", "", 15},
	// A text/plain body echoing the secret: read as a form, it is one
	// member named by the secret.
	{"", "", "", "Internal Server Error: could not verify pw1-secret", "", "pw1-secret", "", 12},
	// A 2xx response that is not a token: members only, or a page.
	{"", "", "", `{"token":"abc-value-secret","expires_in":3600}`, "", "abc-value-secret", "", 10},
	{"", "", "", "<!DOCTYPE html><title>Sign in</title>" + strings.Repeat("x", 400), "", "xxx", "", 13},
	// A secret repeated and overlapping itself and another.
	{"", "xabcabc", "", "abcabcab", "", "abc", "cabca", 0},
	// A secret echoed escaped, in an HTML page and in JSON text.
	{
		"invalid_client", `bad secret s3<cr>&t"/'x`, "",
		`<html><p>bad secret s3&lt;cr&gt;&amp;t&#34;/&#39;x</p><p>s3&lt;cr&gt;&amp;t&quot;/&apos;x</p></html>`, "",
		`s3<cr>&t"/'x`, "", 3,
	},
	{
		"invalid_request", `secret s3\u003ccr\u003e\u0026t\"\/'x`, "",
		`{"error":"invalid_request","error_description":"secret s3\u003ccr\u003e\u0026t\"\/'x"}`, "",
		`s3<cr>&t"/'x`, "", 0,
	},
}
