package provider

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/oauth2client"
	"github.com/tfoauth2/terraform-provider-oauth2/internal/tokenfile"
)

// This file holds every sentence that tells a user what to do about a
// failed request, naming the attributes to change. internal/oauth2client
// says what happened in protocol terms; errorDiagnostic adds the advice.

// errorDiagnostic is the one mapping of an error from internal/oauth2client
// onto a diagnostic: its summary, its detail (what was attempted, what the
// server said, what to try, then the original error), and the attribute at
// fault when there is one.
func errorDiagnostic(err error) (summary, detail string, at *path.Path) {
	var e *oauth2client.Error
	var short *oauth2client.TooShortError
	var file *tokenfile.Error
	switch {
	case errors.As(err, &file):
		summary, detail := tokenFileProblem(file)
		return summary, detail, &tokenFilePath
	case errors.As(err, &e):
		return e.Summary(), e.Report(hint(e)), nil
	case errors.As(err, &short):
		p := path.Root("min_validity")
		return "Token Lives Shorter Than min_validity", fmt.Sprintf("The server issued a token valid for %s, but "+
			"min_validity asks for at least %s of validity left whenever a token is handed out. Lower min_validity "+
			"below %s, or have the server issue longer-lived tokens.", short.Lifetime, short.MinValidity,
			short.Lifetime), &p
	}
	return "Token Request Failed", err.Error(), nil
}

// addError adds err to diags as an error diagnostic.
func addError(diags *diag.Diagnostics, err error) {
	summary, detail, at := errorDiagnostic(err)
	if at != nil {
		diags.AddAttributeError(*at, summary, detail)
		return
	}
	diags.AddError(summary, detail)
}

// addWarning adds err to diags as a warning, for failures that do not fail
// the run (a revocation: the token expires on its own).
func addWarning(diags *diag.Diagnostics, err error) {
	summary, detail, _ := errorDiagnostic(err)
	diags.AddWarning(summary, detail)
}

// hint says what to try, from the most specific evidence available.
func hint(e *oauth2client.Error) string {
	switch e.Kind {
	case oauth2client.KindDiscovery:
		return discoveryHint(e)
	case oauth2client.KindRevocation:
		return revocationHint(e)
	case oauth2client.KindIdentity:
		return identityHint(e)
	}
	return tokenHint(e)
}

// identityHint says how to set up the job for the identity token source
// at fault. The CI systems' own names for what enables their tokens come
// from their documentation.
func identityHint(e *oauth2client.Error) string {
	if e.Problem == oauth2client.ProblemSourceMissing {
		switch e.Source {
		case "github_actions":
			return "This does not run in a GitHub Actions job that may request identity tokens. GitHub sets " +
				oauth2client.EnvGitHubRequestURL + " and " + oauth2client.EnvGitHubRequestToken + " only for jobs whose " +
				"workflow or job grants `permissions: id-token: write`; add it to the job."
		case "azure_devops":
			return "This does not run in an Azure Pipelines job that can request identity tokens. Azure Pipelines sets " +
				oauth2client.EnvAzureDevOpsURL + " in every job, but " + oauth2client.EnvAzureDevOpsToken + " only when " +
				"the step maps it (env: SYSTEM_ACCESSTOKEN: $(System.AccessToken)); service_connection_id must name an " +
				"Azure Resource Manager service connection that uses workload identity federation."
		case "env":
			return "Set the variable in the job: on GitLab CI, declare it with the id_tokens keyword (with the aud the " +
				"server expects); on HCP Terraform, TFC_WORKLOAD_IDENTITY_TOKEN is set in runs of a workspace with " +
				"workload identity configured (a TFC_WORKLOAD_IDENTITY_AUDIENCE variable); Spacelift sets " +
				"SPACELIFT_OIDC_TOKEN, CircleCI CIRCLE_OIDC_TOKEN_V2 and Bitbucket Pipelines BITBUCKET_STEP_OIDC_TOKEN " +
				"(for steps with oidc: true)."
		case "file":
			return "Check the path. For a Kubernetes service account token, mount a projected volume with a " +
				"serviceAccountToken source (with the audience the server expects) at that path; " +
				"AZURE_FEDERATED_TOKEN_FILE is mounted by the Azure workload identity webhook."
		case "command":
			return "Install the command in the job's image, or give its full path in command."
		}
		return ""
	}
	switch {
	case e.Source == "command":
		return "Check that the command prints the token on its standard output when run in this job, as the same " +
			"user; its standard error above says why it did not."
	case e.StatusCode == 401 || e.StatusCode == 403:
		return "The CI system's token endpoint refused the job's request credential: it may have expired (it lasts as " +
			"long as the job) or lack the permission to request identity tokens."
	case e.StatusCode == 404 && e.Source == "azure_devops":
		return "Check service_connection_id: it must be the ID of a service connection of this project that uses " +
			"workload identity federation, which the pipeline is allowed to use."
	case e.StatusCode >= 500:
		return "The CI system's token endpoint failed to answer. Try again later."
	}
	return reachabilityHint(e, "the CI system's token endpoint")
}

func tokenHint(e *oauth2client.Error) string {
	// A description that names the authentication method says what to
	// change: client_auth, not params_in or the credential.
	authAdvice := ""
	if namesAuthMethod(e.Description) {
		authAdvice = fmt.Sprintf("The server's description speaks of how the client authenticates: set client_auth "+
			"to the method this client is registered for (now %q, which %s). client_secret_basic sends the "+
			"credentials in an HTTP Basic header, client_secret_post in the request body.",
			e.ClientAuth, authSends[e.ClientAuth])
	}
	switch e.Code {
	case "invalid_request":
		if authAdvice != "" {
			return authAdvice
		}
	case "invalid_client", "unauthorized_client":
		if authAdvice != "" {
			return authAdvice + " Check also client_id and the credential."
		}
		return fmt.Sprintf("The server did not accept the client. Check client_id and the credential, and that "+
			"client_auth (now %q, which %s) is the method this client is registered for. If it is, check that "+
			"the client may use the %s grant.", e.ClientAuth, authSends[e.ClientAuth], e.Grant)
	case "invalid_grant":
		switch e.Grant {
		case oauth2client.GrantPassword:
			return "The server refused the user's credentials. Check password_grant's username and password, " +
				"and that the user may sign in through this client."
		case oauth2client.GrantRefreshToken:
			return "The server refused the refresh token: it may have expired, been revoked, or been used " +
				"already by a server that rotates refresh tokens. Get a new one with the grant that issued it."
		}
		return "The server refused the grant. Check the grant's inputs and the parameters in extra_params."
	case "invalid_scope":
		return "The server refused the requested scopes. Check scopes against the scopes this client may " +
			"request, and their exact spelling and case."
	case "unsupported_grant_type":
		return fmt.Sprintf("The server does not support the %q grant for this client. Enable the grant for "+
			"the client on the server, or set grant_type to the value the server expects.", e.Grant)
	}
	switch e.Code {
	case "invalid_request":
		return "The server found the request malformed or missing a parameter. Check params_in (\"body\" or " +
			"\"query\") and that extra_params holds every parameter the server requires."
	case "":
	default:
		return ""
	}
	switch {
	case e.Canceled():
		return "The request was interrupted (cancelled) before it completed."
	case e.Problem == oauth2client.ProblemNotSent:
		return "The request was not sent, because it could not be built; the error below says why."
	case e.Problem == oauth2client.ProblemNoAccessToken:
		return "The server answered with success but sent no access_token. Check that token_url is the token " +
			"endpoint, not another endpoint of the server."
	case e.Problem == oauth2client.ProblemBadField:
		return "The server's token response breaks RFC 6749 section 5.1 (see Detail), so the token was not used. " +
			"Check that token_url is the token endpoint, and ask the server's operators to fix the response."
	case e.Problem == oauth2client.ProblemNotAToken:
		return "The server answered with success but not with a token response (JSON or form-encoded). Check " +
			"that token_url is the token endpoint, not a login page or a proxy's page."
	case e.Problem == oauth2client.ProblemTooLarge:
		return "No token response is that large. Check that token_url is the token endpoint, not another " +
			"endpoint of the server or a proxy's page."
	case e.Problem == oauth2client.ProblemUnreadable:
		return "An answer arrived but could not be read in full: the connection may have been closed while " +
			"the response was sent. Try again later, or check any proxy between here and the server."
	case e.Location != "":
		return "Token requests do not follow redirects, because the client credentials would go with them. " +
			"Set token_url to the address the server redirects to, if it is the right one."
	case e.StatusCode == 401 || e.StatusCode == 403:
		return fmt.Sprintf("The server refused the request without saying why. Check client_id, client_secret "+
			"and client_auth (now %q).", e.ClientAuth)
	case e.StatusCode == 404 || e.StatusCode == 405:
		return "The server has no token endpoint at this address. Check token_url."
	case e.StatusCode == 429:
		return "The server is limiting the rate of requests. Try again later, or raise the retry settings " +
			"(attempts, max_delay) so the provider waits as long as the server asks."
	case e.StatusCode >= 500:
		return "The server failed to answer. Try again later, or ask its operators."
	case e.Problem == oauth2client.ProblemInsecure:
		return insecureAdvice
	}
	return reachabilityHint(e, "token_url")
}

func revocationHint(e *oauth2client.Error) string {
	switch e.Code {
	case "invalid_client", "unauthorized_client":
		return fmt.Sprintf("The server did not accept the client. Check client_id and the credential, and that "+
			"client_auth (now %q, which %s) is the method this client is registered for. The token must be "+
			"revoked by the client it was issued to.", e.ClientAuth, authSends[e.ClientAuth])
	case "unsupported_token_type":
		return fmt.Sprintf("The server does not revoke this type of token (token_type_hint %q). Some servers "+
			"revoke only refresh tokens; an access token then stays valid until it expires.", e.TokenTypeHint)
	case "invalid_request":
		return "The server found the revocation request malformed or missing a parameter. Check that the " +
			"revocation URL is the server's RFC 7009 revocation endpoint."
	case "":
	default:
		return ""
	}
	switch {
	case e.Problem == oauth2client.ProblemNotSent:
		return ""
	case e.Canceled():
		return "The request was interrupted before it completed."
	case e.Problem == oauth2client.ProblemTooLarge:
		return "No revocation response is that large. Check that the revocation URL is the server's RFC 7009 " +
			"revocation endpoint."
	case e.Location != "":
		return "Revocation requests do not follow redirects, because the client credentials would go with " +
			"them. Set the revocation URL to the address the server redirects to, if it is the right one."
	case e.StatusCode == 503:
		when := "later"
		if e.RetryAfter != "" {
			when = "after the time the server asks for"
		}
		return "The server is temporarily unable to revoke tokens (RFC 7009 section 2.2.1); the token is " +
			"still valid. Try again " + when + ", or let the token expire."
	case e.StatusCode == 401 || e.StatusCode == 403:
		return fmt.Sprintf("The server refused the request without saying why. Check client_id, client_secret "+
			"and client_auth (now %q).", e.ClientAuth)
	case e.StatusCode == 404 || e.StatusCode == 405:
		return "The server has no revocation endpoint at this address. Check the revocation URL."
	case e.StatusCode >= 500:
		return "The server failed to answer; the token may still be valid. Try again later, or ask its operators."
	case e.StatusCode >= 200 && e.StatusCode < 300:
		return "The server answered with success but reported an error; the token may still be valid."
	case e.Problem == oauth2client.ProblemInsecure:
		return "Nothing was sent: the revocation URL uses plain http:// to a host that is not loopback. Use an " +
			"https:// endpoint, or set allow_insecure_http = true in the provider block if the network is trusted."
	}
	return reachabilityHint(e, "the revocation URL")
}

// The token file (token_file.go): what went wrong with the file, or with
// renewing the token it holds.

// tokenFileProblem words a refused or failed file operation.
func tokenFileProblem(e *tokenfile.Error) (summary, detail string) {
	summary = "Unsafe Token File Path"
	var advice string
	switch e.Problem {
	case tokenfile.ProblemSymlink:
		advice = "The provider never writes a token through a symbolic link, which could send it anywhere. Set " +
			"token_file.path to the file itself."
	case tokenfile.ProblemNotRegular:
		advice = "Set token_file.path to the name of a file, not of a directory or a device; the file's directory " +
			"is created when it is missing."
	case tokenfile.ProblemOwner:
		advice = "The provider replaces only its own user's files. Remove the file, or choose another " +
			"token_file.path."
	case tokenfile.ProblemMode:
		advice = fmt.Sprintf("The provider replaces only files with mode %04o, the mode it writes, such as one "+
			"left by an earlier run; it changes no file's mode. Remove the file if it is not needed, or choose "+
			"another token_file.path.", tokenfile.Mode)
	case tokenfile.ProblemRelative:
		advice = "This is a bug in the provider: it makes token_file.path absolute first. Please report it."
	default:
		summary = "Token File Not Written"
		if e.Op == "remove" {
			summary = "Token File Not Removed"
		}
		advice = "Check that the directory of token_file.path exists or can be created, and that the user " +
			"running Terraform may write there."
	}
	return summary, fmt.Sprintf("%s\n\n%s", sentence(e.Error()), advice)
}

// addTokenFileError adds a failure to put the first token in the file.
func addTokenFileError(diags *diag.Diagnostics, err error, s *tokenFileSettings) {
	var none *noContentError
	switch {
	case errors.Is(err, errPathInUse):
		diags.AddAttributeError(tokenFilePath, "Token File Path In Use", fmt.Sprintf("Another oauth2_token of "+
			"this configuration keeps its token in %s. Give each oauth2_token (and each instance of one with count "+
			"or for_each) a token_file.path of its own: closing one would remove the other's file.", s.path))
	case errors.As(err, &none):
		summary, detail := noContentProblem(none)
		diags.AddAttributeError(tokenFileContent, summary, detail)
	default:
		addError(diags, err)
	}
}

func noContentProblem(e *noContentError) (summary, detail string) {
	if e.content == contentAuthorizationHeader {
		return "Token Type Not Bearer", fmt.Sprintf("token_file.content is \"authorization_header\", but the "+
			"server issued a token of type %q, which is not presented as \"Bearer <token>\". Set "+
			"token_file.content to \"access_token\" for a consumer that knows this type.", printable(e.tokenType))
	}
	return "No ID Token", "token_file.content is \"id_token\", but the server's token response has no id_token. " +
		"OpenID Connect servers issue one when the scopes include \"openid\" and the grant is one that " +
		"identifies a user (some issue none for client credentials). Add \"openid\" to scopes, use a grant that " +
		"issues an ID token, or set token_file.content to \"access_token\"."
}

// tokenFileNotRenewed warns that the file keeps its first token.
func tokenFileNotRenewed(s *tokenFileSettings) diag.Diagnostic {
	return diag.NewAttributeWarningDiagnostic(path.Root("token_file"), "Token File Not Renewed",
		fmt.Sprintf("The server sent no expires_in, so the provider cannot tell when the token in %s expires, "+
			"and does not renew it: the file keeps this token until Terraform closes the ephemeral resource. If "+
			"the token expires before the run ends, ask the server to send expires_in.", s.path))
}

// renewalFailure words why a renewal failed, for the diagnostics below.
func renewalFailure(err error) string {
	var none *noContentError
	if errors.As(err, &none) {
		summary, detail := noContentProblem(none)
		return summary + ": " + detail
	}
	summary, detail, _ := errorDiagnostic(err)
	return summary + ": " + detail
}

// tokenFileRenewalFailed warns that a renewal failed at now and when the
// next attempt is.
func tokenFileRenewalFailed(s *tokenFileSettings, err error, now, expires, retry time.Time) diag.Diagnostic {
	return diag.NewAttributeWarningDiagnostic(path.Root("token_file"), "Token File Not Renewed",
		fmt.Sprintf("Renewing the token in %s failed. The file keeps the token it holds, which expires in %s (at "+
			"%s), and the provider tries again in %s.\n\n%s", s.path, roughly(expires.Sub(now)),
			expires.UTC().Format(time.RFC3339), roughly(retry.Sub(now)), renewalFailure(err)))
}

// roughly is a duration as precise as it needs to be: seconds for minutes,
// milliseconds for seconds.
func roughly(d time.Duration) string {
	if d >= time.Minute {
		return d.Round(time.Second).String()
	}
	return d.Round(time.Millisecond).String()
}

// tokenFileExpired is the error of the renewal that gives up.
func tokenFileExpired(s *tokenFileSettings, err error, since, expires time.Time, failures int) diag.Diagnostic {
	return diag.NewAttributeErrorDiagnostic(path.Root("token_file"), "Token File Expired",
		fmt.Sprintf("Every renewal of the token in %s since %s failed (%d attempts), and the token the file holds "+
			"expired at %s: consumers that read the file now get an expired token. Terraform renews no more after "+
			"this error; the file is removed when it closes the ephemeral resource.\n\nThe last attempt: %s",
			s.path, since.UTC().Format(time.RFC3339), failures, expires.UTC().Format(time.RFC3339), renewalFailure(err)))
}

// tokenFileUnknown is the error of a renewal this process has no record of.
func tokenFileUnknown(p string) diag.Diagnostic {
	return diag.NewAttributeErrorDiagnostic(path.Root("token_file"), "Token File Not Renewed",
		fmt.Sprintf("The provider process that is asked to renew the token in %s has no record of opening it, so "+
			"it cannot request a new token, and the file keeps the one it holds. This is a bug in the provider or "+
			"the CLI; please report it.", p))
}

// tokenFileNotRemoved warns that Close left something at the path.
func tokenFileNotRemoved(s *tokenFileSettings, err error) diag.Diagnostic {
	summary, detail, _ := errorDiagnostic(err)
	if summary != "Token File Not Removed" {
		detail = "The provider did not remove what is at " + s.path + ", since it is not the token file it " +
			"wrote: " + detail
	}
	return diag.NewAttributeWarningDiagnostic(tokenFilePath, "Token File Not Removed",
		detail+"\n\nIf a token file is still there, remove it: it holds a token until that expires.")
}

// fallbackAdvice is the way out when the server's metadata cannot be used.
const fallbackAdvice = "If the server publishes no usable metadata, set token_url (and client_auth) " +
	"instead of issuer_url."

func discoveryHint(e *oauth2client.Error) string {
	switch e.Problem {
	case oauth2client.DiscoveryInvalidIssuer:
		return "Set issuer_url to the issuer identifier the server publishes: an absolute https:// URL (http:// for a " +
			"local server) without query or fragment, such as https://auth.example.com/realms/main."
	case oauth2client.DiscoveryUnreachable:
		if e.Canceled() {
			return "The request was interrupted before it completed."
		}
		return reachabilityHint(e, "issuer_url")
	case oauth2client.DiscoveryMalformed:
		return "The document at " + e.Document + " is not the metadata the OpenID Connect Discovery and RFC 8414 " +
			"specifications describe. Check issuer_url, and ask the server's operators. " + fallbackAdvice
	case oauth2client.DiscoveryIssuerMismatch:
		if e.Found == "" {
			return "The specifications require the document to name its issuer, so the provider cannot tell it " +
				"belongs to this server. " + fallbackAdvice
		}
		if strings.TrimSuffix(e.Found, "/") == strings.TrimSuffix(e.Issuer, "/") {
			return fmt.Sprintf("The two differ only by a trailing slash. OpenID Connect Discovery (section 4.3) and "+
				"RFC 8414 (section 3.3) require the issuer to match exactly, character for character, so set "+
				"issuer_url to %q, exactly as the server publishes it.", e.Found)
		}
		return fmt.Sprintf("The specifications require the issuer in the document to be identical to the one "+
			"configured, so that one server cannot speak for another. If %q is the issuer you mean, set issuer_url "+
			"to it; otherwise check issuer_url, and the public URL the server (or a proxy in front of it) is "+
			"configured with.", e.Found)
	case oauth2client.DiscoveryNoTokenEndpoint:
		return "The server publishes no token endpoint (an OpenID Connect server using only the implicit flow " +
			"may omit it). " + fallbackAdvice
	case oauth2client.DiscoveryBadTokenEndpoint:
		return "token_endpoint must be an absolute http(s) URL. Ask the server's operators to fix its " +
			"metadata. " + fallbackAdvice
	}
	// No document: say what the answers have in common.
	var redirected, refused, failed bool
	for _, a := range e.Tried {
		switch {
		case a.Location != "" || (a.StatusCode >= 300 && a.StatusCode < 400):
			redirected = true
		case a.StatusCode == 401 || a.StatusCode == 403:
			refused = true
		case a.StatusCode >= 500:
			failed = true
		}
	}
	switch {
	case redirected:
		return "Metadata requests do not follow redirects. Check issuer_url: if the server moved, set issuer_url to the " +
			"issuer identifier it publishes at its new address. " + fallbackAdvice
	case refused:
		return "The server (or a proxy in front of it) refused to serve its metadata without credentials. " +
			"Check issuer_url. " + fallbackAdvice
	case failed:
		return "The server failed to answer. Try again later, or ask its operators. " + fallbackAdvice
	}
	return "Check issuer_url: it must be the server's issuer identifier exactly (for Keycloak " +
		"https://HOST/realms/REALM, for Auth0 https://TENANT.auth0.com/ with its trailing slash). " + fallbackAdvice
}

// namesAuthMethod says whether a server's error description is about the
// client authentication method, such as "client_secret must not be sent in
// the body; use HTTP Basic".
func namesAuthMethod(description string) bool {
	d := strings.ToLower(description)
	for _, w := range []string{"http basic", "basic auth", "authorization header", "client_secret_basic",
		"client_secret_post", "client_secret must", "client_secret is not", "authentication method",
		"auth method", "token_endpoint_auth_method"} {
		if strings.Contains(d, w) {
			return true
		}
	}
	return false
}

// reachabilityHint is the one advice for a request that got no answer:
// target names what to check (an attribute, or "the revocation URL").
func reachabilityHint(e *oauth2client.Error, target string) string {
	if !e.Unreachable() {
		return ""
	}
	if e.CertificateRejected {
		return fmt.Sprintf("The server's TLS certificate could not be verified, so nothing was sent to it. If the "+
			"server uses a private certificate authority, set ca_certificate_pem in the provider block to its "+
			"certificate (PEM); check also that %s names the host the certificate was issued for. Only to "+
			"diagnose, insecure_skip_verify = true skips the check, and lets anyone on the network path read the "+
			"credentials and tokens.", target)
	}
	if e.Timeout {
		limit := "the provider's timeout"
		if e.TimeLimit > 0 {
			limit = fmt.Sprintf("the %s timeout in force", e.TimeLimit)
		}
		return fmt.Sprintf("The server did not answer within %s. Check that %s is reachable from here, or raise "+
			"timeout in the provider block.", limit, target)
	}
	return fmt.Sprintf("No response arrived. Check that %s is reachable from here, and any proxy settings "+
		"(HTTPS_PROXY, NO_PROXY).", target)
}

const insecureAdvice = "Nothing was sent. Use an https:// endpoint, or set allow_insecure_http = true in the " +
	"provider block if the network to this host is trusted."

// authSends says, for hints, what each client authentication method puts on
// the wire.
var authSends = map[string]string{
	oauth2client.AuthClientSecretBasic:       "sends client_id and client_secret in an HTTP Basic header",
	oauth2client.AuthClientSecretPost:        "sends client_id and client_secret in the request body",
	oauth2client.AuthClientSecretJWT:         "sends a JWT signed with client_secret, which must match the server's copy",
	oauth2client.AuthPrivateKeyJWT:           "sends a JWT signed with private_key, which the server checks against the client's registered public key (and private_key_id)",
	oauth2client.AuthTLSClientAuth:           "presents client_certificate_pem, whose subject the server checks",
	oauth2client.AuthSelfSignedTLSClientAuth: "presents client_certificate_pem, which must be the one registered for the client",
	oauth2client.AuthNone:                    "sends only client_id",
}

// insecureURL says why raw is refused as plain http://, or "" when it is not.
func insecureURL(raw string, allow bool) string {
	if allow || !oauth2client.InsecureHTTP(raw) {
		return ""
	}
	return fmt.Sprintf("%s uses plain http:// to a host that is not loopback. Client secrets and tokens would "+
		"cross the network unencrypted; use https:// (RFC 6749 section 3.2 requires TLS), or set "+
		"allow_insecure_http = true if this network is trusted.", oauth2client.RedactURL(raw))
}

// checkHeader says what is wrong with sending header name under the given
// client authentication method, or "" when it may be sent.
func checkHeader(name, clientAuth string) string {
	canonical := http.CanonicalHeaderKey(name)
	if slices.Contains(oauth2client.ForbiddenHeaders(), canonical) {
		return fmt.Sprintf("%s is set by the provider from the request it sends; remove it.", canonical)
	}
	if canonical == "Authorization" && clientAuth == oauth2client.AuthClientSecretBasic {
		return "Authorization carries the client credentials under client_auth = \"client_secret_basic\"; " +
			"remove the header, or set client_auth to \"client_secret_post\" or \"none\" to send your own."
	}
	return ""
}

// noClientAuthReason says why discovery found no method for this
// configuration.
func noClientAuthReason(supported []string, hasSecret, hasPrivateKey bool) string {
	var have string
	switch {
	case hasSecret && hasPrivateKey:
		have = "a client secret and a private key"
	case hasSecret:
		have = "a client secret"
	case hasPrivateKey:
		have = "a private key and no client secret"
	default:
		have = "no client secret and no private key"
	}
	if len(supported) == 0 {
		return fmt.Sprintf("The server's metadata lists no token_endpoint_auth_methods_supported, which RFC 8414 "+
			"reads as client_secret_basic only, and the configuration has %s. Set client_secret, or set "+
			"client_auth explicitly (\"none\" for a public client).", have)
	}
	return fmt.Sprintf("The server accepts client authentication by %s (token_endpoint_auth_methods_supported), "+
		"none of which fits a configuration with %s. Set client_auth explicitly, or configure the credentials "+
		"one of those methods needs.", strings.Join(quoteAll(supported), ", "), have)
}
