package provider

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

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

// fetchToken requests the token that model describes, starting from the
// provider's settings, and fills in model's outputs. It returns ctx with
// the token's own values masked too.
func fetchToken(ctx context.Context, data *providerData, model *tokenModel) (context.Context, diag.Diagnostics) {
	var diags diag.Diagnostics
	if data == nil {
		diags.AddError("Provider Not Configured",
			"The oauth2 provider was not configured before the token was requested. This is a bug in the "+
				"provider; please report it.")
		return ctx, diags
	}
	if data.unknown != "" {
		diags.AddAttributeError(path.Root(data.unknown), "Provider Configuration Not Known Yet",
			fmt.Sprintf("The provider's %s depends on a value that is known only after apply, so no token can be "+
				"requested now. Set it from values known at plan time (variables, locals, data sources).", data.unknown))
		return ctx, diags
	}

	req, d := tokenRequest(ctx, data.defaults, model)
	diags.Append(d...)
	ctx = maskSecrets(ctx, req.ClientSecret, req.Password, req.RefreshToken)
	if diags.HasError() {
		return ctx, diags
	}

	token, outcome, err := data.client.Fetch(ctx, req)
	fields := map[string]any{
		"token_url":   req.TokenURL,
		"grant_type":  req.Grant(),
		"client_auth": req.ClientAuth,
		"params_in":   req.ParamsIn,
		"status":      outcome.Status,
		"duration_ms": outcome.Duration.Milliseconds(),
	}
	if err != nil {
		tflog.Debug(ctx, "Token request failed", fields)
		var tokenErr *oauth2client.Error
		if errors.As(err, &tokenErr) {
			diags.AddError(tokenErr.Summary(), tokenErr.Error())
		} else {
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
	for name, value := range stringMap(m.Headers) {
		if problem := oauth2client.CheckHeader(name, r.ClientAuth); problem != "" {
			diags.AddAttributeError(path.Root("headers").AtMapKey(name), "Header Not Allowed", problem)
		}
		r.Headers[name] = value
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
	extra, diags := types.MapValueFrom(ctx, types.StringType, t.Extra)
	m.Extra = extra
	return diags
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
