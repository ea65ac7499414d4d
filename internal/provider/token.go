package provider

import (
	"context"
	"fmt"
	"maps"
	"os"
	"strings"
	"time"
	"unicode"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
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

// tokenCall is one oauth2_token's request, read from its configuration.
type tokenCall struct {
	in  values
	req oauth2client.Request
	// revocation is where the token can be revoked, "" when unknown.
	revocation  string
	minValidity time.Duration
	// explicit says whether min_validity was configured.
	explicit bool
}

// readToken reads an oauth2_token's configuration and builds its request,
// starting from the provider's settings (after discovery, when issuer_url
// is set). It returns ctx with the request's secrets masked.
func readToken(ctx context.Context, data *providerData, raw tftypes.Value) (context.Context, *tokenCall, diag.Diagnostics) {
	var diags diag.Diagnostics
	ctx = maskSecrets(ctx, data.secrets()...)
	in, err := readValues(raw)
	if err != nil {
		diags.AddError("Token Configuration Not Readable", sentence(err.Error()))
		return ctx, nil, diags
	}
	call := &tokenCall{in: in, minValidity: oauth2client.DefaultMinValidity}
	if in.has("min_validity") {
		d, detail := parseDuration(path.Root("min_validity"), in.str("min_validity"))
		if detail != "" {
			diags.AddAttributeError(path.Root("min_validity"), "Invalid Duration", detail)
			return ctx, nil, diags
		}
		call.minValidity, call.explicit = d, true
	}
	if data != nil && data.config != nil && data.config.unknown == "" {
		headers := maps.Clone(data.config.headers)
		if headers == nil {
			headers = map[string]string{}
		}
		maps.Copy(headers, in.strMap("headers"))
		data.config.checkIdentity(&diags, headers)
		if diags.HasError() {
			return ctx, nil, diags
		}
	}
	base, revocation, d := data.endpoints(ctx)
	diags.Append(d...)
	if diags.HasError() {
		return ctx, nil, diags
	}
	call.revocation = revocation
	call.req, d = mergeRequest(base, in, data.config)
	diags.Append(d...)
	ctx = maskSecrets(ctx, call.req.Secrets()...)
	// The CI systems' request credentials, and tokens in variables the
	// identity token sources read, never reach a log line either.
	ctx = maskSecrets(ctx, ciSecrets(call.req)...)
	return ctx, call, diags
}

// mergeRequest merges the token's own inputs over the provider's: maps
// (extra_params, headers) merge key by key, everything else replaces.
func mergeRequest(r oauth2client.Request, in values, cfg *providerConfig) (oauth2client.Request, diag.Diagnostics) {
	grant, diags := grantFor(in, cfg)
	r.Grant = grant
	if scopes, ok := in.list("scopes"); ok {
		r.Scopes = scopes
	}
	if in.has("audience") {
		r.Audience = in.str("audience")
	}
	if resources, ok := in.list("resource"); ok {
		r.Resources = resources
	}
	if in.has("params_in") {
		r.ParamsIn = in.str("params_in")
	}
	r.ExtraParams = maps.Clone(r.ExtraParams)
	if r.ExtraParams == nil {
		r.ExtraParams = map[string]string{}
	}
	maps.Copy(r.ExtraParams, in.strMap("extra_params"))
	r.Headers = maps.Clone(r.Headers)
	if r.Headers == nil {
		r.Headers = map[string]string{}
	}
	own := in.strMap("headers")
	maps.Copy(r.Headers, own)
	// Checked again here, with client_auth final: with issuer_url it is
	// known only after discovery, and a provider-level Authorization header
	// would otherwise replace the Basic credentials.
	for name := range r.Headers {
		if problem := checkHeader(name, r.ClientAuthMethod()); problem != "" {
			if _, mine := own[name]; !mine {
				problem = "The provider's headers: " + problem
			}
			diags.AddAttributeError(path.Root("headers").AtMapKey(name), "Header Not Allowed", problem)
		}
	}
	return r, diags
}

// fetchToken gets the token of call, for a consumer of the given kind,
// from the provider's cache when it has one valid for long enough. share is
// false for tokens that must be the caller's own (revoke_on_close would
// revoke a shared token under its other consumers). It returns ctx with the
// token's own values masked too.
func fetchToken(ctx context.Context, data *providerData, call *tokenCall, consumer string, share bool) (context.Context, *oauth2client.Token, diag.Diagnostics) {
	var diags diag.Diagnostics
	cache := data.cache
	if cache == nil || !share {
		// A cache of one request still enforces min_validity.
		cache = oauth2client.NewCache(data.now)
	}
	req := call.req
	token, outcome, source, err := cache.Get(ctx, consumer, req, call.minValidity, call.explicit,
		func(ctx context.Context) (*oauth2client.Token, oauth2client.Outcome, error) {
			return data.client.Fetch(ctx, req)
		})
	fields := map[string]any{
		"token_url":   oauth2client.RedactURL(req.TokenURL),
		"grant_type":  req.GrantType(),
		"client_auth": req.ClientAuthMethod(),
		"params_in":   req.ParamsIn,
		"status":      outcome.Status,
		"duration_ms": outcome.Duration.Milliseconds(),
		"source":      source,
	}
	if err != nil {
		tflog.Debug(ctx, "Token request failed", fields)
		addError(&diags, err)
		return ctx, nil, diags
	}
	ctx = maskSecrets(ctx, token.AccessToken, valueOr(token.RefreshToken), valueOr(token.IDToken))
	tflog.Debug(ctx, "Token request succeeded", fields)
	if !token.Bearer() {
		diags.AddAttributeWarning(path.Root("authorization_header"), "Token Type Not Bearer",
			fmt.Sprintf("The server issued a token of type %q, so authorization_header is null: RFC 6749 section "+
				"7.1 forbids using a token whose type the client does not understand, and the provider presents "+
				"bearer tokens only. access_token is set; hand it to a consumer that knows how to present a %q "+
				"token (a DPoP token, for one, needs a proof signed for every request), or have the server issue "+
				"bearer tokens.", printable(token.TokenType), printable(token.TokenType)))
	}
	return ctx, token, diags
}

// ciSecrets are the values in the environment that identity token sources
// of req read: the CI systems' request credentials and env sources' tokens.
func ciSecrets(req oauth2client.Request) []string {
	out := []string{os.Getenv(oauth2client.EnvGitHubRequestToken), os.Getenv(oauth2client.EnvAzureDevOpsToken)}
	var sources []oauth2client.IdentitySource
	if a, ok := req.ClientAuth.(oauth2client.ClientAssertion); ok {
		sources = append(sources, a.Source)
	}
	grant := req.Grant
	if custom, ok := grant.(oauth2client.CustomGrantType); ok {
		grant = custom.Base
	}
	switch g := grant.(type) {
	case oauth2client.JWTBearer:
		sources = append(sources, g.Source)
	case oauth2client.TokenExchange:
		sources = append(sources, g.SubjectSource, g.ActorSource)
	}
	for _, src := range sources {
		if env, ok := src.(oauth2client.EnvSource); ok {
			out = append(out, os.Getenv(env.Name))
		}
	}
	return out
}

func valueOr(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// printable is at most 40 printable characters of s, for server text shown
// in a diagnostic.
func printable(s string) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= 40 {
			break
		}
		if unicode.IsPrint(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}
