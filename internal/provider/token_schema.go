package provider

import (
	"github.com/hashicorp/terraform-plugin-framework-validators/objectvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	dsschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	ephschema "github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

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
	descParamsIn = "Where the grant parameters (`grant_type`, `username`, `password`, `refresh_token`, `scope`, " +
		"`audience`, `resource` and `extra_params`) go: `body` (the default, as RFC 6749 says) or `query` for " +
		"servers that read them from the URL's query string. Client authentication follows `client_auth` either way: " +
		"the Basic header stays a header, `client_secret_post` credentials stay in the body, and a public client's " +
		"(`none`) `client_id` travels with the grant parameters."
)

var (
	descExtraParams = "Further parameters sent with every token request, such as `idp_system`. Parameters the " +
		"provider sets from its own attributes (" + codeList(oauth2client.ReservedParams()) + ") cannot be set here."
	descHeaders = "Extra HTTP headers sent with token requests. " + codeList(oauth2client.ForbiddenHeaders()) +
		" are computed by the provider and cannot be set; `Authorization` is refused when `client_auth` is " +
		"`client_secret_basic`, because it carries the client credentials then."
)

type attrKind int

const (
	kindString attrKind = iota
	kindInt64
	kindStringList
	kindStringMap
	kindObject
)

// tokenAttr describes one attribute of oauth2_token for both kinds.
type tokenAttr struct {
	kind        attrKind
	description string
	// required, optional and computed map onto the schema flags; inputs
	// are optional, outputs computed, nested grant fields required.
	required, optional, computed bool
	sensitive                    bool
	nested                       map[string]tokenAttr
	stringValidators             []validator.String
	listValidators               []validator.List
	mapValidators                []validator.Map
	objectValidators             []validator.Object
}

var tokenAttributes = map[string]tokenAttr{
	// Inputs.
	"password_grant": {
		kind: kindObject, optional: true,
		description: "Makes a resource owner password credentials grant (`grant_type=password`, RFC 6749 " +
			"section 4.3) for the given user. Conflicts with `refresh_token_grant`; with neither, the token comes " +
			"from a client credentials grant.",
		nested: map[string]tokenAttr{
			"username": {kind: kindString, required: true, description: "The user's name or e-mail address.",
				stringValidators: []validator.String{stringvalidator.LengthAtLeast(1)}},
			"password": {kind: kindString, required: true, sensitive: true, description: "The user's password."},
		},
		objectValidators: []validator.Object{objectvalidator.ConflictsWith(path.MatchRoot("refresh_token_grant"))},
	},
	"refresh_token_grant": {
		kind: kindObject, optional: true,
		description: "Makes a refresh token grant (`grant_type=refresh_token`, RFC 6749 section 6) with a refresh " +
			"token issued earlier, for example by a `password_grant`. Conflicts with `password_grant`.",
		nested: map[string]tokenAttr{
			"refresh_token": {kind: kindString, required: true, sensitive: true, description: "The refresh token.",
				stringValidators: []validator.String{stringvalidator.LengthAtLeast(1)}},
		},
	},
	"grant_type": {
		kind: kindString, optional: true,
		description: "Overrides the `grant_type` sent on the wire, for vendor grants; pass their parameters in " +
			"`extra_params`. Defaults to `password` with `password_grant`, `refresh_token` with " +
			"`refresh_token_grant`, and `client_credentials` otherwise.",
		stringValidators: []validator.String{stringvalidator.LengthAtLeast(1)},
	},
	"scopes":   {kind: kindStringList, optional: true, description: descScopes + " Replaces the provider's `scopes`."},
	"audience": {kind: kindString, optional: true, description: descAudience + " Replaces the provider's `audience`."},
	"resource": {kind: kindStringList, optional: true, description: descResource + " Replaces the provider's `resource`."},
	"extra_params": {kind: kindStringMap, optional: true, mapValidators: extraParamsValidators,
		description: descExtraParams + " Merged over the provider's `extra_params`."},
	"params_in": {kind: kindString, optional: true,
		stringValidators: []validator.String{stringvalidator.OneOf(oauth2client.ParamsLocations...)},
		description:      descParamsIn + " Replaces the provider's `params_in`."},
	"headers": {kind: kindStringMap, optional: true, mapValidators: headersValidators,
		description: descHeaders + " Merged over the provider's `headers`."},

	// Outputs, named after the RFC 6749 section 5.1 response fields.
	"access_token": {kind: kindString, computed: true, sensitive: true, description: "The access token."},
	"token_type": {kind: kindString, computed: true,
		description: "The token type exactly as the server sent it (`Bearer`, `bearer`, `DPoP`...); null when it sent none."},
	"authorization_header": {kind: kindString, computed: true, sensitive: true,
		description: "A ready `Authorization` header value: `Bearer <access_token>` when the token type is bearer " +
			"in any letter case or absent, otherwise `<token_type> <access_token>`."},
	"expires_in": {kind: kindInt64, computed: true,
		description: "The token's lifetime in seconds, read from a JSON number or a numeric string; null when the " +
			"server sent none or a value that is not a non-negative number."},
	"expires_at": {kind: kindString, computed: true,
		description: "When the token expires, as an RFC 3339 UTC timestamp computed from the time the response " +
			"arrived; null when `expires_in` is null."},
	"scope": {kind: kindString, computed: true,
		description: "The granted scopes, space-delimited (a JSON array is joined with spaces); null when the server " +
			"did not send `scope`, which RFC 6749 says means the requested scopes were granted."},
	"refresh_token": {kind: kindString, computed: true, sensitive: true,
		description: "The refresh token, for a later `refresh_token_grant`; null when none was issued."},
	"id_token": {kind: kindString, computed: true, sensitive: true,
		description: "The OpenID Connect ID token; null when none was issued."},
	"extra": {kind: kindStringMap, computed: true,
		description: "Every other top-level field of the response, such as `not-before-policy` or `entityURI`. " +
			"Values that are not strings are JSON-encoded (`1696859419`, `[\"a\",\"b\"]`)."},
}

func (a tokenAttr) dataSource() dsschema.Attribute {
	switch a.kind {
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
		out[name] = a.dataSource()
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

// tokenModel is the data of both kinds of oauth2_token.
type tokenModel struct {
	PasswordGrant     types.Object `tfsdk:"password_grant"`
	RefreshTokenGrant types.Object `tfsdk:"refresh_token_grant"`
	GrantType         types.String `tfsdk:"grant_type"`
	Scopes            types.List   `tfsdk:"scopes"`
	Audience          types.String `tfsdk:"audience"`
	Resource          types.List   `tfsdk:"resource"`
	ExtraParams       types.Map    `tfsdk:"extra_params"`
	ParamsIn          types.String `tfsdk:"params_in"`
	Headers           types.Map    `tfsdk:"headers"`

	AccessToken         types.String `tfsdk:"access_token"`
	TokenType           types.String `tfsdk:"token_type"`
	AuthorizationHeader types.String `tfsdk:"authorization_header"`
	ExpiresIn           types.Int64  `tfsdk:"expires_in"`
	ExpiresAt           types.String `tfsdk:"expires_at"`
	Scope               types.String `tfsdk:"scope"`
	RefreshToken        types.String `tfsdk:"refresh_token"`
	IDToken             types.String `tfsdk:"id_token"`
	Extra               types.Map    `tfsdk:"extra"`
}

type passwordGrantModel struct {
	Username types.String `tfsdk:"username"`
	Password types.String `tfsdk:"password"`
}

type refreshTokenGrantModel struct {
	RefreshToken types.String `tfsdk:"refresh_token"`
}
