package provider

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/oauth2client"
)

// providerData is what Configure hands to the data source and the ephemeral
// resource: one HTTP client and the provider-level request settings that
// each token request starts from.
type providerData struct {
	client   *oauth2client.Client
	defaults oauth2client.Request
	// cache shares tokens among identical oauth2_tokens; nil when the
	// provider's cache = false.
	cache *oauth2client.Cache
	now   func() time.Time
	// issuerURL, when set, names the server whose metadata supplies the
	// token endpoint (and, unless set, revocation_url and client_auth).
	issuerURL     string
	revocationURL string
	// unknown names an attribute whose value is not known yet (it depends
	// on a resource not yet created), or is "" when all are known.
	unknown string

	// Discovery runs once per provider process: every token of a run shares
	// the document. A failure is not kept, so a later read tries again.
	mu       sync.Mutex
	metadata *oauth2client.Metadata
}

// endpoints is what a token request needs from the provider: the request
// settings with the token endpoint and client_auth resolved, and where
// revocation goes ("" when unknown).
func (d *providerData) endpoints(ctx context.Context) (oauth2client.Request, string, diag.Diagnostics) {
	var diags diag.Diagnostics
	if d == nil {
		diags.AddError("Provider Not Configured",
			"The oauth2 provider was not configured before the token was requested. This is a bug in the "+
				"provider; please report it.")
		return oauth2client.Request{}, "", diags
	}
	if d.unknown != "" {
		diags.AddError("Provider Configuration Not Known Yet",
			fmt.Sprintf("The provider's %s depends on a value that is known only after apply, so no token can be "+
				"requested now. Set it from values known at plan time (variables, locals, data sources).", d.unknown))
		return oauth2client.Request{}, "", diags
	}
	req := d.defaults
	if d.issuerURL == "" {
		return req, d.revocationURL, diags
	}

	md, err := d.discover(ctx)
	if err != nil {
		// Reported without an attribute path: the token's own block has no
		// issuer_url; the text names the provider's.
		var derr *oauth2client.DiscoveryError
		if errors.As(err, &derr) {
			diags.AddError(derr.Summary(), derr.Error())
		} else {
			diags.AddError("Authorization Server Discovery Failed", err.Error())
		}
		return req, "", diags
	}
	req.TokenURL = md.TokenEndpoint
	revocation := d.revocationURL
	if revocation == "" {
		revocation = md.RevocationEndpoint
	}
	if req.ClientAuth == "" {
		method, reason := oauth2client.PickClientAuth(md.TokenEndpointAuthMethodsSupported,
			req.ClientSecret != "", req.SigningKey != nil)
		if method == "" {
			diags.AddError("No Usable Client Authentication Method",
				fmt.Sprintf("The server at the provider's issuer_url (%s) supports none of the client authentication "+
					"methods this configuration can serve. %s", d.issuerURL, reason))
			return req, "", diags
		}
		req.ClientAuth = method
	}
	return req, revocation, diags
}

// secrets are the provider-level values no log line may show.
func (d *providerData) secrets() []string {
	if d == nil {
		return nil
	}
	return []string{d.defaults.ClientSecret}
}

func (d *providerData) discover(ctx context.Context) (*oauth2client.Metadata, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.metadata != nil {
		return d.metadata, nil
	}
	md, err := d.client.Discover(ctx, d.issuerURL)
	if err != nil {
		return nil, err
	}
	d.metadata = md
	return md, nil
}
