package provider

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/oauth2client"
)

// The provider block is resolved against the environment, validated and
// parsed here, once, into providerConfig: ValidateConfig and Configure both
// call parseConfig, so nothing is parsed twice and no parse error is lost.

// Environment variables the provider block falls back to, attribute by
// attribute, when the attribute is not set in the configuration.
const (
	envTokenURL     = "OAUTH2_TOKEN_URL"
	envIssuerURL    = "OAUTH2_ISSUER_URL"
	envClientID     = "OAUTH2_CLIENT_ID"
	envClientSecret = "OAUTH2_CLIENT_SECRET"
	envClientAuth   = "OAUTH2_CLIENT_AUTH"
	envPrivateKey   = "OAUTH2_PRIVATE_KEY"
)

// inConfig is where providerConfig records a value set in the provider block.
const inConfig = "the provider block"

// Methods by what they need, for validation.
var (
	secretAuthMethods = []string{oauth2client.AuthClientSecretBasic, oauth2client.AuthClientSecretPost, oauth2client.AuthClientSecretJWT}
	tlsAuthMethods    = []string{oauth2client.AuthTLSClientAuth, oauth2client.AuthSelfSignedTLSClientAuth}
)

// providerConfig is the provider block after environment fallbacks,
// defaults and parsing: typed values, ready to use.
type providerConfig struct {
	tokenURL      string
	issuerURL     string
	revocationURL string
	clientID      string
	clientSecret  string
	// clientAuth is the configured method name, or "" to default (Basic
	// with a secret, none without) or, with issuer_url, to pick from the
	// server's metadata.
	clientAuth string
	signingKey *oauth2client.SigningKey
	// hasClientCertificate says whether a TLS client certificate is set.
	hasClientCertificate bool
	// assertionSource supplies the client assertion, when set.
	assertionSource oauth2client.IdentitySource
	tls             *tls.Config

	scopes      []string
	audience    string
	resources   []string
	extraParams map[string]string
	paramsIn    string
	headers     map[string]string

	timeout   time.Duration
	retry     oauth2client.RetryPolicy
	cache     bool
	proxyURL  *url.URL
	allowHTTP bool

	// from records where each env-backed value came from, so an error can
	// name the attribute or the variable the user set.
	from map[string]string
	// unknown names an attribute whose value is not known yet (it depends
	// on a resource not yet created), or is "" when all are known. Nothing
	// else is checked or parsed then.
	unknown string
}

// parseConfig resolves, validates and parses the provider block. Its
// diagnostics are errors and warnings; with cfg.unknown set, only what
// the schema's validators check has been checked.
func parseConfig(c providerModel) (*providerConfig, diag.Diagnostics) {
	var diags diag.Diagnostics
	cfg := &providerConfig{from: map[string]string{}}
	str := func(name string, v types.String, env string) string {
		if v.IsUnknown() {
			if cfg.unknown == "" {
				cfg.unknown = name
			}
			return ""
		}
		if !v.IsNull() {
			cfg.from[name] = inConfig
			return v.ValueString()
		}
		if env != "" {
			if ev, ok := os.LookupEnv(env); ok {
				cfg.from[name] = "the " + env + " environment variable"
				return ev
			}
		}
		return ""
	}
	cfg.tokenURL = str("token_url", c.TokenURL, envTokenURL)
	cfg.clientID = str("client_id", c.ClientID, envClientID)
	cfg.clientSecret = str("client_secret", c.ClientSecret, envClientSecret)
	cfg.clientAuth = str("client_auth", c.ClientAuth, envClientAuth)
	cfg.audience = str("audience", c.Audience, "")
	cfg.paramsIn = str("params_in", c.ParamsIn, "")
	timeout := str("timeout", c.Timeout, "")
	cfg.issuerURL = str("issuer_url", c.IssuerURL, envIssuerURL)
	cfg.revocationURL = str("revocation_url", c.RevocationURL, "")
	privateKey := str("private_key", c.PrivateKey, envPrivateKey)
	privateKeyID := str("private_key_id", c.PrivateKeyID, "")
	privateKeyCert := str("private_key_certificate_pem", c.PrivateKeyCert, "")
	signingAlgorithm := str("signing_algorithm", c.SigningAlgorithm, "")
	tlsOptions := oauth2client.TLSOptions{
		ClientCertificatePEM: str("client_certificate_pem", c.ClientCertificate, ""),
		ClientKeyPEM:         str("client_key_pem", c.ClientKey, ""),
		CACertificatePEM:     str("ca_certificate_pem", c.CACertificate, ""),
		InsecureSkipVerify:   c.InsecureSkipVerify.ValueBool(),
	}
	proxyURL := str("proxy_url", c.ProxyURL, "")
	cfg.hasClientCertificate = tlsOptions.ClientCertificatePEM != ""
	for _, v := range []struct {
		name  string
		value attr.Value
	}{
		{"insecure_skip_verify", c.InsecureSkipVerify}, {"cache", c.Cache}, {"allow_insecure_http", c.AllowHTTP},
		{"retry", c.Retry}, {"scopes", c.Scopes}, {"resource", c.Resource}, {"extra_params", c.ExtraParams},
		{"headers", c.Headers},
	} {
		// An unknown element (scopes = ["a", resource.x.id]) makes the whole
		// value unknown: dropping it would request a different token.
		if cfg.unknown == "" && containsUnknown(v.value) {
			cfg.unknown = v.name
		}
	}
	if cfg.unknown == "" && containsUnknown(c.ClientAssertionSource) {
		cfg.unknown = "client_assertion_source"
	}
	if cfg.unknown == "" && !c.ClientAssertionSource.IsNull() {
		raw, err := c.ClientAssertionSource.ToTerraformValue(context.Background())
		var v values
		if err == nil {
			v, err = readValues(raw)
		}
		if err != nil {
			diags.AddAttributeError(path.Root("client_assertion_source"), "Invalid Identity Token Source", sentence(err.Error()))
		}
		cfg.assertionSource = sourceFrom(v)
	}
	cfg.cache = c.Cache.IsNull() || c.Cache.ValueBool()
	cfg.allowHTTP = c.AllowHTTP.ValueBool()
	cfg.scopes = stringList(c.Scopes)
	cfg.resources = stringList(c.Resource)
	cfg.extraParams = stringMap(c.ExtraParams)
	cfg.headers = stringMap(c.Headers)
	if cfg.paramsIn == "" {
		cfg.paramsIn = oauth2client.ParamsInBody
	}
	if cfg.unknown != "" {
		return cfg, diags
	}

	// Durations: the schema's validator has checked them; a failure here is
	// reported all the same, never dropped.
	duration := func(at path.Path, raw string) time.Duration {
		if raw == "" {
			return 0
		}
		d, detail := parseDuration(at, raw)
		if detail != "" {
			diags.AddAttributeError(at, "Invalid Duration", detail)
		}
		return d
	}
	cfg.timeout = duration(path.Root("timeout"), timeout)
	if !c.Retry.IsNull() {
		var rm retryModel
		diags.Append(c.Retry.As(context.Background(), &rm, basetypes.ObjectAsOptions{})...)
		cfg.retry.Attempts = int(rm.Attempts.ValueInt64())
		cfg.retry.MinDelay = duration(path.Root("retry").AtName("min_delay"), rm.MinDelay.ValueString())
		cfg.retry.MaxDelay = duration(path.Root("retry").AtName("max_delay"), rm.MaxDelay.ValueString())
	}
	if proxyURL != "" {
		u, err := url.Parse(proxyURL)
		if err != nil {
			diags.AddAttributeError(path.Root("proxy_url"), "Invalid Proxy URL",
				"proxy_url is not a URL; write it as http://proxy.example.com:3128.")
		}
		cfg.proxyURL = u
	}

	cfg.validate(&diags)

	if privateKeyCert != "" && privateKey == "" {
		diags.AddAttributeError(path.Root("private_key_certificate_pem"), "Missing Private Key",
			"private_key_certificate_pem is the certificate of private_key, but no private key is set. Set "+
				"private_key or the "+envPrivateKey+" environment variable.")
	}
	if privateKey != "" {
		key, err := oauth2client.ParseSigningKey(privateKey, signingAlgorithm, privateKeyID)
		at := "private_key"
		if err == nil && privateKeyCert != "" {
			at = "private_key_certificate_pem"
			err = key.WithCertificate(privateKeyCert)
		}
		if err != nil {
			what := "The private key set in " + cfg.from["private_key"] + " cannot sign"
			if at != "private_key" {
				what = "The certificate in private_key_certificate_pem does not fit the private key"
			}
			diags.AddAttributeError(path.Root(at), "Invalid Private Key", fmt.Sprintf("%s: %s.", what, err))
		} else {
			cfg.signingKey = key
		}
	}
	if cfg.assertionSource != nil {
		for _, other := range []struct{ name, value string }{{"client_secret", cfg.clientSecret}, {"private_key", privateKey}} {
			if other.value != "" {
				diags.AddAttributeError(path.Root("client_assertion_source"), "Conflicting Client Credentials",
					fmt.Sprintf("client_assertion_source supplies the client's credential, and %s is set too (in %s). "+
						"Remove one of them: a client authenticates with one credential.", other.name, cfg.from[other.name]))
			}
		}
		if cfg.clientAuth != "" && cfg.clientAuth != oauth2client.AuthPrivateKeyJWT {
			diags.AddAttributeError(path.Root("client_auth"), "Client Authentication Method Does Not Fit",
				fmt.Sprintf("client_assertion_source sends a client assertion, which is the private_key_jwt method, but "+
					"client_auth is %q. Remove client_auth, or set it to \"private_key_jwt\".", cfg.clientAuth))
		}
	}
	if cfg.clientAuth == oauth2client.AuthPrivateKeyJWT && privateKey == "" && cfg.assertionSource == nil {
		diags.AddAttributeError(path.Root("private_key"), "Missing Private Key",
			"client_auth is \"private_key_jwt\", which signs client assertions with a private key, but none is set. "+
				"Set private_key or the "+envPrivateKey+" environment variable.")
	}
	if slices.Contains(tlsAuthMethods, cfg.clientAuth) && tlsOptions.ClientCertificatePEM == "" {
		diags.AddAttributeError(path.Root("client_certificate_pem"), "Missing Client Certificate",
			fmt.Sprintf("client_auth is %q, which authenticates with a TLS client certificate, but none is set. "+
				"Set client_certificate_pem and client_key_pem.", cfg.clientAuth))
	}
	// The CA certificates and the client pair are parsed apart, so the
	// error names the attribute at fault. A key without its certificate is
	// already reported by the schema (AlsoRequires).
	if _, err := (oauth2client.TLSOptions{CACertificatePEM: tlsOptions.CACertificatePEM}).TLSConfig(); err != nil {
		diags.AddAttributeError(path.Root("ca_certificate_pem"), "Invalid TLS Settings", sentence(err.Error()))
	} else if (tlsOptions.ClientCertificatePEM == "") == (tlsOptions.ClientKeyPEM == "") {
		tlsConfig, err := tlsOptions.TLSConfig()
		if err != nil {
			diags.AddAttributeError(path.Root("client_certificate_pem"), "Invalid TLS Settings", sentence(err.Error()))
		}
		cfg.tls = tlsConfig
	}
	if tlsOptions.InsecureSkipVerify {
		diags.AddAttributeWarning(path.Root("insecure_skip_verify"), "Server Certificates Not Verified",
			"insecure_skip_verify = true: the provider does not check whom it sends the client credentials to. "+
				"Anyone on the network path can read them and the tokens. Set ca_certificate_pem instead.")
	}
	return cfg, diags
}

// validate checks what the schema validators cannot see: values that came
// from the environment, and rules across attributes.
func (cfg *providerConfig) validate(diags *diag.Diagnostics) {
	switch {
	case cfg.tokenURL == "" && cfg.issuerURL == "":
		diags.AddAttributeError(path.Root("token_url"), "Missing Token URL",
			"The provider needs the token endpoint of the authorization server. Set token_url (or the "+envTokenURL+
				" environment variable), or issuer_url (or "+envIssuerURL+") to discover it.")
	case cfg.tokenURL != "" && cfg.issuerURL != "":
		diags.AddAttributeError(path.Root("issuer_url"), "Conflicting Token Endpoint Settings",
			fmt.Sprintf("Both token_url (set in %s) and issuer_url (set in %s) are set; set exactly one. issuer_url "+
				"discovers the token endpoint, token_url names it.", cfg.from["token_url"], cfg.from["issuer_url"]))
	}
	for _, a := range []struct{ name, value string }{
		{"token_url", cfg.tokenURL}, {"issuer_url", cfg.issuerURL}, {"revocation_url", cfg.revocationURL},
	} {
		if problem := insecureURL(a.value, cfg.allowHTTP); a.value != "" && problem != "" {
			diags.AddAttributeError(path.Root(a.name), "Insecure URL", fmt.Sprintf("The %s set in %s is refused: %s",
				a.name, cfg.from[a.name], problem))
		}
	}
	// Values from the configuration were checked by the attributes'
	// validators; these come from the environment.
	for _, a := range []struct {
		name, value string
		check       func(string) string
	}{
		{"token_url", cfg.tokenURL, oauth2client.CheckTokenURL}, {"issuer_url", cfg.issuerURL, oauth2client.CheckIssuerURL},
	} {
		if from := cfg.from[a.name]; a.value != "" && from != inConfig {
			if problem := a.check(a.value); problem != "" {
				diags.AddAttributeError(path.Root(a.name), "Invalid URL",
					fmt.Sprintf("The %s set in %s is not usable. %s", a.name, from, problem))
			}
		}
	}
	if from := cfg.from["client_auth"]; from != "" && from != inConfig && !slices.Contains(oauth2client.ClientAuthMethods, cfg.clientAuth) {
		diags.AddAttributeError(path.Root("client_auth"), "Invalid Client Authentication Method",
			fmt.Sprintf("The client_auth set in %s is %q; it must be one of %s.", from, cfg.clientAuth,
				strings.Join(quoteAll(oauth2client.ClientAuthMethods), ", ")))
	}
	// With issuer_url and no client_auth, the method is picked at discovery
	// and checked in clientAuthFor.
	method := cfg.clientAuth
	if method == "" && cfg.assertionSource != nil {
		method = oauth2client.AuthPrivateKeyJWT
	}
	if method == "" && cfg.issuerURL == "" {
		method = oauth2client.DefaultClientAuth(cfg.clientSecret)
	}
	checkClientCredentials(diags, method, cfg.clientID, cfg.clientSecret)
	if method == oauth2client.AuthNone && cfg.clientSecret != "" {
		diags.AddAttributeWarning(path.Root("client_auth"), "Client Secret Not Sent",
			fmt.Sprintf("client_auth is \"none\", so the client secret set in %s is never sent. Remove it, or set "+
				"client_auth to the method the server expects.", cfg.from["client_secret"]))
	}
	for name := range cfg.headers {
		if problem := checkHeader(name, method); problem != "" {
			diags.AddAttributeError(path.Root("headers").AtMapKey(name), "Header Not Allowed", problem)
		}
	}
}

// hasHeader says whether headers sets name, in any letter case.
func hasHeader(headers map[string]string, name string) bool {
	for k := range headers {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

// checkClientCredentials checks that method has the client ID and secret it
// needs.
func checkClientCredentials(diags *diag.Diagnostics, method, clientID, clientSecret string) {
	switch {
	case slices.Contains(secretAuthMethods, method) && clientSecret == "":
		diags.AddAttributeError(path.Root("client_secret"), "Missing Client Secret",
			fmt.Sprintf("client_auth is %q, which needs a client secret, but none is set. Set client_secret or the "+
				"%s environment variable, or set client_auth to the method the client is registered for.", method, envClientSecret))
	case method == oauth2client.AuthClientSecretJWT && len(clientSecret) < 32:
		diags.AddAttributeError(path.Root("client_secret"), "Client Secret Too Short for client_secret_jwt",
			fmt.Sprintf("client_secret_jwt signs with HS256, which needs a key of at least 32 bytes (RFC 7518 section "+
				"3.2); this client secret has %d. Have the server issue a longer secret, or use another client_auth.",
				len(clientSecret)))
	}
	if slices.Contains(secretAuthMethods, method) && clientID == "" {
		diags.AddAttributeError(path.Root("client_id"), "Missing Client ID",
			fmt.Sprintf("client_auth is %q, which sends a client ID with the secret, but none is set. Set client_id "+
				"or the %s environment variable.", method, envClientID))
	}
	if (method == oauth2client.AuthPrivateKeyJWT || slices.Contains(tlsAuthMethods, method)) && clientID == "" {
		diags.AddAttributeError(path.Root("client_id"), "Missing Client ID",
			fmt.Sprintf("client_auth is %q, which identifies the client by client_id, but none is set. Set client_id "+
				"or the %s environment variable.", method, envClientID))
	}
}

// clientOptions are the settings of the provider's HTTP client.
func (cfg *providerConfig) clientOptions(now func() time.Time, userAgent string, onRetry func(context.Context, oauth2client.RetryEvent)) oauth2client.Options {
	return oauth2client.Options{
		Timeout:           cfg.timeout,
		Now:               now,
		TLS:               cfg.tls,
		Retry:             cfg.retry,
		ProxyURL:          cfg.proxyURL,
		AllowInsecureHTTP: cfg.allowHTTP,
		UserAgent:         userAgent,
		OnRetry:           onRetry,
	}
}

// baseRequest is the request every oauth2_token starts from, for the token
// endpoint tokenURL and the client authentication method (the configured
// one, or the one discovery picked).
func (cfg *providerConfig) baseRequest(tokenURL, method string) (oauth2client.Request, diag.Diagnostics) {
	var diags diag.Diagnostics
	if cfg.clientAuth == "" && cfg.issuerURL != "" {
		// Picked at discovery: checked now that it is known. Reported
		// without a path, since they name the provider's attributes and
		// this runs for a token.
		var found diag.Diagnostics
		checkClientCredentials(&found, method, cfg.clientID, cfg.clientSecret)
		for _, d := range found.Errors() {
			diags.AddError(d.Summary(), d.Detail())
		}
		if diags.HasError() {
			return oauth2client.Request{}, diags
		}
	}
	auth, err := oauth2client.NewClientAuth(method, oauth2client.Credentials{
		Secret: cfg.clientSecret, Key: cfg.signingKey, AssertionSource: cfg.assertionSource,
	})
	if err != nil {
		diags.AddError("Invalid Client Authentication Method", sentence(err.Error()))
		return oauth2client.Request{}, diags
	}
	return oauth2client.Request{
		TokenURL:    tokenURL,
		ClientID:    cfg.clientID,
		ClientAuth:  auth,
		Scopes:      cfg.scopes,
		Audience:    cfg.audience,
		Resources:   cfg.resources,
		ExtraParams: cfg.extraParams,
		ParamsIn:    cfg.paramsIn,
		Headers:     cfg.headers,
	}, diags
}

// checkIdentity reports a request that would name no client at all: no
// client_id, secret, private key, client certificate, assertion source or
// Authorization header (headers are the token's, merged over the
// provider's). It runs for each token before anything is sent (not at
// validate, where the environment may not hold the settings yet): almost
// every server refuses such a request, often with an error that does not
// say so. An explicit client_auth = "none" says the server wants no client
// (Google Cloud's Security Token Service).
func (cfg *providerConfig) checkIdentity(diags *diag.Diagnostics, headers map[string]string) {
	if cfg.clientID != "" || cfg.clientSecret != "" || cfg.signingKey != nil || cfg.hasClientCertificate ||
		cfg.assertionSource != nil || hasHeader(headers, "Authorization") || cfg.clientAuth == oauth2client.AuthNone {
		return
	}
	diags.AddError("Missing Client Identity",
		"The provider has no client identity at all: no client_id, client secret, private key, client "+
			"certificate, client_assertion_source or Authorization header. Set client_id (or the "+envClientID+
			" environment variable) to the client registered at the authorization server, with the credential its "+
			"client authentication method needs; for a server that takes requests from no client at all, such as a "+
			"security token service, set client_auth = \"none\".")
}

// containsUnknown says whether v, or any element of a list, map or object
// in it, is unknown.
func containsUnknown(v attr.Value) bool {
	if v == nil || v.IsNull() {
		return false
	}
	if v.IsUnknown() {
		return true
	}
	var elements []attr.Value
	switch x := v.(type) {
	case types.List:
		elements = x.Elements()
	case types.Map:
		for _, e := range x.Elements() {
			elements = append(elements, e)
		}
	case types.Object:
		for _, e := range x.Attributes() {
			elements = append(elements, e)
		}
	}
	return slices.ContainsFunc(elements, containsUnknown)
}

// stringList reads a known list of strings; null and unknown read as nil.
func stringList(l types.List) []string {
	if l.IsNull() || l.IsUnknown() {
		return nil
	}
	out := make([]string, 0, len(l.Elements()))
	for _, e := range l.Elements() {
		if s, ok := e.(types.String); ok && !s.IsNull() && !s.IsUnknown() {
			out = append(out, s.ValueString())
		}
	}
	return out
}

// stringMap reads a known map of strings; null and unknown read as nil.
func stringMap(m types.Map) map[string]string {
	if m.IsNull() || m.IsUnknown() {
		return nil
	}
	out := make(map[string]string, len(m.Elements()))
	for k, e := range m.Elements() {
		if s, ok := e.(types.String); ok && !s.IsNull() && !s.IsUnknown() {
			out[k] = s.ValueString()
		}
	}
	return out
}
