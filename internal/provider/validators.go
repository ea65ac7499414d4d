package provider

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"golang.org/x/net/http/httpguts"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/oauth2client"
)

// urlValidator accepts absolute http and https URLs.
type urlValidator struct{}

func (urlValidator) Description(context.Context) string {
	return "must be an absolute http:// or https:// URL"
}

func (v urlValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (urlValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if problem := oauth2client.CheckTokenURL(req.ConfigValue.ValueString()); problem != "" {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid URL",
			fmt.Sprintf("%s is not a usable endpoint URL. %s", req.Path, problem))
	}
}

// issuerURLValidator accepts issuer identifiers (RFC 8414 section 2).
type issuerURLValidator struct{}

func (issuerURLValidator) Description(context.Context) string {
	return "must be an issuer identifier: an absolute https:// URL without query or fragment"
}

func (v issuerURLValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (issuerURLValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if problem := oauth2client.CheckIssuerURL(req.ConfigValue.ValueString()); problem != "" {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid URL",
			fmt.Sprintf("%s is not a usable issuer identifier. %s", req.Path, problem))
	}
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

// proxyURLValidator accepts absolute http, https and socks5 URLs.
type proxyURLValidator struct{}

func (proxyURLValidator) Description(context.Context) string {
	return "must be an http://, https:// or socks5:// URL"
}

func (v proxyURLValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (proxyURLValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	u, err := url.Parse(req.ConfigValue.ValueString())
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "socks5") {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Proxy URL",
			fmt.Sprintf("%s must be an absolute URL such as http://proxy.example.com:3128 (schemes http, https "+
				"or socks5).", req.Path))
	}
}

// durationValidator accepts Go duration strings greater than zero.
type durationValidator struct{}

func (durationValidator) Description(context.Context) string {
	return "must be a duration such as 30s or 1m30s"
}

func (v durationValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (durationValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	d, err := time.ParseDuration(req.ConfigValue.ValueString())
	if err != nil || d <= 0 {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Duration",
			fmt.Sprintf("%s is %q; write a positive duration with a unit, such as \"30s\" or \"1m30s\".",
				req.Path, req.ConfigValue.ValueString()))
	}
}

// reservedParamValidator refuses extra_params keys the provider sets itself.
type reservedParamValidator struct{}

func (reservedParamValidator) Description(context.Context) string {
	return "must not be a parameter the provider sets from its own attributes"
}

func (v reservedParamValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (reservedParamValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	key := req.ConfigValue.ValueString()
	if oauth2client.ReservedParam(key) {
		resp.Diagnostics.AddAttributeError(req.Path, "Parameter Set by the Provider",
			fmt.Sprintf("extra_params cannot set %q: the provider sends it from its own attributes (%s). "+
				"Use the attribute instead; to send a vendor grant type, set grant_type.", key, attributeFor(key)))
	}
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

// headerNameValidator refuses headers the provider computes itself.
type headerNameValidator struct{}

func (headerNameValidator) Description(context.Context) string {
	return "must not be a header the provider computes"
}

func (v headerNameValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (headerNameValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	// client_auth is not known here; the Authorization rule is checked
	// where it is (providerConfig.validate and mergeRequest).
	name := req.ConfigValue.ValueString()
	if !httpguts.ValidHeaderFieldName(name) {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Header Name",
			fmt.Sprintf("headers has a key, %q, that HTTP does not allow as a header name: a name is one word of "+
				"letters, digits and !#$%%&'*+-.^_`|~, with no spaces, such as X-Api-Key.", name))
		return
	}
	if problem := checkHeader(name, oauth2client.AuthNone); problem != "" {
		resp.Diagnostics.AddAttributeError(req.Path, "Header Not Allowed", problem)
	}
}

// headerValueValidator refuses header values HTTP does not allow (line
// breaks, control characters), without showing the value: headers are
// sensitive.
type headerValueValidator struct{}

func (headerValueValidator) Description(context.Context) string {
	return "must be a value HTTP allows in a header"
}

func (v headerValueValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (headerValueValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if !httpguts.ValidHeaderFieldValue(req.ConfigValue.ValueString()) {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Header Value",
			fmt.Sprintf("The value of headers at %s holds a character HTTP does not allow in a header, such as a "+
				"line break (CR or LF) or another control character. Remove it; trimspace() removes a final "+
				"newline read from a file.", req.Path))
	}
}

var (
	extraParamsValidators = []validator.Map{mapvalidator.KeysAre(reservedParamValidator{})}
	headersValidators     = []validator.Map{mapvalidator.KeysAre(headerNameValidator{}), mapvalidator.ValueStringsAre(headerValueValidator{})}
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
