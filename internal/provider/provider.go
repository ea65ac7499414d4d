// Package provider is the Terraform glue around internal/oauth2client: the
// provider block (this file) and its one parse (config.go), the oauth2_token
// data source and ephemeral resource with one attribute table
// (token_schema.go, token_grants.go, token_sources.go) through which they read
// their configuration and write their results, the mapping onto a token
// request (token.go), and every sentence that tells a user what to change
// (diagnostics.go).
package provider

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/function"
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
	_ provider.ProviderWithFunctions          = (*oauth2Provider)(nil)
	_ provider.ProviderWithValidateConfig     = (*oauth2Provider)(nil)
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
	// validated is set once Terraform has validated the provider block.
	// Terraform and OpenTofu skip that for an empty block, so the tokens
	// then check the environment themselves (validateEnvironment).
	validated atomic.Bool
	// envChecked makes validateEnvironment report once.
	envChecked atomic.Bool
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
	Retry        types.Object `tfsdk:"retry"`
	Cache        types.Bool   `tfsdk:"cache"`
	ProxyURL     types.String `tfsdk:"proxy_url"`
	AllowHTTP    types.Bool   `tfsdk:"allow_insecure_http"`

	ClientAssertionSource types.Object `tfsdk:"client_assertion_source"`

	IssuerURL          types.String `tfsdk:"issuer_url"`
	RevocationURL      types.String `tfsdk:"revocation_url"`
	PrivateKey         types.String `tfsdk:"private_key"`
	PrivateKeyID       types.String `tfsdk:"private_key_id"`
	PrivateKeyCert     types.String `tfsdk:"private_key_certificate_pem"`
	SigningAlgorithm   types.String `tfsdk:"signing_algorithm"`
	ClientCertificate  types.String `tfsdk:"client_certificate_pem"`
	ClientKey          types.String `tfsdk:"client_key_pem"`
	CACertificate      types.String `tfsdk:"ca_certificate_pem"`
	InsecureSkipVerify types.Bool   `tfsdk:"insecure_skip_verify"`
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
					"URL. Falls back to the `" + envTokenURL + "` environment variable. Exactly one of `token_url` and " +
					"`issuer_url` is required, from the configuration or the environment.",
				Optional:   true,
				Validators: []validator.String{urlValidator},
			},
			"issuer_url": schema.StringAttribute{
				MarkdownDescription: "The authorization server's issuer identifier, for discovery instead of `token_url`: " +
					"the provider reads `<issuer_url>/.well-known/openid-configuration` (OpenID Connect Discovery 1.0), " +
					"falling back to the RFC 8414 `/.well-known/oauth-authorization-server` document, checks that its " +
					"`issuer` matches, and takes the token and revocation endpoints from it, once per provider process. " +
					"When `client_auth` is unset it is picked from the server's `token_endpoint_auth_methods_supported`. " +
					"Falls back to `" + envIssuerURL + "`.",
				Optional:   true,
				Validators: []validator.String{issuerURLValidator},
			},
			"revocation_url": schema.StringAttribute{
				MarkdownDescription: "The token revocation endpoint (RFC 7009), for `revoke_on_close` on the ephemeral " +
					"resource. Defaults to the discovered `revocation_endpoint` when `issuer_url` is set.",
				Optional:   true,
				Validators: []validator.String{urlValidator},
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
			"client_assertion_source": sourceAttr("Where to get the client's assertion (RFC 7523 section 2.2, sent " +
				"with `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`) for every request: " +
				"an identity token a CI system issues to the job, which the server verifies against the issuer it trusts, " +
				"as Microsoft Entra ID's federated credentials and Keycloak's federated client authentication do. The " +
				"wire format is `private_key_jwt`'s, so `client_auth` defaults to `private_key_jwt` when this is set. It " +
				"cannot be combined with `client_secret` or `private_key`.").providerAttribute(),
			"client_auth": schema.StringAttribute{
				MarkdownDescription: "How the client authenticates to the token endpoint: " + valuesList(oauth2client.ClientAuthMethods) +
					". `client_secret_basic` sends `client_id` and `client_secret` form-encoded in an HTTP Basic header " +
					"(RFC 6749 section 2.3.1); `client_secret_post` sends them in the request body; `client_secret_jwt` " +
					"and `private_key_jwt` send a short-lived JWT client assertion (RFC 7523 section 2.2, OpenID Connect " +
					"Core section 9) signed HS256 with the client secret or with `private_key`; `tls_client_auth` and " +
					"`self_signed_tls_client_auth` (RFC 8705) authenticate with `client_certificate_pem`; `none` sends only " +
					"`client_id` (public clients). Defaults to `private_key_jwt` with `client_assertion_source`, to " +
					"`client_secret_basic` when a client secret is set, and to `none` otherwise, or, with `issuer_url`, to what the server supports. Falls back to `" + envClientAuth + "`. " +
					"The provider never retries with another method.",
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
			"headers": schema.MapAttribute{MarkdownDescription: descHeaders, Optional: true, Sensitive: true, ElementType: types.StringType, Validators: headersValidators},
			"private_key": schema.StringAttribute{
				MarkdownDescription: "PEM private key (PKCS#8, PKCS#1 or SEC1; RSA of 2048 bits or more, ECDSA P-256/P-384/" +
					"P-521 or Ed25519) that signs `private_key_jwt` client assertions and `jwt_bearer_grant` claims. Falls " +
					"back to `" + envPrivateKey + "`.",
				Optional:  true,
				Sensitive: true,
			},
			"private_key_id": schema.StringAttribute{
				MarkdownDescription: "Sent as the `kid` header of the JWTs `private_key` signs, so the server can pick the " +
					"key registered for the client.",
				Optional: true,
			},
			"private_key_certificate_pem": schema.StringAttribute{
				MarkdownDescription: "The PEM certificate of `private_key`. When set, the JWTs the key signs carry the " +
					"certificate's SHA-1 and SHA-256 thumbprints as `x5t` and `x5t#S256` headers (RFC 7515), which " +
					"servers that register certificates rather than keys, such as Microsoft Entra ID, use to find the " +
					"credential.",
				Optional: true,
			},
			"signing_algorithm": schema.StringAttribute{
				MarkdownDescription: "JWS algorithm for `private_key`: " + valuesList(oauth2client.SigningAlgorithms) +
					". Defaults from the key: `RS256` for RSA, `ES256`/`ES384`/`ES512` for P-256/P-384/P-521, `EdDSA` for Ed25519.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.OneOf(oauth2client.SigningAlgorithms...)},
			},
			"client_certificate_pem": schema.StringAttribute{
				MarkdownDescription: "PEM client certificate (and chain) for mutual TLS (RFC 8705), presented whenever a " +
					"server the provider calls asks for one. Requires `client_key_pem`.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.AlsoRequires(path.MatchRoot("client_key_pem"))},
			},
			"client_key_pem": schema.StringAttribute{
				MarkdownDescription: "PEM private key of `client_certificate_pem`.",
				Optional:            true,
				Sensitive:           true,
				Validators:          []validator.String{stringvalidator.AlsoRequires(path.MatchRoot("client_certificate_pem"))},
			},
			"ca_certificate_pem": schema.StringAttribute{
				MarkdownDescription: "PEM certificates trusted in addition to the system's roots, for servers with a " +
					"private certificate authority.",
				Optional: true,
			},
			"insecure_skip_verify": schema.BoolAttribute{
				MarkdownDescription: "Skip the verification of the server's certificate. Anyone on the network path can " +
					"then read the client credentials and the tokens; use it only to diagnose, never in production.",
				Optional: true,
			},
			"timeout": schema.StringAttribute{
				MarkdownDescription: "How long one attempt of a request may take, from connecting to reading the whole " +
					"response, as a Go duration such as `10s` or `1m30s`. Defaults to `" + oauth2client.DefaultTimeout.String() + "`.",
				Optional:   true,
				Validators: []validator.String{durationValidator},
			},
			"cache": schema.BoolAttribute{
				MarkdownDescription: "Share tokens within a run: identical `oauth2_token`s (same endpoint, client, grant " +
					"and inputs, scopes, audience, resource, parameters and headers) are requested once, and the token is " +
					"reused while it has `min_validity` left. Secrets are part of the comparison only as SHA-256 digests. " +
					"Defaults to `true`; `false` makes one request per `oauth2_token`.",
				Optional: true,
			},
			"proxy_url": schema.StringAttribute{
				MarkdownDescription: "Proxy for every request the provider makes (`http://`, `https://` or `socks5://`). " +
					"Without it, `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` are read at each request.",
				Optional:   true,
				Validators: []validator.String{proxyURLValidator},
			},
			"allow_insecure_http": schema.BoolAttribute{
				MarkdownDescription: "Allow `http://` endpoints on hosts other than loopback. RFC 6749 section 3.2 requires " +
					"TLS for the token endpoint, because client secrets and tokens cross the network in the clear " +
					"otherwise, so the provider refuses such URLs, configured or discovered, before any request. Loopback " +
					"(`localhost`, `127.0.0.0/8`, `::1`) is always allowed, for local development. Defaults to `false`.",
				Optional: true,
			},
		},
		Blocks: map[string]schema.Block{
			"retry": schema.SingleNestedBlock{
				MarkdownDescription: "Retries of failed requests (token, discovery, revocation): after connection errors, " +
					"timeouts and the statuses 429, 500, 502, 503 and 504, with jittered exponential backoff, honouring " +
					"`Retry-After` up to `max_delay`. Other `4xx` answers are never retried, and a refresh token grant is " +
					"retried only when the server cannot have used the refresh token (no connection, 429, 503), since " +
					"servers that rotate refresh tokens accept each one once. Without this block, " +
					fmt.Sprintf("%d attempts with delays from `%s` to `%s`.", oauth2client.DefaultRetry.Attempts,
						oauth2client.DefaultRetry.MinDelay, oauth2client.DefaultRetry.MaxDelay),
				Attributes: map[string]schema.Attribute{
					"attempts": schema.Int64Attribute{
						MarkdownDescription: fmt.Sprintf("Attempts in all, the first included; `1` never retries. Defaults to `%d`.",
							oauth2client.DefaultRetry.Attempts),
						Optional:   true,
						Validators: []validator.Int64{int64validator.Between(1, 20)},
					},
					"min_delay": schema.StringAttribute{
						MarkdownDescription: "Delay before the first retry, doubled for each later one. Defaults to `" +
							oauth2client.DefaultRetry.MinDelay.String() + "`.",
						Optional:   true,
						Validators: []validator.String{durationValidator},
					},
					"max_delay": schema.StringAttribute{
						MarkdownDescription: "Longest delay between attempts, `Retry-After` included: a server asking for " +
							"a longer wait ends the retries. Defaults to `" + oauth2client.DefaultRetry.MaxDelay.String() + "`.",
						Optional:   true,
						Validators: []validator.String{durationValidator},
					},
				},
			},
		},
	}
}

// retryModel is the provider's retry block.
type retryModel struct {
	Attempts types.Int64  `tfsdk:"attempts"`
	MinDelay types.String `tfsdk:"min_delay"`
	MaxDelay types.String `tfsdk:"max_delay"`
}

// ValidateConfig checks the rules that span attributes and environment
// variables, so a mistake fails `terraform validate`, not the first read.
func (p *oauth2Provider) ValidateConfig(ctx context.Context, req provider.ValidateConfigRequest, resp *provider.ValidateConfigResponse) {
	var config providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	p.validated.Store(true)
	_, diags := parseConfig(config)
	resp.Diagnostics.Append(diags...)
}

// validateEnvironment is the provider's validation for the case Terraform
// and OpenTofu skip: a provider block that is empty (or absent), whose
// settings can then only come from the OAUTH2_* environment variables.
// When any is set, the environment is there to read, and its errors are
// reported at validate, once per provider process, by the first token that
// is validated. Without any, nothing is reported: a pipeline may set them
// only for plan and apply.
func (p *oauth2Provider) validateEnvironment(diags *diag.Diagnostics) {
	if p == nil || p.validated.Load() || !environmentSet() {
		return
	}
	if !p.envChecked.CompareAndSwap(false, true) {
		return
	}
	_, found := parseConfig(providerModel{})
	for _, d := range found.Errors() {
		diags.AddError(d.Summary(), d.Detail()+" (The provider block is empty, so its settings come from the "+
			"environment; Terraform does not validate an empty provider block, so this token reports it.)")
	}
}

// environmentSet says whether any OAUTH2_* variable the provider reads is set.
func environmentSet() bool {
	for _, name := range []string{envTokenURL, envIssuerURL, envClientID, envClientSecret, envClientAuth, envPrivateKey} {
		if _, ok := os.LookupEnv(name); ok {
			return true
		}
	}
	return false
}

func (p *oauth2Provider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var config providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	cfg, diags := parseConfig(config)
	ctx = maskSecrets(ctx, cfg.clientSecret)
	// Warnings were given at validate; only errors stop Configure.
	resp.Diagnostics.Append(diags.Errors()...)
	if resp.Diagnostics.HasError() {
		return
	}
	data := &providerData{
		config: cfg,
		client: oauth2client.New(cfg.clientOptions(p.now, userAgent(p.version, req.TerraformVersion), func(ctx context.Context, r oauth2client.RetryEvent) {
			tflog.Warn(ctx, "Retrying request", map[string]any{
				"url": r.URL, "failed_attempt": r.Attempt, "reason": r.Reason, "delay_ms": r.Delay.Milliseconds(),
			})
		})),
		now: p.now,
	}
	if cfg.cache {
		data.cache = oauth2client.NewCache(p.now)
	}
	tflog.Debug(ctx, "Configured the oauth2 provider", map[string]any{
		"token_url":   oauth2client.RedactURL(cfg.tokenURL),
		"issuer_url":  oauth2client.RedactURL(cfg.issuerURL),
		"client_id":   cfg.clientID,
		"client_auth": cfg.clientAuth,
		"params_in":   cfg.paramsIn,
	})
	resp.DataSourceData = data
	resp.EphemeralResourceData = data
}

func (p *oauth2Provider) Resources(context.Context) []func() resource.Resource { return nil }

func (p *oauth2Provider) DataSources(context.Context) []func() datasource.DataSource {
	// The tokens know their provider, for validateEnvironment.
	return []func() datasource.DataSource{func() datasource.DataSource { return &tokenDataSource{provider: p} }}
}

func (p *oauth2Provider) EphemeralResources(context.Context) []func() ephemeral.EphemeralResource {
	return []func() ephemeral.EphemeralResource{func() ephemeral.EphemeralResource { return &tokenEphemeralResource{provider: p} }}
}

func (p *oauth2Provider) Functions(context.Context) []func() function.Function {
	return []func() function.Function{NewJWTClaimsFunction}
}

// userAgent is "terraform-provider-oauth2/<version>" followed by the CLI and
// its version as the framework reports them.
func userAgent(version, cliVersion string) string {
	if version == "" {
		version = "dev"
	}
	ua := "terraform-provider-oauth2/" + version
	if cliVersion != "" {
		ua += " Terraform/" + cliVersion
	}
	return ua
}
