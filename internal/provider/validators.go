package provider

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"golang.org/x/net/http/httpguts"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/oauth2client"
)

// stringCheck is a string validator: check returns the summary and detail
// of what is wrong with a known value, or "" for both when it is fine.
// Every string validator of the provider is one of these values.
type stringCheck struct {
	description string
	check       func(at path.Path, value string) (summary, detail string)
}

func (c stringCheck) Description(context.Context) string { return c.description }

func (c stringCheck) MarkdownDescription(ctx context.Context) string { return c.Description(ctx) }

func (c stringCheck) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if summary, detail := c.check(req.Path, req.ConfigValue.ValueString()); summary != "" {
		resp.Diagnostics.AddAttributeError(req.Path, summary, detail)
	}
}

var (
	// urlValidator accepts absolute http and https URLs.
	urlValidator = stringCheck{"must be an absolute http:// or https:// URL", func(at path.Path, v string) (string, string) {
		if problem := oauth2client.CheckTokenURL(v); problem != "" {
			return "Invalid URL", fmt.Sprintf("%s is not a usable endpoint URL. %s", at, problem)
		}
		return "", ""
	}}

	// issuerURLValidator accepts issuer identifiers (RFC 8414 section 2).
	issuerURLValidator = stringCheck{"must be an issuer identifier: an absolute https:// URL without query or fragment",
		func(at path.Path, v string) (string, string) {
			if problem := oauth2client.CheckIssuerURL(v); problem != "" {
				return "Invalid URL", fmt.Sprintf("%s is not a usable issuer identifier. %s", at, problem)
			}
			return "", ""
		}}

	// proxyURLValidator accepts absolute http, https and socks5 URLs.
	proxyURLValidator = stringCheck{"must be an http://, https:// or socks5:// URL", func(at path.Path, v string) (string, string) {
		u, err := url.Parse(v)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "socks5") {
			return "Invalid Proxy URL", fmt.Sprintf("%s must be an absolute URL such as http://proxy.example.com:3128 "+
				"(schemes http, https or socks5).", at)
		}
		return "", ""
	}}

	// durationValidator accepts Go duration strings greater than zero.
	durationValidator = stringCheck{"must be a duration such as 30s or 1m30s", func(at path.Path, v string) (string, string) {
		if _, detail := parseDuration(at, v); detail != "" {
			return "Invalid Duration", detail
		}
		return "", ""
	}}

	// reservedParamValidator refuses extra_params keys the provider sets
	// itself.
	reservedParamValidator = stringCheck{"must not be a parameter the provider sets from its own attributes",
		func(_ path.Path, key string) (string, string) {
			if oauth2client.ReservedParam(key) {
				return "Parameter Set by the Provider", fmt.Sprintf("extra_params cannot set %q: the provider sends "+
					"it from its own attributes (%s). Use the attribute instead; to send a vendor grant type, set "+
					"grant_type.", key, attributeFor(key))
			}
			return "", ""
		}}

	// headerNameValidator refuses names HTTP forbids and headers the
	// provider computes itself. client_auth is not known here; the
	// Authorization rule is checked where it is (providerConfig.validate
	// and mergeRequest).
	headerNameValidator = stringCheck{"must be a header name HTTP allows, and not one the provider computes",
		func(_ path.Path, name string) (string, string) {
			if !httpguts.ValidHeaderFieldName(name) {
				return "Invalid Header Name", fmt.Sprintf("headers has a key, %q, that HTTP does not allow as a header "+
					"name: a name is one word of letters, digits and !#$%%&'*+-.^_`|~, with no spaces, such as "+
					"X-Api-Key.", name)
			}
			if problem := checkHeader(name, oauth2client.AuthNone); problem != "" {
				return "Header Not Allowed", problem
			}
			return "", ""
		}}

	// headerValueValidator refuses values HTTP does not allow (line
	// breaks, control characters), without showing the value: headers are
	// sensitive.
	headerValueValidator = stringCheck{"must be a value HTTP allows in a header", func(at path.Path, v string) (string, string) {
		if !httpguts.ValidHeaderFieldValue(v) {
			return "Invalid Header Value", fmt.Sprintf("The value of headers at %s holds a character HTTP does not "+
				"allow in a header, such as a line break (CR or LF) or another control character. Remove it; "+
				"trimspace() removes a final newline read from a file.", at)
		}
		return "", ""
	}}
)

// parseDuration reads a positive Go duration; detail says what is wrong
// with it, naming the attribute at, or is "".
func parseDuration(at path.Path, raw string) (d time.Duration, detail string) {
	d, err := time.ParseDuration(raw)
	if err != nil || d <= 0 {
		return 0, fmt.Sprintf("%s is %q; write a positive duration with a unit, such as \"30s\" or \"1m30s\".", at, raw)
	}
	return d, ""
}

// sentence makes an error text a diagnostic sentence: capitalised, with a
// final full stop.
func sentence(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	r[0] = unicode.ToUpper(r[0])
	s = string(r)
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// attributeFor names the attribute that sends a reserved parameter.
func attributeFor(param string) string {
	switch param {
	case "scope":
		return "scopes"
	case "username", "password":
		return "password_grant"
	case "refresh_token":
		return "refresh_token_grant"
	case "client_assertion", "client_assertion_type":
		return "client_auth"
	}
	return param
}

var (
	extraParamsValidators = []validator.Map{mapvalidator.KeysAre(reservedParamValidator)}
	headersValidators     = []validator.Map{mapvalidator.KeysAre(headerNameValidator), mapvalidator.ValueStringsAre(headerValueValidator)}
)

// valuesList renders accepted values for a description: `a`, `b` or `c`.
func valuesList(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = "`" + v + "`"
	}
	if len(quoted) < 2 {
		return strings.Join(quoted, "")
	}
	return strings.Join(quoted[:len(quoted)-1], ", ") + " or " + quoted[len(quoted)-1]
}

// codeList renders names for a description: `a`, `b`, `c`.
func codeList(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = "`" + v + "`"
	}
	return strings.Join(quoted, ", ")
}

func quoteAll(values []string) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = fmt.Sprintf("%q", v)
	}
	return out
}
