package provider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	fwresource "github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

// An ephemeral token feeds a write-only argument, one of the places the docs
// name for it: the argument receives the token at apply time and the state
// keeps nothing of it. The write-only argument belongs to wosink_secret, a
// resource of a provider that exists only in this test, which records a
// SHA-256 of what it received so the test can tell which token that was.
//
// It runs on Terraform 1.11 and on OpenTofu 1.11, the first releases of each
// with write-only arguments (featureWriteOnlyArguments).
func TestAccTokenEphemeralResource_writeOnlyArgument(t *testing.T) {
	srv := basicServer(t)
	factories := protoV6ProviderFactories()
	factories["wosink"] = providerserver.NewProtocol6WithError(writeOnlySinkProvider{})
	ephemeralUnitTest(t, resource.TestCase{
		TerraformVersionChecks:   writeOnlyVersions,
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{{
			Config: providerBlock(srv.URL) + `
ephemeral "oauth2_token" "test" {}

resource "wosink_secret" "test" {
  value = ephemeral.oauth2_token.test.access_token
}
`,
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckNoResourceAttr("wosink_secret.test", "value"),
				resource.TestCheckResourceAttrWith("wosink_secret.test", "value_sha256", func(got string) error {
					for _, token := range srv.Issued() {
						if sum := sha256.Sum256([]byte(token)); hex.EncodeToString(sum[:]) == got {
							return nil
						}
					}
					return fmt.Errorf("the write-only argument got something other than a token the server issued (%d issued)",
						len(srv.Issued()))
				}),
			),
		}},
	})
}

// writeOnlySinkProvider serves wosink_secret.
type writeOnlySinkProvider struct{}

func (writeOnlySinkProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "wosink"
}

func (writeOnlySinkProvider) Schema(context.Context, provider.SchemaRequest, *provider.SchemaResponse) {
}

func (writeOnlySinkProvider) Configure(context.Context, provider.ConfigureRequest, *provider.ConfigureResponse) {
}

func (writeOnlySinkProvider) Resources(context.Context) []func() fwresource.Resource {
	return []func() fwresource.Resource{func() fwresource.Resource { return writeOnlySink{} }}
}

func (writeOnlySinkProvider) DataSources(context.Context) []func() datasource.DataSource { return nil }

// writeOnlySink takes a write-only value and stores only its SHA-256.
type writeOnlySink struct{}

type writeOnlySinkModel struct {
	Value       types.String `tfsdk:"value"`
	ValueSHA256 types.String `tfsdk:"value_sha256"`
}

func (writeOnlySink) Metadata(_ context.Context, req fwresource.MetadataRequest, resp *fwresource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_secret"
}

func (writeOnlySink) Schema(_ context.Context, _ fwresource.SchemaRequest, resp *fwresource.SchemaResponse) {
	resp.Schema = schema.Schema{Attributes: map[string]schema.Attribute{
		"value":        schema.StringAttribute{Required: true, WriteOnly: true, Sensitive: true},
		"value_sha256": schema.StringAttribute{Computed: true},
	}}
}

// Create and Update read the value from the configuration: write-only
// values are only ever there, never in the plan or the state.
func (writeOnlySink) Create(ctx context.Context, req fwresource.CreateRequest, resp *fwresource.CreateResponse) {
	var m writeOnlySinkModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, sinkState(m))...)
}

func (writeOnlySink) Read(context.Context, fwresource.ReadRequest, *fwresource.ReadResponse) {}

func (writeOnlySink) Update(ctx context.Context, req fwresource.UpdateRequest, resp *fwresource.UpdateResponse) {
	var m writeOnlySinkModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, sinkState(m))...)
}

func (writeOnlySink) Delete(context.Context, fwresource.DeleteRequest, *fwresource.DeleteResponse) {}

// sinkState is what the state keeps of a configuration: the write-only
// value itself must be null there.
func sinkState(config writeOnlySinkModel) writeOnlySinkModel {
	sum := sha256.Sum256([]byte(config.Value.ValueString()))
	return writeOnlySinkModel{Value: types.StringNull(), ValueSHA256: types.StringValue(hex.EncodeToString(sum[:]))}
}
