package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-validators/objectvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/oauth2client"
)

// grantBlock is one grant block of oauth2_token: its attribute in the
// schema and how its values become an oauth2client.Grant. To add a grant,
// add its type to internal/oauth2client/grant.go and an entry here; the
// schema, the conflicts between blocks and the docs follow from the table.
type grantBlock struct {
	name        string
	description string
	attributes  map[string]tokenAttr
	// validators check what spans the block's attributes.
	validators []validator.Object
	// grant builds the grant from the block's values; at is the block's
	// path, for errors.
	grant func(v values, cfg *providerConfig, at path.Path) (oauth2client.Grant, diag.Diagnostics)
}

var grantBlocks = []grantBlock{
	{
		name: "password_grant",
		description: "Makes a resource owner password credentials grant (`grant_type=password`, RFC 6749 " +
			"section 4.3) for the given user.",
		attributes: map[string]tokenAttr{
			"username": {kind: kindString, required: true, description: "The user's name or e-mail address.",
				stringValidators: []validator.String{stringvalidator.LengthAtLeast(1)}},
			"password": {kind: kindString, required: true, sensitive: true, description: "The user's password."},
		},
		grant: func(v values, _ *providerConfig, _ path.Path) (oauth2client.Grant, diag.Diagnostics) {
			return oauth2client.Password{Username: v.str("username"), Password: v.str("password")}, nil
		},
	},
	{
		name: "refresh_token_grant",
		description: "Makes a refresh token grant (`grant_type=refresh_token`, RFC 6749 section 6) with a refresh " +
			"token issued earlier, for example by a `password_grant`.",
		attributes: map[string]tokenAttr{
			"refresh_token": {kind: kindString, required: true, sensitive: true, description: "The refresh token.",
				stringValidators: []validator.String{stringvalidator.LengthAtLeast(1)}},
		},
		grant: func(v values, _ *providerConfig, _ path.Path) (oauth2client.Grant, diag.Diagnostics) {
			return oauth2client.RefreshToken{RefreshToken: v.str("refresh_token")}, nil
		},
	},
	{
		name: "jwt_bearer_grant",
		description: "Makes a JWT bearer grant (`grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`, RFC 7523 " +
			"section 2.1), for example with a workload identity token. Give exactly one of a ready `assertion`, `claims` " +
			"for an assertion the provider signs with the provider's `private_key`, or `assertion_source` for an " +
			"identity token from the CI system.",
		attributes: map[string]tokenAttr{
			"assertion": {kind: kindString, optional: true, sensitive: true, description: "A signed JWT to present.",
				stringValidators: []validator.String{
					stringvalidator.LengthAtLeast(1),
					stringvalidator.ExactlyOneOf(path.MatchRelative().AtParent().AtName("claims"),
						path.MatchRelative().AtParent().AtName("assertion_source")),
				}},
			"assertion_source": sourceAttr("Where to get the assertion for every token request: an identity token a CI " +
				"system issues to the job (an OIDC JWT), which the authorization server trusts by its issuer and subject " +
				"(RFC 7523 section 2.1; Ory Hydra's trust relationships, Okta)."),
			"claims": {kind: kindDynamic, optional: true,
				description: "Claims of an assertion the provider signs with `private_key`, as an object: " +
					"`{ sub = \"user\", scope = [\"a\"] }`. `iss` defaults to the client ID, `aud` to the token " +
					"endpoint; `iat`, `exp` (5 minutes) and `jti` are added when absent."},
		},
		grant: func(v values, cfg *providerConfig, at path.Path) (oauth2client.Grant, diag.Diagnostics) {
			var diags diag.Diagnostics
			g := oauth2client.JWTBearer{Assertion: v.str("assertion"), Key: cfg.signingKey}
			if src, ok := v.object("assertion_source"); ok {
				g.Source = sourceFrom(src)
			}
			if v.has("claims") {
				claims, err := tfToGo(v["claims"])
				obj, isObject := claims.(map[string]any)
				switch {
				case err != nil:
					diags.AddAttributeError(at.AtName("claims"), "Invalid Claims", sentence(err.Error()))
				case !isObject:
					diags.AddAttributeError(at.AtName("claims"), "Invalid Claims",
						"claims must be an object, such as { sub = \"user\" }.")
				case cfg.signingKey == nil:
					diags.AddAttributeError(at.AtName("claims"), "Missing Private Key",
						"jwt_bearer_grant claims need a private_key to sign the assertion with; set private_key in "+
							"the provider block (or "+envPrivateKey+"), or pass a ready assertion.")
				default:
					g.Claims = obj
				}
			}
			return g, diags
		},
	},
	{
		name: "token_exchange_grant",
		description: "Makes a token exchange grant (`grant_type=urn:ietf:params:oauth:grant-type:token-exchange`, " +
			"RFC 8693): trades `subject_token` (and, for delegation, `actor_token`) for a new token. The server " +
			"says what it issued in `issued_token_type`.",
		attributes: map[string]tokenAttr{
			"subject_token": {kind: kindString, optional: true, sensitive: true,
				description: "The token that represents the party on whose behalf the request is made. Exactly one of " +
					"`subject_token` and `subject_token_source` is required.",
				stringValidators: []validator.String{stringvalidator.LengthAtLeast(1),
					stringvalidator.ExactlyOneOf(path.MatchRelative().AtParent().AtName("subject_token_source"))}},
			"subject_token_source": sourceAttr("Where to get the subject token for every token request: an identity " +
				"token a CI system issues to the job, as Google Cloud's Security Token Service, Keycloak and Dex take it."),
			"subject_token_type": {kind: kindString, required: true,
				description:      "Its type, such as `urn:ietf:params:oauth:token-type:access_token` or `urn:ietf:params:oauth:token-type:jwt`.",
				stringValidators: []validator.String{stringvalidator.LengthAtLeast(1)}},
			"actor_token": {kind: kindString, optional: true, sensitive: true,
				description:      "The token of the acting party, for delegation.",
				stringValidators: []validator.String{stringvalidator.ConflictsWith(path.MatchRelative().AtParent().AtName("actor_token_source"))}},
			"actor_token_source": sourceAttr("Where to get the actor token for every token request, instead of `actor_token`."),
			"actor_token_type": {kind: kindString, optional: true,
				description: "The type of `actor_token` (or of the token `actor_token_source` gives); required with either."},
			"requested_token_type": {kind: kindString, optional: true,
				description: "The type of token wanted, such as `urn:ietf:params:oauth:token-type:access_token`."},
		},
		validators: []validator.Object{actorTokenValidator{}},
		grant: func(v values, _ *providerConfig, _ path.Path) (oauth2client.Grant, diag.Diagnostics) {
			g := oauth2client.TokenExchange{
				SubjectToken: v.str("subject_token"), SubjectTokenType: v.str("subject_token_type"),
				ActorToken: v.str("actor_token"), ActorTokenType: v.str("actor_token_type"),
				RequestedTokenType: v.str("requested_token_type"),
			}
			if src, ok := v.object("subject_token_source"); ok {
				g.SubjectSource = sourceFrom(src)
			}
			if src, ok := v.object("actor_token_source"); ok {
				g.ActorSource = sourceFrom(src)
			}
			return g, nil
		},
	},
}

// grantAttributes renders the grant blocks into the attribute table: each
// block conflicts with the blocks after it, so a conflict is reported once.
func grantAttributes() map[string]tokenAttr {
	out := map[string]tokenAttr{}
	names := make([]string, len(grantBlocks))
	for i, b := range grantBlocks {
		names[i] = b.name
	}
	oneGrantBlock := " At most one grant block (" + codeList(names) + ") may be set; with none, the token comes " +
		"from a client credentials grant."
	for i, b := range grantBlocks {
		var later []path.Expression
		for _, other := range grantBlocks[i+1:] {
			later = append(later, path.MatchRoot(other.name))
		}
		a := tokenAttr{kind: kindObject, optional: true, description: b.description + oneGrantBlock, nested: b.attributes,
			objectValidators: b.validators}
		if len(later) > 0 {
			a.objectValidators = append(a.objectValidators, objectvalidator.ConflictsWith(later...))
		}
		out[b.name] = a
	}
	return out
}

// grantFor is the grant the token's configuration asks for: the one grant
// block set (client credentials without one), under grant_type's wire name
// when that is set.
func grantFor(v values, cfg *providerConfig) (oauth2client.Grant, diag.Diagnostics) {
	var grant oauth2client.Grant
	var diags diag.Diagnostics
	for _, b := range grantBlocks {
		if block, ok := v.object(b.name); ok {
			g, d := b.grant(block, cfg, path.Root(b.name))
			diags.Append(d...)
			grant = g
			break
		}
	}
	if v.has("grant_type") {
		return oauth2client.CustomGrantType{Type: v.str("grant_type"), Base: grant}, diags
	}
	return grant, diags
}

// actorTokenValidator checks that an actor token (given or from a source)
// and its type come together (RFC 8693 section 2.1).
type actorTokenValidator struct{}

func (actorTokenValidator) Description(context.Context) string {
	return "actor_token_type is required with an actor token, and only with one"
}

func (v actorTokenValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (actorTokenValidator) ValidateObject(_ context.Context, req validator.ObjectRequest, resp *validator.ObjectResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	attrs := req.ConfigValue.Attributes()
	set := func(name string) (bool, bool) {
		a, ok := attrs[name]
		if !ok || a.IsUnknown() {
			return false, false
		}
		return !a.IsNull(), true
	}
	token, k1 := set("actor_token")
	source, k2 := set("actor_token_source")
	typ, k3 := set("actor_token_type")
	if !k1 || !k2 || !k3 {
		return
	}
	switch {
	case (token || source) && !typ:
		resp.Diagnostics.AddAttributeError(req.Path.AtName("actor_token_type"), "Missing Actor Token Type",
			"An actor token needs its type (RFC 8693 section 2.1): set actor_token_type, such as "+
				"\"urn:ietf:params:oauth:token-type:jwt\".")
	case typ && !token && !source:
		resp.Diagnostics.AddAttributeError(req.Path.AtName("actor_token_type"), "Missing Actor Token",
			"actor_token_type is set without an actor token: set actor_token or actor_token_source, or remove "+
				"actor_token_type.")
	}
}
