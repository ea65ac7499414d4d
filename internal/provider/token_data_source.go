package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/oauth2client"
)

var (
	_ datasource.DataSource                   = (*tokenDataSource)(nil)
	_ datasource.DataSourceWithConfigure      = (*tokenDataSource)(nil)
	_ datasource.DataSourceWithValidateConfig = (*tokenDataSource)(nil)
)

type tokenDataSource struct {
	provider *oauth2Provider
	data     *providerData
}

// ValidateConfig checks the provider's environment when Terraform did not
// validate the provider block (see validateEnvironment).
func (d *tokenDataSource) ValidateConfig(_ context.Context, _ datasource.ValidateConfigRequest, resp *datasource.ValidateConfigResponse) {
	d.provider.validateEnvironment(&resp.Diagnostics)
}

func (d *tokenDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_token"
}

func (d *tokenDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "~> **The token is stored in the plan and the state.** Anyone who can read them can " +
			"use it until it expires. Prefer the `oauth2_token` ephemeral resource wherever the consumer accepts " +
			"ephemeral values: provider blocks, write-only arguments and provisioners (Terraform 1.10 or later, " +
			"OpenTofu 1.11 or later).\n\n" +
			"Requests an OAuth2 access token from the provider's token endpoint each time Terraform reads it, for " +
			"consumers that need the token at plan time, such as the request headers of `data \"http\"`.",
		Attributes: tokenDataSourceAttributes(),
	}
}

func (d *tokenDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, _ *datasource.ConfigureResponse) {
	if data, ok := req.ProviderData.(*providerData); ok {
		d.data = data
	}
}

func (d *tokenDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	ctx = maskSecrets(ctx)
	ctx, call, diags := readToken(ctx, d.data, req.Config.Raw)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	_, token, diags := fetchToken(ctx, d.data, call, oauth2client.ConsumerDataSource, true)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.State.Raw = withResults(req.Config.Raw.Type(), call.in, token)
}
