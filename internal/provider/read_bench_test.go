package provider

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/tokenserver"
)

// BenchmarkReadDataSource measures what one oauth2_token data source costs
// the provider in a plan, through the protocol server as the CLI calls it:
// validating its configuration and reading it, with the token shared from
// the cache (as 99 of 100 identical consumers are). make bench reports the
// same cost measured in a real CLI's plan.
func BenchmarkReadDataSource(b *testing.B) {
	ctx := context.Background()
	srv := httptest.NewServer(tokenserver.New(tokenserver.Options{
		Clients: []tokenserver.Client{{ID: "bench", Secret: "bench-secret", Auth: tokenserver.AuthBasic, Scopes: []string{"read"}}},
	}))
	b.Cleanup(srv.Close)
	server, err := providerserver.NewProtocol6WithError(&oauth2Provider{version: "bench", now: time.Now})()
	if err != nil {
		b.Fatal(err)
	}
	if _, err := server.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{}); err != nil {
		b.Fatal(err)
	}

	var schema datasource.SchemaResponse
	(&tokenDataSource{}).Schema(ctx, datasource.SchemaRequest{}, &schema)
	dsType := schema.Schema.Type().TerraformType(ctx)
	attrs := map[string]tftypes.Value{}
	dsObject, ok := dsType.(tftypes.Object)
	if !ok {
		b.Fatalf("the data source's type is %T", dsType)
	}
	for name, typ := range dsObject.AttributeTypes {
		attrs[name] = tftypes.NewValue(typ, nil)
	}
	attrs["scopes"] = tftypes.NewValue(tftypes.List{ElementType: tftypes.String},
		[]tftypes.Value{tftypes.NewValue(tftypes.String, "read")})
	config, err := tfprotov6.NewDynamicValue(dsType, tftypes.NewValue(dsType, attrs))
	if err != nil {
		b.Fatal(err)
	}

	var provSchema tfprotov6.GetProviderSchemaResponse
	if resp, err := server.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{}); err == nil {
		provSchema = *resp
	}
	provType := provSchema.Provider.ValueType()
	provAttrs := map[string]tftypes.Value{}
	provObject, ok := provType.(tftypes.Object)
	if !ok {
		b.Fatalf("the provider's type is %T", provType)
	}
	for name, typ := range provObject.AttributeTypes {
		provAttrs[name] = tftypes.NewValue(typ, nil)
	}
	provAttrs["token_url"] = tftypes.NewValue(tftypes.String, srv.URL+"/token")
	provAttrs["client_id"] = tftypes.NewValue(tftypes.String, "bench")
	provAttrs["client_secret"] = tftypes.NewValue(tftypes.String, "bench-secret")
	provConfig, err := tfprotov6.NewDynamicValue(provType, tftypes.NewValue(provType, provAttrs))
	if err != nil {
		b.Fatal(err)
	}
	if resp, err := server.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{Config: &provConfig}); err != nil || len(resp.Diagnostics) > 0 {
		b.Fatalf("configure: %v %+v", err, resp)
	}

	read := func() {
		v, err := server.ValidateDataResourceConfig(ctx, &tfprotov6.ValidateDataResourceConfigRequest{TypeName: "oauth2_token", Config: &config})
		if err != nil || len(v.Diagnostics) > 0 {
			b.Fatalf("validate: %v %+v", err, v.Diagnostics)
		}
		r, err := server.ReadDataSource(ctx, &tfprotov6.ReadDataSourceRequest{TypeName: "oauth2_token", Config: &config})
		if err != nil || len(r.Diagnostics) > 0 {
			b.Fatalf("read: %v %+v", err, r.Diagnostics[0])
		}
	}
	read() // The one token request; the rest share its token.
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		read()
	}
}
