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
	descParamsIn = "Where the grant parameters (`grant_type`, the grant block's parameters, `scope`, `audience`, " +
		"`resource` and `extra_params`) go: `body` (the default, as RFC 6749 says) or `query` for servers that read " +
		"them from the URL's query string. Client authentication follows `client_auth` either way: the Basic header " +
		"stays a header, and a client secret or client assertion stays in the body with its `client_id`; a " +
		"`client_id` sent alone (`none`, the TLS methods) travels with the grant parameters."
)

var (
	descExtraParams = "Further parameters sent with every token request, such as `idp_system`. Parameters the " +
		"provider sets from its own attributes (" + codeList(oauth2client.ReservedParams()) + ") cannot be set here."
	descHeaders = "Extra HTTP headers sent with token requests. " + codeList(oauth2client.ForbiddenHeaders()) +
		" are computed by the provider and cannot be set; `Authorization` is refused when `client_auth` is " +
		"`client_secret_basic`, because it carries the client credentials then. Sensitive, since headers often " +
		"carry credentials; the values of headers named like credentials (`Authorization`, `X-Api-Key`...) are " +
		"also kept out of error messages."
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
}

var tokenAttributes = map[string]tokenAttr{
	// Inputs.
	"password_grant": {
		kind: kindObject, optional: true,
		description: "Makes a resource owner password credentials grant (`grant_type=password`, RFC 6749 " +
			"section 4.3) for the given user. At most one grant block (`password_grant`, `refresh_token_grant`, " +
			"`jwt_bearer_grant`, `token_exchange_grant`) may be set; with none, the token comes from a client " +
			"credentials grant.",
		nested: map[string]tokenAttr{
			"username": {kind: kindString, required: true, description: "The user's name or e-mail address.",
				stringValidators: []validator.String{stringvalidator.LengthAtLeast(1)}},
			"password": {kind: kindString, required: true, sensitive: true, description: "The user's password."},
		},
		objectValidators: []validator.Object{objectvalidator.ConflictsWith(
			path.MatchRoot("refresh_token_grant"), path.MatchRoot("jwt_bearer_grant"), path.MatchRoot("token_exchange_grant"))},
	},
	"refresh_token_grant": {
		kind: kindObject, optional: true,
		description: "Makes a refresh token grant (`grant_type=refresh_token`, RFC 6749 section 6) with a refresh " +
			"token issued earlier, for example by a `password_grant`. At most one grant block may be set.",
		nested: map[string]tokenAttr{
			"refresh_token": {kind: kindString, required: true, sensitive: true, description: "The refresh token.",
				stringValidators: []validator.String{stringvalidator.LengthAtLeast(1)}},
		},
		objectValidators: []validator.Object{objectvalidator.ConflictsWith(
			path.MatchRoot("jwt_bearer_grant"), path.MatchRoot("token_exchange_grant"))},
	},
	"jwt_bearer_grant": {
		kind: kindObject, optional: true,
		description: "Makes a JWT bearer grant (`grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`, RFC 7523 " +
			"section 2.1), for example with a workload identity token. Give either a ready `assertion` or `claims` " +
			"for an assertion the provider signs with the provider's `private_key`. At most one grant block may be set.",
		nested: map[string]tokenAttr{
			"assertion": {kind: kindString, optional: true, sensitive: true, description: "A signed JWT to present.",
				stringValidators: []validator.String{
					stringvalidator.LengthAtLeast(1),
					stringvalidator.ExactlyOneOf(path.MatchRelative().AtParent().AtName("claims")),
				}},
			"claims": {kind: kindDynamic, optional: true,
				description: "Claims of an assertion the provider signs with `private_key`, as an object: " +
					"`{ sub = \"user\", scope = [\"a\"] }`. `iss` defaults to the client ID, `aud` to the token " +
					"endpoint; `iat`, `exp` (5 minutes) and `jti` are added when absent."},
		},
		objectValidators: []validator.Object{objectvalidator.ConflictsWith(path.MatchRoot("token_exchange_grant"))},
	},
	"token_exchange_grant": {
		kind: kindObject, optional: true,
		description: "Makes a token exchange grant (`grant_type=urn:ietf:params:oauth:grant-type:token-exchange`, " +
			"RFC 8693): trades `subject_token` (and, for delegation, `actor_token`) for a new token. The server " +
			"says what it issued in `issued_token_type`. At most one grant block may be set.",
		nested: map[string]tokenAttr{
			"subject_token": {kind: kindString, required: true, sensitive: true,
				description:      "The token that represents the party on whose behalf the request is made.",
				stringValidators: []validator.String{stringvalidator.LengthAtLeast(1)}},
			"subject_token_type": {kind: kindString, required: true,
				description:      "Its type, such as `urn:ietf:params:oauth:token-type:access_token` or `urn:ietf:params:oauth:token-type:jwt`.",
				stringValidators: []validator.String{stringvalidator.LengthAtLeast(1)}},
			"actor_token": {kind: kindString, optional: true, sensitive: true,
				description:      "The token of the acting party, for delegation.",
				stringValidators: []validator.String{stringvalidator.AlsoRequires(path.MatchRelative().AtParent().AtName("actor_token_type"))}},
			"actor_token_type": {kind: kindString, optional: true, description: "The type of `actor_token`.",
				stringValidators: []validator.String{stringvalidator.AlsoRequires(path.MatchRelative().AtParent().AtName("actor_token"))}},
			"requested_token_type": {kind: kindString, optional: true,
				description: "The type of token wanted, such as `urn:ietf:params:oauth:token-type:access_token`."},
		},
	},
	"grant_type": {
		kind: kindString, optional: true,
		description: "Overrides the `grant_type` sent on the wire, for vendor grants; pass their parameters in " +
			"`extra_params`. Defaults to the grant block's type (`password`, `refresh_token`, " +
			"`urn:ietf:params:oauth:grant-type:jwt-bearer` or `urn:ietf:params:oauth:grant-type:token-exchange`), " +
			"and `client_credentials` without one.",
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
	"headers": {kind: kindStringMap, optional: true, sensitive: true, mapValidators: headersValidators,
		description: descHeaders + " Merged over the provider's `headers`."},

	"min_validity": {kind: kindString, optional: true,
		stringValidators: []validator.String{durationValidator{}},
		description: "The least validity a token handed out must have left, as a duration such as `5m`. Within " +
			"one run the provider requests each distinct token once and shares it among identical `oauth2_token`s " +
			"(data sources and ephemeral resources alike) while it has this much life left; a token that would " +
			"expire sooner is replaced. Defaults to `1m`. When set, a newly issued token that lives shorter is an " +
			"error; under the default, such a token is handed out fresh and shared for half its lifetime. Choose a " +
			"value that outlives the apply when a consumer uses the token at the end of a long apply."},

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
	"issued_token_type": {kind: kindString, computed: true,
		description: "The type of the issued token in a token exchange (RFC 8693 section 2.2.1); null when the " +
			"server did not say."},
	"revoke_on_close": {kind: kindBool, optional: true, ephemeralOnly: true,
		description: "Revoke the access token, and the refresh token when one was issued, at the revocation " +
			"endpoint (RFC 7009) when Terraform closes the ephemeral resource, at the end of the plan or apply " +
			"that opened it. Needs the provider's `revocation_url`, or an `issuer_url` whose metadata names a " +
			"revocation endpoint. A failed revocation is a warning. Defaults to `false`."},
	"extra": {kind: kindStringMap, computed: true,
		description: "Every other top-level field of the response, such as `not-before-policy` or `entityURI`. " +
			"Values that are not strings are JSON-encoded (`1696859419`, `[\"a\",\"b\"]`)."},
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

// tokenModel is the data of both kinds of oauth2_token.
type tokenModel struct {
	PasswordGrant      types.Object `tfsdk:"password_grant"`
	RefreshTokenGrant  types.Object `tfsdk:"refresh_token_grant"`
	JWTBearerGrant     types.Object `tfsdk:"jwt_bearer_grant"`
	TokenExchangeGrant types.Object `tfsdk:"token_exchange_grant"`
	GrantType          types.String `tfsdk:"grant_type"`
	Scopes             types.List   `tfsdk:"scopes"`
	Audience           types.String `tfsdk:"audience"`
	Resource           types.List   `tfsdk:"resource"`
	ExtraParams        types.Map    `tfsdk:"extra_params"`
	ParamsIn           types.String `tfsdk:"params_in"`
	Headers            types.Map    `tfsdk:"headers"`
	MinValidity        types.String `tfsdk:"min_validity"`

	AccessToken         types.String `tfsdk:"access_token"`
	TokenType           types.String `tfsdk:"token_type"`
	AuthorizationHeader types.String `tfsdk:"authorization_header"`
	ExpiresIn           types.Int64  `tfsdk:"expires_in"`
	ExpiresAt           types.String `tfsdk:"expires_at"`
	Scope               types.String `tfsdk:"scope"`
	RefreshToken        types.String `tfsdk:"refresh_token"`
	IDToken             types.String `tfsdk:"id_token"`
	IssuedTokenType     types.String `tfsdk:"issued_token_type"`
	Extra               types.Map    `tfsdk:"extra"`
}

type passwordGrantModel struct {
	Username types.String `tfsdk:"username"`
	Password types.String `tfsdk:"password"`
}

type refreshTokenGrantModel struct {
	RefreshToken types.String `tfsdk:"refresh_token"`
}

type jwtBearerGrantModel struct {
	Assertion types.String  `tfsdk:"assertion"`
	Claims    types.Dynamic `tfsdk:"claims"`
}

type tokenExchangeGrantModel struct {
	SubjectToken       types.String `tfsdk:"subject_token"`
	SubjectTokenType   types.String `tfsdk:"subject_token_type"`
	ActorToken         types.String `tfsdk:"actor_token"`
	ActorTokenType     types.String `tfsdk:"actor_token_type"`
	RequestedTokenType types.String `tfsdk:"requested_token_type"`
}

// tokenEphemeralModel adds the attributes only the ephemeral resource has.
type tokenEphemeralModel struct {
	tokenModel
	RevokeOnClose types.Bool `tfsdk:"revoke_on_close"`
}
