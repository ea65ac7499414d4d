// Package provider is the Terraform glue around internal/oauth2client: the
// provider block, the oauth2_token data source and ephemeral resource, and
// the mapping between their schemas and a token request.
package provider

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/oauth2client"
)

var (
	_ provider.Provider                       = (*oauth2Provider)(nil)
	_ provider.ProviderWithEphemeralResources = (*oauth2Provider)(nil)
	_ provider.ProviderWithValidateConfig     = (*oauth2Provider)(nil)
)

// Environment variables the provider block falls back to, attribute by
// attribute, when the attribute is not set in the configuration.
const (
	envTokenURL     = "OAUTH2_TOKEN_URL"
	envClientID     = "OAUTH2_CLIENT_ID"
	envClientSecret = "OAUTH2_CLIENT_SECRET"
	envClientAuth   = "OAUTH2_CLIENT_AUTH"
)

// New returns the provider factory; version is set at release time.
func New(version string) func() provider.Provider {
	return func() provider.Provider {
		return &oauth2Provider{version: version, now: time.Now}
	}
}

type oauth2Provider struct {
	version string
	// now is the clock expires_at is computed with; tests replace it.
	now func() time.Time
}

type providerModel struct {
	TokenURL     types.String `tfsdk:"token_url"`
	ClientID     types.String `tfsdk:"client_id"`
	ClientSecret types.String `tfsdk:"client_secret"`
	ClientAuth   types.String `tfsdk:"client_auth"`
	Scopes       types.List   `tfsdk:"scopes"`
	Audience     types.String `tfsdk:"audience"`
	Resource     types.List   `tfsdk:"resource"`
	ExtraParams  types.Map    `tfsdk:"extra_params"`
	ParamsIn     types.String `tfsdk:"params_in"`
	Headers      types.Map    `tfsdk:"headers"`
	Timeout      types.String `tfsdk:"timeout"`
}

// providerData is what Configure hands to the data source and the ephemeral
// resource: one HTTP client and the provider-level request settings that
// each token request starts from.
type providerData struct {
	client   *oauth2client.Client
	defaults oauth2client.Request
	// unknown names an attribute whose value is not known yet (it depends
	// on a resource not yet created), or is "" when all are known.
	unknown string
}

func (p *oauth2Provider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "oauth2"
	resp.Version = p.version
}

func (p *oauth2Provider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Configures the OAuth2 token endpoint and the client credentials every `oauth2_token` " +
			"starts from. Each attribute set here wins over its environment variable.",
		Attributes: map[string]schema.Attribute{
			"token_url": schema.StringAttribute{
				MarkdownDescription: "The token endpoint (RFC 6749 section 3.2), an absolute `https://` (or `http://`) " +
					"URL. Falls back to the `" + envTokenURL + "` environment variable; " +
					"one of the two is required.",
				Optional:   true,
				Validators: []validator.String{tokenURLValidator{}},
			},
			"client_id": schema.StringAttribute{
				MarkdownDescription: "The client identifier (RFC 6749 section 2.2). Falls back to `" + envClientID + "`.",
				Optional:            true,
			},
			"client_secret": schema.StringAttribute{
				MarkdownDescription: "The client secret. Falls back to `" + envClientSecret + "`; prefer the " +
					"environment variable or an ephemeral value to keep it out of files.",
				Optional:  true,
				Sensitive: true,
			},
			"client_auth": schema.StringAttribute{
				MarkdownDescription: "How the client authenticates to the token endpoint: " + valuesList(oauth2client.ClientAuthMethods) +
					". `client_secret_basic` sends `client_id` and `client_secret` form-encoded in an HTTP Basic header " +
					"(RFC 6749 section 2.3.1); `client_secret_post` sends them in the request body; `none` sends only " +
					"`client_id` with the grant parameters (public clients). Defaults to `client_secret_basic` when a " +
					"client secret is set and `none` otherwise. Falls back to `" + envClientAuth + "`. The provider never " +
					"retries with another method.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.OneOf(oauth2client.ClientAuthMethods...)},
			},
			"scopes":       schema.ListAttribute{MarkdownDescription: descScopes, Optional: true, ElementType: types.StringType},
			"audience":     schema.StringAttribute{MarkdownDescription: descAudience, Optional: true},
			"resource":     schema.ListAttribute{MarkdownDescription: descResource, Optional: true, ElementType: types.StringType},
			"extra_params": schema.MapAttribute{MarkdownDescription: descExtraParams, Optional: true, ElementType: types.StringType, Validators: extraParamsValidators},
			"params_in": schema.StringAttribute{
				MarkdownDescription: descParamsIn,
				Optional:            true,
				Validators:          []validator.String{stringvalidator.OneOf(oauth2client.ParamsLocations...)},
			},
			"headers": schema.MapAttribute{MarkdownDescription: descHeaders, Optional: true, ElementType: types.StringType, Validators: headersValidators},
			"timeout": schema.StringAttribute{
				MarkdownDescription: "How long one token request may take, as a Go duration such as `10s` or `1m30s`. " +
					"Defaults to `" + oauth2client.DefaultTimeout.String() + "`.",
				Optional:   true,
				Validators: []validator.String{durationValidator{}},
			},
		},
	}
}

// ValidateConfig checks the rules that span attributes and environment
// variables, so a mistake fails `terraform validate`, not the first read.
func (p *oauth2Provider) ValidateConfig(ctx context.Context, req provider.ValidateConfigRequest, resp *provider.ValidateConfigResponse) {
	var config providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	s, unknown := resolveSettings(config)
	if unknown != "" {
		return
	}
	validateSettings(s, &resp.Diagnostics)
}

func (p *oauth2Provider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var config providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	s, unknown := resolveSettings(config)
	ctx = maskSecrets(ctx, s.request.ClientSecret)
	if unknown == "" {
		validateSettings(s, &resp.Diagnostics)
		if resp.Diagnostics.HasError() {
			return
		}
	}
	timeout, _ := time.ParseDuration(s.timeout)
	data := &providerData{
		client:   oauth2client.New(timeout, p.now),
		defaults: s.request,
		unknown:  unknown,
	}
	tflog.Debug(ctx, "Configured the oauth2 provider", map[string]any{
		"token_url":   s.request.TokenURL,
		"client_id":   s.request.ClientID,
		"client_auth": s.request.ClientAuth,
		"params_in":   s.request.ParamsIn,
	})
	resp.DataSourceData = data
	resp.EphemeralResourceData = data
}

func (p *oauth2Provider) Resources(context.Context) []func() resource.Resource { return nil }

func (p *oauth2Provider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{NewTokenDataSource}
}

func (p *oauth2Provider) EphemeralResources(context.Context) []func() ephemeral.EphemeralResource {
	return []func() ephemeral.EphemeralResource{NewTokenEphemeralResource}
}

// settings is the provider block after environment fallbacks and defaults.
type settings struct {
	request oauth2client.Request
	timeout string
	// from records where each of the env-backed values came from, so an
	// error can name the attribute or the variable the user set.
	from map[string]string
}

// resolveSettings applies the environment fallbacks: an attribute set in the
// configuration always wins over its environment variable. It returns the
// name of the first attribute whose value is unknown, if any.
func resolveSettings(c providerModel) (settings, string) {
	s := settings{from: map[string]string{}}
	unknown := ""
	str := func(name string, v types.String, env string) string {
		if v.IsUnknown() {
			if unknown == "" {
				unknown = name
			}
			return ""
		}
		if !v.IsNull() {
			s.from[name] = name
			return v.ValueString()
		}
		if env != "" {
			if ev, ok := os.LookupEnv(env); ok {
				s.from[name] = "the " + env + " environment variable"
				return ev
			}
		}
		return ""
	}
	r := &s.request
	r.TokenURL = str("token_url", c.TokenURL, envTokenURL)
	r.ClientID = str("client_id", c.ClientID, envClientID)
	r.ClientSecret = str("client_secret", c.ClientSecret, envClientSecret)
	r.ClientAuth = str("client_auth", c.ClientAuth, envClientAuth)
	r.Audience = str("audience", c.Audience, "")
	r.ParamsIn = str("params_in", c.ParamsIn, "")
	s.timeout = str("timeout", c.Timeout, "")
	for name, v := range map[string]interface{ IsUnknown() bool }{
		"scopes": c.Scopes, "resource": c.Resource, "extra_params": c.ExtraParams, "headers": c.Headers,
	} {
		if v.IsUnknown() && unknown == "" {
			unknown = name
		}
	}
	r.Scopes = stringList(c.Scopes)
	r.Resources = stringList(c.Resource)
	r.ExtraParams = stringMap(c.ExtraParams)
	r.Headers = stringMap(c.Headers)
	if r.ClientAuth == "" {
		r.ClientAuth = oauth2client.DefaultClientAuth(r.ClientSecret)
	}
	if r.ParamsIn == "" {
		r.ParamsIn = oauth2client.ParamsInBody
	}
	return s, unknown
}

// validateSettings checks what the schema validators cannot see: values
// that came from the environment, and rules across attributes.
func validateSettings(s settings, diags interface {
	AddAttributeError(path.Path, string, string)
	AddAttributeWarning(path.Path, string, string)
}) {
	r := s.request
	switch {
	case r.TokenURL == "":
		diags.AddAttributeError(path.Root("token_url"), "Missing Token URL",
			"The provider needs the token endpoint of the authorization server. Set token_url in the provider "+
				"block or the "+envTokenURL+" environment variable.")
	case s.from["token_url"] != "token_url":
		if problem := oauth2client.CheckTokenURL(r.TokenURL); problem != "" {
			diags.AddAttributeError(path.Root("token_url"), "Invalid Token URL",
				fmt.Sprintf("The token URL from %s is not usable. %s", s.from["token_url"], problem))
		}
	}
	if from := s.from["client_auth"]; from != "" && from != "client_auth" && !contains(oauth2client.ClientAuthMethods, r.ClientAuth) {
		diags.AddAttributeError(path.Root("client_auth"), "Invalid Client Authentication Method",
			fmt.Sprintf("%s is %q; it must be one of %s.", from, r.ClientAuth, strings.Join(quoteAll(oauth2client.ClientAuthMethods), ", ")))
	}
	if (r.ClientAuth == oauth2client.AuthClientSecretBasic || r.ClientAuth == oauth2client.AuthClientSecretPost) && r.ClientSecret == "" {
		diags.AddAttributeError(path.Root("client_secret"), "Missing Client Secret",
			fmt.Sprintf("client_auth is %q, which sends a client secret, but none is set. Set client_secret or the "+
				"%s environment variable, or set client_auth = \"none\" for a public client.", r.ClientAuth, envClientSecret))
	}
	if (r.ClientAuth == oauth2client.AuthClientSecretBasic || r.ClientAuth == oauth2client.AuthClientSecretPost) && r.ClientID == "" {
		diags.AddAttributeError(path.Root("client_id"), "Missing Client ID",
			fmt.Sprintf("client_auth is %q, which sends a client ID with the secret, but none is set. Set client_id "+
				"or the %s environment variable.", r.ClientAuth, envClientID))
	}
	if r.ClientAuth == oauth2client.AuthNone && r.ClientSecret != "" {
		diags.AddAttributeWarning(path.Root("client_auth"), "Client Secret Not Sent",
			fmt.Sprintf("client_auth is \"none\", so the client secret from %s is never sent. Remove it, or set "+
				"client_auth to the method the server expects.", s.from["client_secret"]))
	}
	for name := range r.Headers {
		if problem := oauth2client.CheckHeader(name, r.ClientAuth); problem != "" {
			diags.AddAttributeError(path.Root("headers").AtMapKey(name), "Header Not Allowed", problem)
		}
	}
}
