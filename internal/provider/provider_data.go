package provider

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/oauth2client"
)

// providerData is what Configure hands to the data source and the ephemeral
// resource: the parsed provider configuration, one HTTP client and the
// token cache.
type providerData struct {
	config *providerConfig
	client *oauth2client.Client
	// cache shares tokens among identical oauth2_tokens; nil when the
	// provider's cache = false.
	cache *oauth2client.Cache
	now   func() time.Time

	// Discovery runs once per provider process: every token of a run shares
	// the document. A failure is not kept, so a later read tries again.
	mu       sync.Mutex
	metadata *oauth2client.Metadata

	// files are the ephemeral oauth2_tokens' token files, kept fresh by
	// Renew (token_file.go).
	files tokenFiles
}

// endpoints is what a token request needs from the provider: the request
// every token starts from, with the token endpoint and the client
// authentication resolved, and where revocation goes ("" when unknown).
func (d *providerData) endpoints(ctx context.Context) (oauth2client.Request, string, diag.Diagnostics) {
	var diags diag.Diagnostics
	if d == nil {
		diags.AddError("Provider Not Configured",
			"The oauth2 provider was not configured before the token was requested. This is a bug in the "+
				"provider; please report it.")
		return oauth2client.Request{}, "", diags
	}
	cfg := d.config
	if cfg.unknown != "" {
		diags.AddError("Provider Configuration Not Known Yet",
			fmt.Sprintf("The provider's %s depends on a value that is known only after apply, so no token can be "+
				"requested now. Set it from values known at plan time (variables, locals, data sources).", cfg.unknown))
		return oauth2client.Request{}, "", diags
	}
	if cfg.issuerURL == "" {
		req, diags := cfg.baseRequest(cfg.tokenURL, cfg.clientAuth)
		return req, cfg.revocationURL, diags
	}

	md, err := d.discover(ctx)
	if err != nil {
		// Reported without an attribute path: the token's own block has no
		// issuer_url; the text names the provider's.
		addError(&diags, err)
		return oauth2client.Request{}, "", diags
	}
	revocation := cfg.revocationURL
	if revocation == "" {
		revocation = md.RevocationEndpoint
	}
	method := cfg.clientAuth
	if method == "" && cfg.assertionSource != nil {
		method = oauth2client.AuthPrivateKeyJWT
	}
	if method == "" {
		method = oauth2client.PickClientAuth(md.TokenEndpointAuthMethodsSupported, cfg.clientSecret != "", cfg.signingKey != nil)
		if method == "" {
			diags.AddError("No Usable Client Authentication Method",
				fmt.Sprintf("The server at the provider's issuer_url (%s) supports none of the client authentication "+
					"methods this configuration can serve. %s", cfg.issuerURL,
					noClientAuthReason(md.TokenEndpointAuthMethodsSupported, cfg.clientSecret != "", cfg.signingKey != nil)))
			return oauth2client.Request{}, "", diags
		}
	}
	req, diags := cfg.baseRequest(md.TokenEndpoint, method)
	return req, revocation, diags
}

// secrets are the provider-level values no log line may show.
func (d *providerData) secrets() []string {
	if d == nil || d.config == nil {
		return nil
	}
	return []string{d.config.clientSecret}
}

func (d *providerData) discover(ctx context.Context) (*oauth2client.Metadata, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.metadata != nil {
		return d.metadata, nil
	}
	md, err := d.client.Discover(ctx, d.config.issuerURL)
	if err != nil {
		return nil, err
	}
	d.metadata = md
	return md, nil
}
