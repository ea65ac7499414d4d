package provider

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/oauth2client"
)

// secretFieldKeys are log field names whose values are always masked.
var secretFieldKeys = []string{
	"client_secret", "password", "refresh_token", "access_token", "id_token", "authorization_header", "assertion",
}

// maskSecrets makes every later log entry of ctx hide the given values,
// wherever they appear: in messages, in field values and under the field
// keys that carry secrets.
func maskSecrets(ctx context.Context, secrets ...string) context.Context {
	var values []string
	for _, s := range secrets {
		if len(s) >= 3 {
			values = append(values, s)
		}
	}
	ctx = tflog.MaskFieldValuesWithFieldKeys(ctx, secretFieldKeys...)
	if len(values) > 0 {
		ctx = tflog.MaskAllFieldValuesStrings(ctx, values...)
		ctx = tflog.MaskMessageStrings(ctx, values...)
	}
	return ctx
}

// prepareToken builds the request model describes, starting from the
// provider's settings (after discovery, when issuer_url is set). It returns
// ctx with the request's secrets masked, and the revocation endpoint ("" when
// none is known).
func prepareToken(ctx context.Context, data *providerData, model *tokenModel) (context.Context, oauth2client.Request, string, diag.Diagnostics) {
	ctx = maskSecrets(ctx, data.secrets()...)
	defaults, revocation, diags := data.endpoints(ctx)
	if diags.HasError() {
		return ctx, defaults, "", diags
	}
	req, d := tokenRequest(ctx, defaults, model)
	diags.Append(d...)
	ctx = maskSecrets(ctx, req.Password, req.RefreshToken, req.Assertion, req.SubjectToken, req.ActorToken)
	return ctx, req, revocation, diags
}

// fetchToken gets the token req describes, from the provider's cache when
// it has one valid for long enough, and fills in model's outputs. share is
// false for tokens that must be the caller's own (revoke_on_close would
// revoke a shared token under its other consumers). It returns ctx with the
// token's own values masked too.
func fetchToken(ctx context.Context, data *providerData, req oauth2client.Request, model *tokenModel, share bool) (context.Context, diag.Diagnostics) {
	var diags diag.Diagnostics
	minValidity, explicit := oauth2client.DefaultMinValidity, !model.MinValidity.IsNull()
	if explicit {
		minValidity, _ = time.ParseDuration(model.MinValidity.ValueString())
	}
	cache := data.cache
	if cache == nil || !share {
		// A cache of one request still enforces min_validity.
		cache = oauth2client.NewCache(data.now)
	}
	token, outcome, source, err := cache.Get(ctx, req, minValidity, explicit,
		func(ctx context.Context) (*oauth2client.Token, oauth2client.Outcome, error) {
			return data.client.Fetch(ctx, req)
		})
	fields := map[string]any{
		"token_url":   oauth2client.RedactURL(req.TokenURL),
		"grant_type":  req.Grant(),
		"client_auth": req.ClientAuth,
		"params_in":   req.ParamsIn,
		"status":      outcome.Status,
		"duration_ms": outcome.Duration.Milliseconds(),
		"source":      source,
	}
	if err != nil {
		tflog.Debug(ctx, "Token request failed", fields)
		var tokenErr *oauth2client.Error
		var short *oauth2client.TooShortError
		switch {
		case errors.As(err, &tokenErr):
			diags.AddError(tokenErr.Summary(), tokenErr.Error())
		case errors.As(err, &short):
			diags.AddAttributeError(path.Root("min_validity"), short.Summary(), short.Error())
		default:
			diags.AddError("Token Request Failed", err.Error())
		}
		return ctx, diags
	}
	ctx = maskSecrets(ctx, token.AccessToken, valueOr(token.RefreshToken), valueOr(token.IDToken))
	tflog.Debug(ctx, "Token request succeeded", fields)

	diags.Append(setTokenOutputs(ctx, model, token)...)
	return ctx, diags
}

// tokenRequest merges the token's own inputs over the provider's: maps
// (extra_params, headers) merge key by key, everything else replaces.
func tokenRequest(ctx context.Context, defaults oauth2client.Request, m *tokenModel) (oauth2client.Request, diag.Diagnostics) {
	var diags diag.Diagnostics
	r := defaults
	r.ExtraParams = maps.Clone(defaults.ExtraParams)
	r.Headers = maps.Clone(defaults.Headers)

	if !m.PasswordGrant.IsNull() && !m.PasswordGrant.IsUnknown() {
		var g passwordGrantModel
		diags.Append(m.PasswordGrant.As(ctx, &g, basetypes.ObjectAsOptions{})...)
		r.Username, r.Password = g.Username.ValueString(), g.Password.ValueString()
	}
	if !m.RefreshTokenGrant.IsNull() && !m.RefreshTokenGrant.IsUnknown() {
		var g refreshTokenGrantModel
		diags.Append(m.RefreshTokenGrant.As(ctx, &g, basetypes.ObjectAsOptions{})...)
		r.RefreshToken = g.RefreshToken.ValueString()
	}
	if !m.JWTBearerGrant.IsNull() && !m.JWTBearerGrant.IsUnknown() {
		var g jwtBearerGrantModel
		diags.Append(m.JWTBearerGrant.As(ctx, &g, basetypes.ObjectAsOptions{})...)
		r.Assertion = g.Assertion.ValueString()
		if !g.Claims.IsNull() && !g.Claims.IsUnknown() {
			claims, err := dynamicToGo(g.Claims)
			obj, isObject := claims.(map[string]any)
			switch {
			case err != nil:
				diags.AddAttributeError(path.Root("jwt_bearer_grant").AtName("claims"), "Invalid Claims", err.Error())
			case !isObject:
				diags.AddAttributeError(path.Root("jwt_bearer_grant").AtName("claims"), "Invalid Claims",
					"claims must be an object, such as { sub = \"user\" }.")
			default:
				r.AssertionClaims = obj
			}
		}
	}
	if !m.TokenExchangeGrant.IsNull() && !m.TokenExchangeGrant.IsUnknown() {
		var g tokenExchangeGrantModel
		diags.Append(m.TokenExchangeGrant.As(ctx, &g, basetypes.ObjectAsOptions{})...)
		r.SubjectToken, r.SubjectTokenType = g.SubjectToken.ValueString(), g.SubjectTokenType.ValueString()
		r.ActorToken, r.ActorTokenType = g.ActorToken.ValueString(), g.ActorTokenType.ValueString()
		r.RequestedTokenType = g.RequestedTokenType.ValueString()
	}
	if !m.GrantType.IsNull() {
		r.GrantType = m.GrantType.ValueString()
	}
	if !m.Scopes.IsNull() {
		r.Scopes = stringList(m.Scopes)
	}
	if !m.Audience.IsNull() {
		r.Audience = m.Audience.ValueString()
	}
	if !m.Resource.IsNull() {
		r.Resources = stringList(m.Resource)
	}
	if !m.ParamsIn.IsNull() {
		r.ParamsIn = m.ParamsIn.ValueString()
	}
	if r.ExtraParams == nil {
		r.ExtraParams = map[string]string{}
	}
	maps.Copy(r.ExtraParams, stringMap(m.ExtraParams))
	if r.Headers == nil {
		r.Headers = map[string]string{}
	}
	tokenHeaders := stringMap(m.Headers)
	maps.Copy(r.Headers, tokenHeaders)
	// Checked again here, with client_auth final: with issuer_url it is
	// known only after discovery, and a provider-level Authorization header
	// would otherwise replace the Basic credentials.
	for name := range r.Headers {
		if problem := oauth2client.CheckHeader(name, r.ClientAuth); problem != "" {
			at := path.Root("headers").AtMapKey(name)
			if _, own := tokenHeaders[name]; !own {
				problem = "The provider's headers: " + problem
			}
			diags.AddAttributeError(at, "Header Not Allowed", problem)
		}
	}
	return r, diags
}

// setTokenOutputs writes a token into the model's computed attributes; a
// field the server did not send becomes null.
func setTokenOutputs(ctx context.Context, m *tokenModel, t *oauth2client.Token) diag.Diagnostics {
	m.AccessToken = types.StringValue(t.AccessToken)
	m.TokenType = types.StringNull()
	if t.TokenType != "" {
		m.TokenType = types.StringValue(t.TokenType)
	}
	m.AuthorizationHeader = types.StringValue(t.AuthorizationHeader())
	m.ExpiresIn = types.Int64PointerValue(t.ExpiresIn)
	m.ExpiresAt = types.StringNull()
	if t.ExpiresAt != nil {
		m.ExpiresAt = types.StringValue(t.ExpiresAt.UTC().Format(time.RFC3339))
	}
	m.Scope = types.StringPointerValue(t.Scope)
	m.RefreshToken = types.StringPointerValue(t.RefreshToken)
	m.IDToken = types.StringPointerValue(t.IDToken)
	m.IssuedTokenType = types.StringPointerValue(t.IssuedTokenType)
	extra, diags := types.MapValueFrom(ctx, types.StringType, t.Extra)
	m.Extra = extra
	return diags
}

// dynamicToGo turns a Terraform value of any type into the Go value its JSON
// encoding has: objects and maps become map[string]any, lists, sets and
// tuples []any, whole numbers int64 (JWT times must be integers).
func dynamicToGo(v attr.Value) (any, error) {
	if v == nil || v.IsNull() {
		return nil, nil
	}
	if v.IsUnknown() {
		return nil, errors.New("a value is not known yet")
	}
	elements := func(vs []attr.Value) ([]any, error) {
		out := make([]any, 0, len(vs))
		for _, e := range vs {
			g, err := dynamicToGo(e)
			if err != nil {
				return nil, err
			}
			out = append(out, g)
		}
		return out, nil
	}
	fields := func(vs map[string]attr.Value) (map[string]any, error) {
		out := make(map[string]any, len(vs))
		for k, e := range vs {
			g, err := dynamicToGo(e)
			if err != nil {
				return nil, err
			}
			out[k] = g
		}
		return out, nil
	}
	switch x := v.(type) {
	case types.Dynamic:
		return dynamicToGo(x.UnderlyingValue())
	case types.String:
		return x.ValueString(), nil
	case types.Bool:
		return x.ValueBool(), nil
	case types.Int64:
		return x.ValueInt64(), nil
	case types.Float64:
		return x.ValueFloat64(), nil
	case types.Number:
		f := x.ValueBigFloat()
		if f.IsInt() {
			if i, acc := f.Int64(); acc == big.Exact {
				return i, nil
			}
		}
		f64, _ := f.Float64()
		return f64, nil
	case types.Object:
		return fields(x.Attributes())
	case types.Map:
		return fields(x.Elements())
	case types.List:
		return elements(x.Elements())
	case types.Set:
		return elements(x.Elements())
	case types.Tuple:
		return elements(x.Elements())
	}
	return nil, fmt.Errorf("values of type %s cannot be claims", v.Type(context.Background()))
}

func valueOr(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// stringList reads a known list of strings; null and unknown read as nil.
func stringList(l types.List) []string {
	if l.IsNull() || l.IsUnknown() {
		return nil
	}
	out := make([]string, 0, len(l.Elements()))
	for _, e := range l.Elements() {
		if s, ok := e.(types.String); ok && !s.IsNull() && !s.IsUnknown() {
			out = append(out, s.ValueString())
		}
	}
	return out
}

// stringMap reads a known map of strings; null and unknown read as nil.
func stringMap(m types.Map) map[string]string {
	if m.IsNull() || m.IsUnknown() {
		return nil
	}
	out := make(map[string]string, len(m.Elements()))
	for k, e := range m.Elements() {
		if s, ok := e.(types.String); ok && !s.IsNull() && !s.IsUnknown() {
			out[k] = s.ValueString()
		}
	}
	return out
}
