package provider

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/ciissuer"
	"github.com/tfoauth2/terraform-provider-oauth2/internal/dextest"
	"github.com/tfoauth2/terraform-provider-oauth2/internal/hydratest"
	"github.com/tfoauth2/terraform-provider-oauth2/internal/oauth2client"
)

func randomToken(t *testing.T, prefix string) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return prefix + hex.EncodeToString(b)
}

// ciStandIns are the GitHub Actions and Azure DevOps token endpoints, as
// strict as their documentation, serving token.
func ciStandIns(t *testing.T, token func() string) (gitHubURL, azureURL, ghCredential, adoCredential string) {
	t.Helper()
	ghCredential, adoCredential = randomToken(t, "ghreq-"), randomToken(t, "adoreq-")
	gh := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.Header.Get("Authorization") != "bearer "+ghCredential ||
			r.URL.Query().Get("api-version") != "2.0" {
			http.Error(w, "refused: "+r.Header.Get("Authorization"), http.StatusUnauthorized)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"count": 1, "value": token()})
	}))
	t.Cleanup(gh.Close)
	ado := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if r.Method != http.MethodPost || r.Header.Get("Authorization") != "Bearer "+adoCredential ||
			q.Get("api-version") != "7.1" || q.Get("serviceConnectionId") != "sc-1" {
			http.Error(w, "refused", http.StatusUnauthorized)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"oidcToken": token()})
	}))
	t.Cleanup(ado.Close)
	return gh.URL + "/token?api-version=2.0", ado.URL + "/oidc", ghCredential, adoCredential
}

// Every source, in every place a source is used: the token server receives
// the CI token where the RFCs put it, and neither the CI token nor the CI
// systems' request credentials reach the state, a saved plan, a TRACE log or
// the diagnostic of a server that echoes the request.
func TestAccIdentitySource_everyPlaceLeakProof(t *testing.T) {
	cases := map[string]struct {
		source, place string
	}{
		"env as jwt-bearer assertion":             {`{ env = "CI_ID_TOKEN" }`, "assertion"},
		"file as subject token":                   {`{ file = "FILE" }`, "subject_token"},
		"command as actor token":                  {`{ command = ["cat", "FILE"] }`, "actor_token"},
		"github_actions as client assertion":      {`{ github_actions = { audience = "api://AzureADTokenExchange" } }`, "client_assertion"},
		"azure_devops as subject token":           {`{ azure_devops = { service_connection_id = "sc-1" } }`, "subject_token"},
		"github_actions as jwt-bearer assertion":  {`{ github_actions = {} }`, "assertion"},
		"azure_devops as client assertion":        {`{ azure_devops = { service_connection_id = "sc-1" } }`, "client_assertion"},
		"env as actor token with subject source":  {`{ env = "CI_ID_TOKEN" }`, "actor_token"},
		"command as client assertion, file again": {`{ command = ["cat", "FILE"] }`, "client_assertion"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ciToken := randomToken(t, "eyJci.")
			var failing atomic.Bool
			var received atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				w.Header().Set("Content-Type", "application/json")
				if failing.Load() {
					w.WriteHeader(http.StatusBadRequest)
					_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant",
						"error_description": "you sent " + string(body) + " " + r.URL.RawQuery})
					return
				}
				form, _ := parseForm(body)
				if form.Get(tc.place) != ciToken {
					w.WriteHeader(http.StatusBadRequest)
					_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_request", "error_description": "no " + tc.place})
					return
				}
				if tc.place == "client_assertion" && form.Get("client_assertion_type") != oauth2client.ClientAssertionType {
					w.WriteHeader(http.StatusUnauthorized)
					_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_client"})
					return
				}
				received.Add(1)
				_ = json.NewEncoder(w).Encode(map[string]any{"access_token": randomToken(t, "at-"), "token_type": "Bearer", "expires_in": 600})
			}))
			t.Cleanup(srv.Close)
			ghURL, adoURL, ghCred, adoCred := ciStandIns(t, func() string { return ciToken })
			t.Setenv(oauth2client.EnvGitHubRequestURL, ghURL)
			t.Setenv(oauth2client.EnvGitHubRequestToken, ghCred)
			t.Setenv(oauth2client.EnvAzureDevOpsURL, adoURL)
			t.Setenv(oauth2client.EnvAzureDevOpsToken, adoCred)
			t.Setenv("CI_ID_TOKEN", ciToken)
			tokenFile := filepath.Join(t.TempDir(), "ci-token")
			if err := os.WriteFile(tokenFile, []byte(ciToken+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			source := strings.ReplaceAll(tc.source, "FILE", tokenFile)

			providerExtra, grant := "", ""
			switch tc.place {
			case "client_assertion":
				providerExtra = "client_assertion_source = " + source
			case "assertion":
				grant = "jwt_bearer_grant = { assertion_source = " + source + " }"
			case "subject_token":
				grant = `token_exchange_grant = {
    subject_token_source = ` + source + `
    subject_token_type   = "urn:ietf:params:oauth:token-type:jwt"
  }`
			case "actor_token":
				grant = `token_exchange_grant = {
    subject_token      = "a-subject-token"
    subject_token_type = "urn:ietf:params:oauth:token-type:access_token"
    actor_token_source = ` + source + `
    actor_token_type   = "urn:ietf:params:oauth:token-type:jwt"
  }`
			}
			workDir, logDir := t.TempDir(), t.TempDir()
			t.Setenv("TF_ACC_PERSIST_WORKING_DIR", "1")
			t.Setenv("TF_LOG", "TRACE")
			t.Setenv("TF_ACC_LOG", "TRACE")
			t.Setenv("TF_LOG_PATH_MASK", filepath.Join(logDir, "%s.log"))
			cfg := fmt.Sprintf(`
provider "oauth2" {
  token_url = %[1]q
  client_id = "ci-client"
  %[2]s
}

ephemeral "oauth2_token" "test" {
  %[3]s
}

data "oauth2_token" "test" {
  %[3]s
}

resource "terraform_data" "consumer" {
  provisioner "local-exec" {
    command = "test -n \"$AUTH\""
    environment = {
      AUTH = ephemeral.oauth2_token.test.authorization_header
    }
  }
}
`, srv.URL+"/token", providerExtra, grant)

			var failure error
			ephemeralUnitTest(t, resource.TestCase{
				TerraformVersionChecks:   ephemeralVersions,
				ProtoV6ProviderFactories: protoV6ProviderFactoriesWithClock(time.Now),
				WorkingDir:               workDir,
				ErrorCheck: func(err error) error {
					failure = err
					if !strings.Contains(err.Error(), "invalid_grant") {
						return fmt.Errorf("want the server's error in the diagnostic: %w", err)
					}
					return nil
				},
				Steps: []resource.TestStep{
					{Config: cfg},
					{PreConfig: func() { failing.Store(true) }, Config: cfg, PlanOnly: true},
				},
			})
			if received.Load() == 0 {
				t.Fatalf("the token server never received the CI token as %s", tc.place)
			}
			if failure == nil {
				t.Fatal("the echoing server's failure did not fail the plan")
			}
			secrets := []string{ciToken, ghCred, adoCred}
			for _, s := range secrets {
				if strings.Contains(failure.Error(), s) {
					t.Errorf("the diagnostic shows a CI secret (%d characters):\n%s", len(s), failure)
				}
			}
			files := searchTree(t, workDir, secrets, "")
			if files.plans == 0 || files.states == 0 {
				t.Fatalf("found %d saved plans and %d states in %d files: nothing was proven", files.plans, files.states, files.total)
			}
			logs := searchTree(t, logDir, secrets, "")
			if !logs.contains("Token request succeeded") {
				t.Fatal("the provider's TRACE log is missing: nothing was proven")
			}
		})
	}
}

// parseForm reads a form body.
func parseForm(body []byte) (url.Values, error) {
	return url.ParseQuery(string(body))
}

// Ory Hydra's jwt-bearer grant, with a trust relationship for a stand-in CI
// issuer, trades the job's GitHub Actions token for an access token; Hydra's
// introspection says the token is active and belongs to the CI token's
// subject. Hydra accepts each assertion's jti once, so the stand-in mints a
// token per request, as GitHub does.
func TestAccIdentitySource_hydraJWTBearer(t *testing.T) {
	hydra := hydratest.Start(t)
	client := hydra.CreateClient(t, hydratest.Client{Scopes: []string{"deploy"}})
	ci := ciissuer.Start(t, ciissuer.Options{})
	claims := ciissuer.GitHubActionsClaims("octo/infra", "refs/heads/main", hydra.TokenURL)
	sub, _ := claims["sub"].(string)
	hydra.Trust(t, hydratest.Trust{Issuer: ci.URL, Subject: sub, JWK: ci.PublicJWK(), Scopes: []string{"deploy"}})
	ghURL, _, ghCred, _ := ciStandIns(t, func() string { return ci.MustMint(t, claims) })
	t.Setenv(oauth2client.EnvGitHubRequestURL, ghURL)
	t.Setenv(oauth2client.EnvGitHubRequestToken, ghCred)

	unitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactoriesWithClock(time.Now),
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
provider "oauth2" {
  token_url     = %[1]q
  client_id     = %[2]q
  client_secret = %[3]q
}

data "oauth2_token" "deploy" {
  scopes = ["deploy"]
  jwt_bearer_grant = {
    assertion_source = {
      github_actions = { audience = %[1]q }
    }
  }
}
`, hydra.TokenURL, client.ID, client.Secret),
			Check: func(s *terraform.State) error {
				token := s.RootModule().Resources["data.oauth2_token.deploy"].Primary.Attributes["access_token"]
				in := hydra.Introspect(t, token)
				if !in.Active || in.Subject != sub {
					return fmt.Errorf("Hydra's introspection: active %v, sub %q; want active and %q", in.Active, in.Subject, sub)
				}
				return nil
			},
		}},
	})
}

// Dex's token exchange, with an OIDC connector whose issuer is a stand-in
// CI issuer, trades a CI ID token read from a file for a Dex access token,
// which verifies against Dex's keys and belongs to the CI token's subject.
func TestAccIdentitySource_dexTokenExchange(t *testing.T) {
	ci := ciissuer.Start(t, ciissuer.Options{})
	dex := dextest.Start(t, dextest.Config{UpstreamIssuer: ci.URL})
	client := dex.Client()
	claims := map[string]any{"sub": "system:serviceaccount:ci:deployer", "aud": "dex"}
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(ci.MustMint(t, claims)), 0o600); err != nil {
		t.Fatal(err)
	}
	unitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactoriesWithClock(time.Now),
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
provider "oauth2" {
  token_url     = %[1]q
  client_id     = %[2]q
  client_secret = %[3]q
}

data "oauth2_token" "exchanged" {
  token_exchange_grant = {
    subject_token_source = { file = %[4]q }
    subject_token_type   = %[5]q
  }
  extra_params = {
    connector_id = %[6]q
  }
}
`, dex.TokenURL, client.ID, client.Secret, tokenFile, dextest.IDTokenType, dex.ConnectorID),
			Check: func(s *terraform.State) error {
				token := s.RootModule().Resources["data.oauth2_token.exchanged"].Primary.Attributes["access_token"]
				got, err := dex.Verify(t, token)
				if err != nil {
					return fmt.Errorf("the issued token does not verify against Dex's keys: %w", err)
				}
				if !dex.BelongsTo(got.Subject, "system:serviceaccount:ci:deployer") {
					return fmt.Errorf("the issued token's sub %q does not belong to the CI token's subject", got.Subject)
				}
				if in := dex.Introspect(t, token); !in.Active {
					return fmt.Errorf("Dex's introspection says the token is not active")
				}
				return nil
			},
		}},
	})
}

// Outside the environment a source needs, the error names what is missing
// and what enables it; a source with two ways set fails at validate.
func TestAccIdentitySource_misconfigured(t *testing.T) {
	for _, name := range []string{oauth2client.EnvGitHubRequestURL, oauth2client.EnvGitHubRequestToken,
		oauth2client.EnvAzureDevOpsURL, oauth2client.EnvAzureDevOpsToken, "CI_ID_TOKEN_UNSET"} {
		t.Setenv(name, "")
		_ = os.Unsetenv(name)
	}
	srv := basicServer(t)
	cases := map[string]struct{ source, want string }{
		"github_actions outside a job": {`{ github_actions = {} }`, `ACTIONS_ID_TOKEN_REQUEST_URL is not set[\s\S]*permissions: id-token: write`},
		"azure_devops outside a job":   {`{ azure_devops = { service_connection_id = "sc" } }`, `SYSTEM_OIDCREQUESTURI[\s\S]*SYSTEM_ACCESSTOKEN`},
		"env unset":                    {`{ env = "CI_ID_TOKEN_UNSET" }`, `CI_ID_TOKEN_UNSET is not set[\s\S]*id_tokens`},
		"file missing":                 {`{ file = "/nonexistent/ci/token" }`, `does not exist[\s\S]*serviceAccountToken`},
		"two ways":                     {`{ env = "X", file = "/x" }`, `Invalid Identity Token Source[\s\S]*exactly one`},
		"no way":                       {`{}`, `Invalid Identity Token Source[\s\S]*no way`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			unitTest(t, resource.TestCase{
				ProtoV6ProviderFactories: protoV6ProviderFactories(),
				Steps: []resource.TestStep{{
					Config: providerBlock(srv.URL) + `
data "oauth2_token" "test" {
  jwt_bearer_grant = { assertion_source = ` + tc.source + ` }
}
`,
					ExpectError: regexp.MustCompile(strings.ReplaceAll(tc.want, " ", `\s+`)),
				}},
			})
		})
	}
	t.Run("client_assertion_source with a client secret", func(t *testing.T) {
		unitTest(t, resource.TestCase{
			ProtoV6ProviderFactories: protoV6ProviderFactories(),
			Steps: []resource.TestStep{{
				Config: fmt.Sprintf(`
provider "oauth2" {
  token_url               = %q
  client_id               = "x"
  client_secret           = "also-a-secret"
  client_assertion_source = { env = "CI_ID_TOKEN" }
}

data "oauth2_token" "test" {}
`, srv.URL),
				ExpectError: regexp.MustCompile(`Conflicting Client Credentials[\s\S]*client_secret`),
			}},
		})
	})
}
