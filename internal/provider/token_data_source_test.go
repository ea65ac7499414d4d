package provider

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/tokenserver"
)

func TestAccTokenDataSource_clientSecretBasic(t *testing.T) {
	srv := basicServer(t)
	unitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories(),
		Steps: []resource.TestStep{{
			Config: providerBlock(srv.URL) + `
data "oauth2_token" "test" {
  scopes = ["DataExchange"]
}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.oauth2_token.test", tfjsonpath.New("token_type"), knownvalue.StringExact("Bearer")),
				statecheck.ExpectKnownValue("data.oauth2_token.test", tfjsonpath.New("expires_in"), knownvalue.Int64Exact(600)),
				statecheck.ExpectKnownValue("data.oauth2_token.test", tfjsonpath.New("expires_at"), knownvalue.StringExact("2026-11-23T12:10:00Z")),
				statecheck.ExpectKnownValue("data.oauth2_token.test", tfjsonpath.New("scope"), knownvalue.StringExact("DataExchange")),
				statecheck.ExpectKnownValue("data.oauth2_token.test", tfjsonpath.New("refresh_token"), knownvalue.Null()),
				statecheck.ExpectKnownValue("data.oauth2_token.test", tfjsonpath.New("id_token"), knownvalue.Null()),
				statecheck.ExpectKnownValue("data.oauth2_token.test", tfjsonpath.New("extra"), knownvalue.MapExact(map[string]knownvalue.Check{
					"not-before-policy":  knownvalue.StringExact("1696859419"),
					"refresh_expires_in": knownvalue.StringExact("0"),
				})),
				statecheck.ExpectKnownValue("data.oauth2_token.test", tfjsonpath.New("authorization_header"),
					knownvalue.StringRegexp(regexp.MustCompile(`^Bearer [A-Za-z0-9_-]{20,}$`))),
			},
			Check: func(*terraform.State) error {
				r := srv.Requests()[0]
				if !r.BasicOK || r.BasicUser != "relatics-client" || r.BasicPassword != testSecret || r.Form.Has("client_secret") {
					return fmt.Errorf("client credentials did not travel in the Basic header only: %+v", r)
				}
				return nil
			},
		}},
	})
}

func TestAccTokenDataSource_passwordInQueryThenRefresh(t *testing.T) {
	srv := newRecordingServer(t, tokenserver.Options{
		Clients:           []tokenserver.Client{{ID: "reltio_ui", Secret: testSecret, Auth: tokenserver.AuthBasic}},
		Users:             []tokenserver.User{{Username: "jane@example.com", Password: testPassword}},
		ParamsIn:          tokenserver.ParamsInQuery,
		RequiredParams:    map[string]string{"idp_system": "salesforce"},
		TokenType:         "bearer",
		ExpiresInAsString: true,
		ScopeAsArray:      true,
		RefreshTokens:     true,
		ExtraFields:       map[string]any{"entityURI": "entities/0000abc"},
	})
	unitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories(),
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
provider "oauth2" {
  token_url     = %[1]q
  client_id     = "reltio_ui"
  client_secret = %[2]q
  params_in     = "query"
  extra_params  = { idp_system = "salesforce" }
}

data "oauth2_token" "login" {
  scopes = ["read", "write"]
  password_grant = {
    username = "jane@example.com"
    password = %[3]q
  }
}

data "oauth2_token" "refreshed" {
  refresh_token_grant = {
    refresh_token = data.oauth2_token.login.refresh_token
  }
}
`, srv.URL, testSecret, testPassword),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.oauth2_token.login", tfjsonpath.New("token_type"), knownvalue.StringExact("bearer")),
				statecheck.ExpectKnownValue("data.oauth2_token.login", tfjsonpath.New("authorization_header"),
					knownvalue.StringRegexp(regexp.MustCompile(`^Bearer \S+$`))),
				statecheck.ExpectKnownValue("data.oauth2_token.login", tfjsonpath.New("expires_in"), knownvalue.Int64Exact(3600)),
				statecheck.ExpectKnownValue("data.oauth2_token.login", tfjsonpath.New("scope"), knownvalue.StringExact("read write")),
				statecheck.ExpectKnownValue("data.oauth2_token.login", tfjsonpath.New("extra").AtMapKey("entityURI"),
					knownvalue.StringExact("entities/0000abc")),
				statecheck.ExpectKnownValue("data.oauth2_token.login", tfjsonpath.New("refresh_token"), knownvalue.NotNull()),
				statecheck.ExpectKnownValue("data.oauth2_token.refreshed", tfjsonpath.New("access_token"), knownvalue.NotNull()),
			},
			Check: func(*terraform.State) error {
				var grants []string
				for _, r := range srv.Requests() {
					if len(r.Form) != 0 {
						return fmt.Errorf("grant parameters leaked into the body: %v", r.Form)
					}
					grants = append(grants, r.Query.Get("grant_type"))
				}
				if got := strings.Join(grants, ","); !strings.Contains(got, "password,refresh_token") {
					return fmt.Errorf("grants sent: %s", got)
				}
				return nil
			},
		}},
	})
}

func TestAccTokenDataSource_clientSecretPost(t *testing.T) {
	srv := newRecordingServer(t, tokenserver.Options{
		Clients:   []tokenserver.Client{{ID: "api-user", Secret: testSecret, Auth: tokenserver.AuthPost}},
		OmitScope: true,
	})
	unitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories(),
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
provider "oauth2" {
  token_url     = %[1]q
  client_id     = "api-user"
  client_secret = %[2]q
  client_auth   = "client_secret_post"
  headers       = { X-Provider = "p" }
}

data "oauth2_token" "test" {
  headers = { X-Token = "t" }
}
`, srv.URL, testSecret),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.oauth2_token.test", tfjsonpath.New("scope"), knownvalue.Null()),
				statecheck.ExpectKnownValue("data.oauth2_token.test", tfjsonpath.New("expires_at"), knownvalue.StringExact("2026-11-23T13:00:00Z")),
			},
			Check: func(*terraform.State) error {
				r := srv.Requests()[0]
				if r.Form.Get("client_secret") != testSecret || r.Header.Get("Authorization") != "" {
					return fmt.Errorf("client credentials not in the body only: %v", r.Form)
				}
				if r.Header.Get("X-Provider") != "p" || r.Header.Get("X-Token") != "t" {
					return fmt.Errorf("headers did not merge: %v", r.Header)
				}
				return nil
			},
		}},
	})
}

// A wrong secret fails the plan with the status, the server's error code and
// description, and never the secret.
func TestAccTokenDataSource_wrongSecret(t *testing.T) {
	srv := basicServer(t)
	config := fmt.Sprintf(`
provider "oauth2" {
  token_url     = %[1]q
  client_id     = "relatics-client"
  client_secret = "Wr0ng/Secret+"
}

data "oauth2_token" "test" {}
`, srv.URL)
	var seen error
	unitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories(),
		ErrorCheck: func(err error) error {
			seen = err
			text := err.Error()
			for _, want := range []string{"Token Request Failed", "401 Unauthorized", "invalid_client", "Invalid client", "client_secret_basic"} {
				if !strings.Contains(text, want) {
					return fmt.Errorf("error lacks %q: %w", want, err)
				}
			}
			if strings.Contains(text, "Wr0ng/Secret+") || strings.Contains(text, "Wr0ng%2FSecret%2B") {
				return fmt.Errorf("error shows the secret: %w", err)
			}
			return nil
		},
		Steps: []resource.TestStep{{Config: config}},
	})
	if seen == nil {
		t.Fatal("a wrong client secret did not fail the plan")
	}
}

func TestAccTokenDataSource_validation(t *testing.T) {
	cases := map[string]struct {
		token string
		want  string
	}{
		"both grants": {`
  password_grant      = { username = "u", password = "p" }
  refresh_token_grant = { refresh_token = "r" }`, `Invalid Attribute Combination[\s\S]*refresh_token_grant`},
		"empty username":       {`password_grant = { username = "", password = "p" }`, `username[\s\S]*at least 1`},
		"unknown params_in":    {`params_in = "headers"`, `params_in[\s\S]*"query"`},
		"reserved extra param": {`extra_params = { scope = "a" }`, `extra_params cannot set "scope"[\s\S]*scopes`},
		"computed header":      {`headers = { Content-Type = "application/json" }`, `Content-Type is set by the provider`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			unitTest(t, resource.TestCase{
				ProtoV6ProviderFactories: protoV6ProviderFactories(),
				Steps: []resource.TestStep{{
					Config:      providerBlock("https://auth.example.com/token") + "data \"oauth2_token\" \"test\" {\n" + tc.token + "\n}\n",
					ExpectError: regexp.MustCompile(tc.want),
				}},
			})
		})
	}
}

// The data source's token is in the state by design, but never in a log:
// not the CLI's TRACE log, not the provider's.
func TestAccTokenDataSource_traceLogHoldsNoSecret(t *testing.T) {
	srv := newRecordingServer(t, tokenserver.Options{
		Clients:       []tokenserver.Client{{ID: "app", Secret: testSecret, Auth: tokenserver.AuthBasic}},
		Users:         []tokenserver.User{{Username: "jane", Password: testPassword}},
		RefreshTokens: true,
	})
	logDir := t.TempDir()
	t.Setenv("TF_LOG", "TRACE")
	t.Setenv("TF_ACC_LOG", "TRACE")
	t.Setenv("TF_LOG_PATH_MASK", filepath.Join(logDir, "%s.log"))
	// Secrets reach Terraform from the environment and a variable file, so
	// that the test harness's own log of the configuration holds none.
	t.Setenv("OAUTH2_CLIENT_SECRET", testSecret)

	unitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories(),
		Steps: []resource.TestStep{{
			ConfigVariables: config.Variables{"password": config.StringVariable(testPassword)},
			Config: fmt.Sprintf(`
variable "password" {
  type      = string
  sensitive = true
}

provider "oauth2" {
  token_url = %[1]q
  client_id = "app"
}

data "oauth2_token" "login" {
  password_grant = {
    username = "jane"
    password = var.password
  }
}

data "oauth2_token" "refreshed" {
  refresh_token_grant = {
    refresh_token = data.oauth2_token.login.refresh_token
  }
}
`, srv.URL),
		}},
	})

	secrets := append(srv.Issued(), testSecret, testPassword)
	logs := searchTree(t, logDir, secrets, "")
	if logs.total == 0 || !logs.contains("Token request succeeded") || !logs.contains("refresh_token") {
		t.Fatal("no provider log was written at TRACE: the log check would prove nothing")
	}
}
