package provider

import (
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	dsschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	ephschema "github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/oauth2client"
)

// The data source and the ephemeral resource oauth2_token share one schema,
// declared once here as a table and rendered into each kind's schema types,
// so an attribute cannot drift between the two.

// Descriptions shared with the provider block.
const (
	descScopes   = "Scopes to request (RFC 6749 section 3.3), sent as one space-delimited `scope` parameter."
	descAudience = "Sent as the `audience` parameter, which Auth0, Okta and token exchange (RFC 8693) servers " +
		"use to pick the API the token is for."
	descResource = "Resource indicators (RFC 8707): the URIs of the APIs the token is for, each sent as its own " +
		"`resource` parameter."
	descParamsIn = "Where the grant parameters (`grant_type`, the grant block's parameters, `scope`, `audience`, " +
		"`resource` and `extra_params`) go: `body` (the default, as RFC 6749 says) or `query` for servers that read " +
		"them from the URL's query string. Client authentication follows `client_auth` either way: the Basic header " +
		"stays a header, and a client secret or client assertion stays in the body with its `client_id`; a " +
		"`client_id` sent alone (`none`, the TLS methods) travels with the grant parameters."
)

var (
	descExtraParams = "Further parameters sent with every token request, such as `idp_system`. Parameters the " +
		"provider sets from its own attributes (" + codeList(oauth2client.ReservedParams()) + ") cannot be set here. " +
		"Their values are kept out of error messages and logs, since vendors pass keys this way; the attribute is not " +
		"sensitive, so a secret value should come from a sensitive or ephemeral variable."
	descHeaders = "Extra HTTP headers sent with token requests. " + codeList(oauth2client.ForbiddenHeaders()) +
		" are computed by the provider and cannot be set; `Authorization` is refused when `client_auth` is " +
		"`client_secret_basic`, because it carries the client credentials then. Names and values must be ones HTTP " +
		"allows (no spaces in names, no line breaks in values). Sensitive, since headers often carry credentials: " +
		"every value is also kept out of error messages and logs."
)

type attrKind int

const (
	kindString attrKind = iota
	kindInt64
	kindStringList
	kindStringMap
	kindObject
	kindBool
	kindDynamic
)

// tokenAttr describes one attribute of oauth2_token for both kinds.
type tokenAttr struct {
	kind        attrKind
	description string
	// required, optional and computed map onto the schema flags; inputs
	// are optional, outputs computed, nested grant fields required.
	required, optional, computed bool
	sensitive                    bool
	// ephemeralOnly attributes exist only on the ephemeral resource.
	ephemeralOnly    bool
	nested           map[string]tokenAttr
	stringValidators []validator.String
	listValidators   []validator.List
	mapValidators    []validator.Map
	objectValidators []validator.Object
	// result reads a computed attribute's value from the token.
	result func(*oauth2client.Token) tftypes.Value
}

// tokenAttributes is the one table of oauth2_token's attributes: the grant
// blocks (token_grants.go), the other inputs and the results, each result
// with the function that reads it from the token.
var tokenAttributes = func() map[string]tokenAttr {
	attrs := grantAttributes()
	for name, a := range otherTokenAttributes {
		attrs[name] = a
	}
	return attrs
}()

var otherTokenAttributes = map[string]tokenAttr{
	"grant_type": {
		kind: kindString, optional: true,
		description: "Overrides the `grant_type` sent on the wire, for vendor grants; pass their parameters in " +
			"`extra_params`. Defaults to the grant block's type (`password`, `refresh_token`, " +
			"`urn:ietf:params:oauth:grant-type:jwt-bearer` or `urn:ietf:params:oauth:grant-type:token-exchange`), " +
			"and `client_credentials` without one.",
		stringValidators: []validator.String{stringvalidator.LengthAtLeast(1)},
	},
	"scopes": {kind: kindStringList, optional: true, description: descScopes + " Replaces the provider's `scopes`. " +
		"This is the argument; `scope` is the result, the scopes the server granted."},
	"audience": {kind: kindString, optional: true, description: descAudience + " Replaces the provider's `audience`."},
	"resource": {kind: kindStringList, optional: true, description: descResource + " Replaces the provider's `resource`."},
	"extra_params": {kind: kindStringMap, optional: true, mapValidators: extraParamsValidators,
		description: descExtraParams + " Merged over the provider's `extra_params`."},
	"params_in": {kind: kindString, optional: true,
		stringValidators: []validator.String{stringvalidator.OneOf(oauth2client.ParamsLocations...)},
		description:      descParamsIn + " Replaces the provider's `params_in`."},
	"headers": {kind: kindStringMap, optional: true, sensitive: true, mapValidators: headersValidators,
		description: descHeaders + " Merged over the provider's `headers`."},

	"min_validity": {kind: kindString, optional: true,
		stringValidators: []validator.String{durationValidator},
		description: "The least validity a token handed out must have left, as a duration such as `5m`. Within " +
			"one run the provider requests each distinct token once and shares it among identical `oauth2_token`s " +
			"(data sources and ephemeral resources alike) while it has this much life left; a token that would " +
			"expire sooner is replaced. Defaults to `1m`. When set, a newly issued token that lives shorter is an " +
			"error; under the default, such a token is handed out fresh and shared for half its lifetime. Choose a " +
			"value that outlives the apply when a consumer uses the token at the end of a long apply. With the ephemeral " +
			"resource's `token_file`, the token in the file is replaced when it has this much life left, or earlier."},

	// Outputs, named after the RFC 6749 section 5.1 response fields.
	"access_token": {kind: kindString, computed: true, sensitive: true, description: "The access token.",
		result: func(t *oauth2client.Token) tftypes.Value { return tfString(&t.AccessToken) }},
	"token_type": {kind: kindString, computed: true,
		description: "The token type exactly as the server sent it (`Bearer`, `bearer`, `DPoP`...); null when it sent none.",
		result:      func(t *oauth2client.Token) tftypes.Value { return tfStringOrNull(t.TokenType) }},
	"authorization_header": {kind: kindString, computed: true, sensitive: true,
		description: "A ready `Authorization` header value, `Bearer <access_token>`, when the token type is bearer " +
			"in any letter case or absent. For any other type (`DPoP`, `N_A`, `mac`...) it is null and the provider " +
			"warns, since RFC 6749 section 7.1 forbids using a token whose type the client does not understand; " +
			"`access_token` is still set, for consumers that know the type.",
		result: func(t *oauth2client.Token) tftypes.Value { return tfStringOrNull(t.AuthorizationHeader()) }},
	"expires_in": {kind: kindInt64, computed: true,
		description: "The token's lifetime in seconds, read from a JSON number or a numeric string; null when the " +
			"server sent none or a value that is not a non-negative number.",
		result: func(t *oauth2client.Token) tftypes.Value { return tfInt64(t.ExpiresIn) }},
	"expires_at": {kind: kindString, computed: true,
		description: "When the token expires, as an RFC 3339 UTC timestamp computed from the time the response " +
			"arrived; null when `expires_in` is null.",
		result: func(t *oauth2client.Token) tftypes.Value { return tfTime(t.ExpiresAt) }},
	"scope": {kind: kindString, computed: true,
		description: "The granted scopes, space-delimited (a JSON array is joined with spaces); null when the server " +
			"did not send `scope`, which RFC 6749 says means the requested scopes were granted. This is the result; " +
			"the scopes to request are the `scopes` argument.",
		result: func(t *oauth2client.Token) tftypes.Value { return tfString(t.Scope) }},
	"refresh_token": {kind: kindString, computed: true, sensitive: true,
		description: "The refresh token, for a later `refresh_token_grant`; null when none was issued.",
		result:      func(t *oauth2client.Token) tftypes.Value { return tfString(t.RefreshToken) }},
	"id_token": {kind: kindString, computed: true, sensitive: true,
		description: "The OpenID Connect ID token; null when none was issued.",
		result:      func(t *oauth2client.Token) tftypes.Value { return tfString(t.IDToken) }},
	"issued_token_type": {kind: kindString, computed: true,
		description: "The type of the issued token in a token exchange (RFC 8693 section 2.2.1); null when the " +
			"server did not say.",
		result: func(t *oauth2client.Token) tftypes.Value { return tfString(t.IssuedTokenType) }},
	"token_file": tokenFileAttribute,
	"revoke_on_close": {kind: kindBool, optional: true, ephemeralOnly: true,
		description: "Revoke the access token, and the refresh token when one was issued, at the revocation " +
			"endpoint (RFC 7009) when Terraform closes the ephemeral resource, at the end of the plan or apply " +
			"that opened it. Needs the provider's `revocation_url`, or an `issuer_url` whose metadata names a " +
			"revocation endpoint. A failed revocation is a warning. Defaults to `false`."},
	"extra": {kind: kindStringMap, computed: true, sensitive: true,
		description: "Every other top-level field of the response, such as `not-before-policy` or `entityURI`. " +
			"Values that are not strings are JSON-encoded (`1696859419`, `[\"a\",\"b\"]`). Sensitive, because " +
			"vendors put tokens here too (`refreshToken`, `sessionToken`); wrap a field known to be harmless in " +
			"`nonsensitive()` to show it, such as `nonsensitive(data.oauth2_token.api.extra[\"entityURI\"])`.",
		result: func(t *oauth2client.Token) tftypes.Value { return tfStringMap(t.Extra) }},
}

func (a tokenAttr) dataSource() dsschema.Attribute {
	switch a.kind {
	case kindBool:
		return dsschema.BoolAttribute{MarkdownDescription: a.description, Required: a.required, Optional: a.optional,
			Computed: a.computed, Sensitive: a.sensitive}
	case kindDynamic:
		return dsschema.DynamicAttribute{MarkdownDescription: a.description, Required: a.required, Optional: a.optional,
			Computed: a.computed, Sensitive: a.sensitive}
	case kindInt64:
		return dsschema.Int64Attribute{MarkdownDescription: a.description, Required: a.required, Optional: a.optional,
			Computed: a.computed, Sensitive: a.sensitive}
	case kindStringList:
		return dsschema.ListAttribute{MarkdownDescription: a.description, Required: a.required, Optional: a.optional,
			Computed: a.computed, Sensitive: a.sensitive, ElementType: types.StringType, Validators: a.listValidators}
	case kindStringMap:
		return dsschema.MapAttribute{MarkdownDescription: a.description, Required: a.required, Optional: a.optional,
			Computed: a.computed, Sensitive: a.sensitive, ElementType: types.StringType, Validators: a.mapValidators}
	case kindObject:
		nested := map[string]dsschema.Attribute{}
		for name, n := range a.nested {
			nested[name] = n.dataSource()
		}
		return dsschema.SingleNestedAttribute{MarkdownDescription: a.description, Required: a.required,
			Optional: a.optional, Computed: a.computed, Sensitive: a.sensitive, Attributes: nested,
			Validators: a.objectValidators}
	default:
		return dsschema.StringAttribute{MarkdownDescription: a.description, Required: a.required, Optional: a.optional,
			Computed: a.computed, Sensitive: a.sensitive, Validators: a.stringValidators}
	}
}

func (a tokenAttr) ephemeral() ephschema.Attribute {
	switch a.kind {
	case kindBool:
		return ephschema.BoolAttribute{MarkdownDescription: a.description, Required: a.required, Optional: a.optional,
			Computed: a.computed, Sensitive: a.sensitive}
	case kindDynamic:
		return ephschema.DynamicAttribute{MarkdownDescription: a.description, Required: a.required, Optional: a.optional,
			Computed: a.computed, Sensitive: a.sensitive}
	case kindInt64:
		return ephschema.Int64Attribute{MarkdownDescription: a.description, Required: a.required, Optional: a.optional,
			Computed: a.computed, Sensitive: a.sensitive}
	case kindStringList:
		return ephschema.ListAttribute{MarkdownDescription: a.description, Required: a.required, Optional: a.optional,
			Computed: a.computed, Sensitive: a.sensitive, ElementType: types.StringType, Validators: a.listValidators}
	case kindStringMap:
		return ephschema.MapAttribute{MarkdownDescription: a.description, Required: a.required, Optional: a.optional,
			Computed: a.computed, Sensitive: a.sensitive, ElementType: types.StringType, Validators: a.mapValidators}
	case kindObject:
		nested := map[string]ephschema.Attribute{}
		for name, n := range a.nested {
			nested[name] = n.ephemeral()
		}
		return ephschema.SingleNestedAttribute{MarkdownDescription: a.description, Required: a.required,
			Optional: a.optional, Computed: a.computed, Sensitive: a.sensitive, Attributes: nested,
			Validators: a.objectValidators}
	default:
		return ephschema.StringAttribute{MarkdownDescription: a.description, Required: a.required, Optional: a.optional,
			Computed: a.computed, Sensitive: a.sensitive, Validators: a.stringValidators}
	}
}

func tokenDataSourceAttributes() map[string]dsschema.Attribute {
	out := make(map[string]dsschema.Attribute, len(tokenAttributes))
	for name, a := range tokenAttributes {
		if !a.ephemeralOnly {
			out[name] = a.dataSource()
		}
	}
	return out
}

func tokenEphemeralAttributes() map[string]ephschema.Attribute {
	out := make(map[string]ephschema.Attribute, len(tokenAttributes))
	for name, a := range tokenAttributes {
		out[name] = a.ephemeral()
	}
	return out
}

// values are the attributes of an object as Terraform sent them. oauth2_token
// reads its configuration and writes its result through them and the table
// above, not through structs reflected by the framework: the framework's
// reflection compiles a regular expression per field on every Get and Set,
// which was most of a data source read's CPU time.
type values map[string]tftypes.Value

// readValues reads the object raw holds; every attribute must be known.
func readValues(raw tftypes.Value) (values, error) {
	if !raw.IsFullyKnown() {
		return nil, errors.New("a value of the configuration is not known yet")
	}
	var v map[string]tftypes.Value
	if err := raw.As(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// has says whether the attribute is set (not null).
func (v values) has(name string) bool {
	x, ok := v[name]
	return ok && !x.IsNull()
}

func (v values) str(name string) string {
	var s string
	if v.has(name) {
		_ = v[name].As(&s)
	}
	return s
}

func (v values) boolean(name string) bool {
	var b bool
	if v.has(name) {
		_ = v[name].As(&b)
	}
	return b
}

// list reads a list of strings; ok is false when the attribute is null.
func (v values) list(name string) (out []string, ok bool) {
	if !v.has(name) {
		return nil, false
	}
	var elems []tftypes.Value
	_ = v[name].As(&elems)
	out = make([]string, 0, len(elems))
	for _, e := range elems {
		// A null element is left out, as the provider block's lists do.
		var s string
		if !e.IsNull() && e.As(&s) == nil {
			out = append(out, s)
		}
	}
	return out, true
}

func (v values) strMap(name string) map[string]string {
	if !v.has(name) {
		return nil
	}
	var elems map[string]tftypes.Value
	_ = v[name].As(&elems)
	out := make(map[string]string, len(elems))
	for k, e := range elems {
		var s string
		if !e.IsNull() && e.As(&s) == nil {
			out[k] = s
		}
	}
	return out
}

// object reads a nested object; ok is false when it is null.
func (v values) object(name string) (values, bool) {
	if !v.has(name) {
		return nil, false
	}
	var out map[string]tftypes.Value
	if err := v[name].As(&out); err != nil {
		return nil, false
	}
	return out, true
}

// withResults is the object of the given type holding the configuration in
// with every computed attribute of the table set from t.
func withResults(typ tftypes.Type, in values, t *oauth2client.Token) tftypes.Value {
	out := make(map[string]tftypes.Value, len(in))
	for name, value := range in {
		if a, ok := tokenAttributes[name]; ok && a.result != nil {
			value = a.result(t)
		}
		out[name] = value
	}
	return tftypes.NewValue(typ, out)
}

func tfString(s *string) tftypes.Value {
	if s == nil {
		return tftypes.NewValue(tftypes.String, nil)
	}
	return tftypes.NewValue(tftypes.String, *s)
}

func tfStringOrNull(s string) tftypes.Value {
	if s == "" {
		return tftypes.NewValue(tftypes.String, nil)
	}
	return tftypes.NewValue(tftypes.String, s)
}

func tfInt64(n *int64) tftypes.Value {
	if n == nil {
		return tftypes.NewValue(tftypes.Number, nil)
	}
	return tftypes.NewValue(tftypes.Number, new(big.Float).SetInt64(*n))
}

func tfTime(t *time.Time) tftypes.Value {
	if t == nil {
		return tftypes.NewValue(tftypes.String, nil)
	}
	return tftypes.NewValue(tftypes.String, t.UTC().Format(time.RFC3339))
}

func tfStringMap(m map[string]string) tftypes.Value {
	typ := tftypes.Map{ElementType: tftypes.String}
	elems := make(map[string]tftypes.Value, len(m))
	for k, s := range m {
		elems[k] = tftypes.NewValue(tftypes.String, s)
	}
	return tftypes.NewValue(typ, elems)
}

// tfToGo turns a Terraform value of any type into the Go value its JSON
// encoding has: objects and maps become map[string]any, lists, sets and
// tuples []any, whole numbers int64 (JWT times must be integers).
func tfToGo(v tftypes.Value) (any, error) {
	if v.IsNull() {
		return nil, nil
	}
	if !v.IsKnown() {
		return nil, errors.New("a value is not known yet")
	}
	typ := v.Type()
	switch {
	case typ.Is(tftypes.String):
		var s string
		err := v.As(&s)
		return s, err
	case typ.Is(tftypes.Bool):
		var b bool
		err := v.As(&b)
		return b, err
	case typ.Is(tftypes.Number):
		f := new(big.Float)
		if err := v.As(&f); err != nil {
			return nil, err
		}
		if f.IsInt() {
			if i, acc := f.Int64(); acc == big.Exact {
				return i, nil
			}
		}
		f64, _ := f.Float64()
		return f64, nil
	case typ.Is(tftypes.Object{}), typ.Is(tftypes.Map{}):
		var m map[string]tftypes.Value
		if err := v.As(&m); err != nil {
			return nil, err
		}
		out := make(map[string]any, len(m))
		for k, e := range m {
			g, err := tfToGo(e)
			if err != nil {
				return nil, err
			}
			out[k] = g
		}
		return out, nil
	case typ.Is(tftypes.List{}), typ.Is(tftypes.Set{}), typ.Is(tftypes.Tuple{}):
		var l []tftypes.Value
		if err := v.As(&l); err != nil {
			return nil, err
		}
		out := make([]any, 0, len(l))
		for _, e := range l {
			g, err := tfToGo(e)
			if err != nil {
				return nil, err
			}
			out = append(out, g)
		}
		return out, nil
	}
	return nil, fmt.Errorf("values of type %s cannot be claims", typ)
}
