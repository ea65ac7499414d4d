package provider

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/oauth2client"
	"github.com/tfoauth2/terraform-provider-oauth2/internal/tokenfile"
)

var (
	_ ephemeral.EphemeralResource                   = (*tokenEphemeralResource)(nil)
	_ ephemeral.EphemeralResourceWithConfigure      = (*tokenEphemeralResource)(nil)
	_ ephemeral.EphemeralResourceWithClose          = (*tokenEphemeralResource)(nil)
	_ ephemeral.EphemeralResourceWithRenew          = (*tokenEphemeralResource)(nil)
	_ ephemeral.EphemeralResourceWithValidateConfig = (*tokenEphemeralResource)(nil)
)

// privateRevocationKey holds, between Open and Close, what revoke_on_close
// needs and nothing more.
const privateRevocationKey = "revocation"

type revocationData struct {
	Endpoint     string            `json:"endpoint"`
	AccessToken  string            `json:"access_token"`
	RefreshToken string            `json:"refresh_token,omitempty"`
	Headers      map[string]string `json:"headers,omitempty"`
}

type tokenEphemeralResource struct {
	provider *oauth2Provider
	data     *providerData
}

// ValidateConfig checks the provider's environment when Terraform did not
// validate the provider block (see validateEnvironment).
func (e *tokenEphemeralResource) ValidateConfig(_ context.Context, _ ephemeral.ValidateConfigRequest, resp *ephemeral.ValidateConfigResponse) {
	e.provider.validateEnvironment(&resp.Diagnostics)
}

func (e *tokenEphemeralResource) Metadata(_ context.Context, req ephemeral.MetadataRequest, resp *ephemeral.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_token"
}

func (e *tokenEphemeralResource) Schema(_ context.Context, _ ephemeral.SchemaRequest, resp *ephemeral.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Requests an OAuth2 access token that is never written to the plan or the state. " +
			"Terraform opens it when a consumer needs it, in plan and again in apply, so each run gets a fresh " +
			"token. Use it for provider blocks, write-only arguments and provisioners (Terraform 1.10 or later, " +
			"OpenTofu 1.11 or later); where the consumer does not accept ephemeral values, use the `oauth2_token` " +
			"data source.",
		Attributes: tokenEphemeralAttributes(),
	}
}

func (e *tokenEphemeralResource) Configure(_ context.Context, req ephemeral.ConfigureRequest, _ *ephemeral.ConfigureResponse) {
	if data, ok := req.ProviderData.(*providerData); ok {
		e.data = data
	}
}

func (e *tokenEphemeralResource) Open(ctx context.Context, req ephemeral.OpenRequest, resp *ephemeral.OpenResponse) {
	ctx = maskSecrets(ctx)
	ctx, call, diags := readToken(ctx, e.data, req.Config.Raw)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	revoke := call.in.boolean("revoke_on_close")
	if revoke && call.revocation == "" {
		// Checked before the token is requested: a token that cannot be
		// revoked must not be issued when revocation was asked for.
		resp.Diagnostics.AddAttributeError(path.Root("revoke_on_close"), "No Revocation Endpoint",
			"revoke_on_close = true needs somewhere to revoke the token: set revocation_url in the provider block, "+
				"or use issuer_url with a server whose metadata has a revocation_endpoint.")
		return
	}
	file, diags := readTokenFile(call.in)
	resp.Diagnostics.Append(diags...)
	if file != nil {
		// Checked before the token is requested, as revocation is.
		if err := tokenfile.Check(file.path); err != nil {
			addError(&resp.Diagnostics, err)
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, token, diags := fetchToken(ctx, e.data, call, oauth2client.ConsumerEphemeral, !revoke)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Result.Raw = withResults(req.Config.Raw.Type(), call.in, token)

	if file != nil {
		renewAt, private, diags := openTokenFile(ctx, e.data, call, file, token, revoke)
		resp.Diagnostics.Append(diags...)
		if resp.Diagnostics.HasError() {
			return
		}
		// Terraform does not close a resource whose Open failed: whatever
		// fails from here on must not leave the file behind.
		defer func() {
			if resp.Diagnostics.HasError() {
				closeTokenFile(ctx, e.data, private)
			}
		}()
		resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateTokenFileKey, private)...)
		if resp.Diagnostics.HasError() {
			return
		}
		resp.RenewAt = renewAt
	}

	if revoke {
		private, err := json.Marshal(revocationData{
			Endpoint:     call.revocation,
			AccessToken:  token.AccessToken,
			RefreshToken: valueOr(token.RefreshToken),
			Headers:      call.req.Headers,
		})
		if err != nil {
			resp.Diagnostics.AddError("Revocation Data Not Kept", err.Error())
			return
		}
		resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateRevocationKey, private)...)
	}
}

// Renew puts a fresh token in the token file, the one thing a renewal can
// change: the result stays the first token's.
func (e *tokenEphemeralResource) Renew(ctx context.Context, req ephemeral.RenewRequest, resp *ephemeral.RenewResponse) {
	ctx = maskSecrets(ctx)
	raw, diags := req.Private.GetKey(ctx, privateTokenFileKey)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() || len(raw) == 0 {
		return
	}
	resp.RenewAt, diags = renewTokenFile(ctx, e.data, raw)
	resp.Diagnostics.Append(diags...)
}

// Close removes the token file, then revokes the tokens Open (and Renew)
// issued when revoke_on_close asked for it. A revocation that fails leaves
// a token that expires on its own, so it is a warning, not an error that
// would fail the run.
func (e *tokenEphemeralResource) Close(ctx context.Context, req ephemeral.CloseRequest, resp *ephemeral.CloseResponse) {
	var renewed *tokenFile
	if raw, diags := req.Private.GetKey(ctx, privateTokenFileKey); len(raw) > 0 {
		resp.Diagnostics.Append(diags...)
		var d diag.Diagnostics
		renewed, d = closeTokenFile(ctx, e.data, raw)
		resp.Diagnostics.Append(d...)
	}
	raw, diags := req.Private.GetKey(ctx, privateRevocationKey)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() || len(raw) == 0 {
		return
	}
	var rd revocationData
	if err := json.Unmarshal(raw, &rd); err != nil {
		resp.Diagnostics.AddWarning("Token Not Revoked", "The data kept for revocation could not be read: "+err.Error())
		return
	}
	revoke := []struct{ token, hint string }{
		{rd.RefreshToken, oauth2client.HintRefreshToken},
		{rd.AccessToken, oauth2client.HintAccessToken},
	}
	if renewed != nil {
		// The tokens renewals issued: the last refresh token and every
		// access token that is still valid.
		refresh, access := renewed.revocable(e.data.now())
		revoke = slices.Insert(revoke, 1, struct{ token, hint string }{refresh, oauth2client.HintRefreshToken})
		for _, a := range access {
			revoke = append(revoke, struct{ token, hint string }{a, oauth2client.HintAccessToken})
		}
	}
	secrets := e.data.secrets()
	for _, t := range revoke {
		secrets = append(secrets, t.token)
	}
	ctx = maskSecrets(ctx, secrets...)
	base, _, d := e.data.endpoints(ctx)
	if d.HasError() {
		detail := "The token was not revoked, because the provider settings revocation needs are not usable; it " +
			"stays valid until it expires."
		for _, problem := range d.Errors() {
			detail += "\n\n" + problem.Summary() + ": " + problem.Detail()
		}
		resp.Diagnostics.AddWarning("Token Not Revoked", detail)
		return
	}
	base.Headers = rd.Headers
	ctx = maskSecrets(ctx, base.Secrets()...)
	seen := map[string]bool{}
	for _, t := range revoke {
		if t.token == "" || seen[t.token] {
			continue
		}
		seen[t.token] = true
		err := e.data.client.Revoke(ctx, rd.Endpoint, base, t.token, t.hint)
		tflog.Debug(ctx, "Token revocation", map[string]any{
			"revocation_url": oauth2client.RedactURL(rd.Endpoint), "token_type_hint": t.hint,
			"client_auth": base.ClientAuthMethod(), "ok": err == nil,
		})
		if err != nil {
			addWarning(&resp.Diagnostics, err)
		}
	}
}
