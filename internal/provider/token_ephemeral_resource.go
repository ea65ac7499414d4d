package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
)

var (
	_ ephemeral.EphemeralResource              = (*tokenEphemeralResource)(nil)
	_ ephemeral.EphemeralResourceWithConfigure = (*tokenEphemeralResource)(nil)
)

// NewTokenEphemeralResource returns the oauth2_token ephemeral resource.
func NewTokenEphemeralResource() ephemeral.EphemeralResource {
	return &tokenEphemeralResource{}
}

type tokenEphemeralResource struct {
	data *providerData
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
	var model tokenModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &model)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, diags := fetchToken(ctx, e.data, &model)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.Result.Set(ctx, &model)...)
}
