package provider

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/tokenserver"
)

// The echo provider copies the ephemeral result into its state, which is
// the only way a test can read it; the leak tests below use no echo.
func TestAccTokenEphemeralResource_clientSecretBasic(t *testing.T) {
	srv := basicServer(t)
	ephemeralUnitTest(t, resource.TestCase{
		TerraformVersionChecks:   ephemeralVersions,
		ProtoV6ProviderFactories: protoV6ProviderFactories(),
		Steps: []resource.TestStep{{
			Config: providerBlock(srv.URL) + `
ephemeral "oauth2_token" "test" {}

provider "echo" {
  data = ephemeral.oauth2_token.test
}

resource "echo" "test" {}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("echo.test", tfjsonpath.New("data").AtMapKey("token_type"), knownvalue.StringExact("Bearer")),
				statecheck.ExpectKnownValue("echo.test", tfjsonpath.New("data").AtMapKey("expires_in"), knownvalue.Int64Exact(600)),
				statecheck.ExpectKnownValue("echo.test", tfjsonpath.New("data").AtMapKey("expires_at"), knownvalue.StringExact("2026-11-23T12:10:00Z")),
				statecheck.ExpectKnownValue("echo.test", tfjsonpath.New("data").AtMapKey("scope"), knownvalue.StringExact("DataExchange")),
				statecheck.ExpectKnownValue("echo.test", tfjsonpath.New("data").AtMapKey("extra").AtMapKey("not-before-policy"),
					knownvalue.StringExact("1696859419")),
				statecheck.ExpectKnownValue("echo.test", tfjsonpath.New("data").AtMapKey("authorization_header"),
					knownvalue.StringRegexp(regexp.MustCompile(`^Bearer \S+$`))),
			},
		}},
	})
}

func TestAccTokenEphemeralResource_passwordGrant(t *testing.T) {
	srv := newRecordingServer(t, tokenserver.Options{
		Clients:       []tokenserver.Client{{ID: "app", Secret: testSecret, Auth: tokenserver.AuthPost}},
		Users:         []tokenserver.User{{Username: "jane", Password: testPassword}},
		RefreshTokens: true,
	})
	ephemeralUnitTest(t, resource.TestCase{
		TerraformVersionChecks:   ephemeralVersions,
		ProtoV6ProviderFactories: protoV6ProviderFactories(),
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
provider "oauth2" {
  token_url     = %[1]q
  client_id     = "app"
  client_secret = %[2]q
  client_auth   = "client_secret_post"
}

ephemeral "oauth2_token" "test" {
  password_grant = {
    username = "jane"
    password = %[3]q
  }
}

provider "echo" {
  data = ephemeral.oauth2_token.test.refresh_token != null
}

resource "echo" "test" {}
`, srv.URL, testSecret, testPassword),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("echo.test", tfjsonpath.New("data"), knownvalue.Bool(true)),
			},
		}},
	})
}

// apiServer stands for an API behind the token endpoint: it records the
// Authorization headers it receives.
type apiServer struct {
	URL  string
	mu   sync.Mutex
	seen []string
}

func newAPIServer(t *testing.T) *apiServer {
	api := &apiServer{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		api.mu.Lock()
		api.seen = append(api.seen, r.Header.Get("Authorization"))
		api.mu.Unlock()
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	api.URL = srv.URL
	return api
}

func (a *apiServer) Seen() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.seen...)
}

// The ephemeral token reaches a provisioner through its environment, and
// appears nowhere on disk afterwards: not in the state, not in the saved
// plan (a zip archive, searched entry by entry), not in any other file of
// the working directory. The CLI's trace log and the provider's log, both
// at TRACE, hold neither the token nor the secrets.
func TestAccTokenEphemeralResource_leavesNoTokenOnDisk(t *testing.T) {
	srv := newRecordingServer(t, tokenserver.Options{
		Clients:       []tokenserver.Client{{ID: "app", Secret: testSecret, Auth: tokenserver.AuthBasic}},
		Users:         []tokenserver.User{{Username: "jane", Password: testPassword}},
		RefreshTokens: true,
	})
	api := newAPIServer(t)
	workDir := t.TempDir()
	logDir := t.TempDir()
	t.Setenv("TF_ACC_PERSIST_WORKING_DIR", "1")
	t.Setenv("TF_LOG", "TRACE")
	t.Setenv("TF_ACC_LOG", "TRACE")
	t.Setenv("TF_LOG_PATH_MASK", filepath.Join(logDir, "%s.log"))

	// The secrets reach Terraform the way a careful pipeline hands them
	// over: the client secret through the environment, the password as an
	// ephemeral variable. Written into the configuration, they would be in
	// the test harness's own log of it, and in the plan's copy of it.
	t.Setenv("OAUTH2_CLIENT_SECRET", testSecret)
	vars := config.Variables{"password": config.StringVariable(testPassword)}
	cfg := fmt.Sprintf(`
variable "password" {
  type      = string
  sensitive = true
  ephemeral = true
}

provider "oauth2" {
  token_url = %[1]q
  client_id = "app"
}

ephemeral "oauth2_token" "test" {
  password_grant = {
    username = "jane"
    password = var.password
  }
}

resource "terraform_data" "call_api" {
  provisioner "local-exec" {
    command = "curl -sf -H \"Authorization: $AUTH\" %[2]s"
    environment = {
      AUTH = ephemeral.oauth2_token.test.authorization_header
    }
  }
}
`, srv.URL, api.URL)

	ephemeralUnitTest(t, resource.TestCase{
		TerraformVersionChecks:   ephemeralVersions,
		ProtoV6ProviderFactories: protoV6ProviderFactories(),
		WorkingDir:               workDir,
		Steps: []resource.TestStep{
			{Config: cfg, ConfigVariables: vars},
			// A second step plans again on the applied state, so a later
			// plan is searched too.
			{Config: cfg, ConfigVariables: vars, PlanOnly: true},
		},
	})

	seen := api.Seen()
	if len(seen) != 1 || !strings.HasPrefix(seen[0], "Bearer ") || !srv.Active(strings.TrimPrefix(seen[0], "Bearer ")) {
		t.Fatalf("the provisioner did not call the API with an issued token: %q", seen)
	}
	secrets := append(srv.Issued(), testSecret, testPassword)
	if len(secrets) < 3 {
		t.Fatal("the server issued no tokens")
	}
	// terraform.tfvars.json is the test's own input file, holding the
	// password as the user's variable file would; it is the one file
	// allowed to contain it.
	files := searchTree(t, workDir, secrets, "terraform.tfvars.json")
	if files.plans == 0 || files.states == 0 {
		t.Fatalf("searched %d files but found %d saved plans and %d states: the test would prove nothing",
			files.total, files.plans, files.states)
	}
	logs := searchTree(t, logDir, secrets, "")
	if logs.total == 0 || !logs.contains("Token request succeeded") {
		t.Fatal("no provider log was written at TRACE: the log check would prove nothing")
	}
}

type searchResult struct {
	total, plans, states int
	text                 []string
}

func (r searchResult) contains(s string) bool {
	for _, t := range r.text {
		if strings.Contains(t, s) {
			return true
		}
	}
	return false
}

// searchTree fails the test if any file under root, or any entry of a zip
// archive (a saved plan) under root, contains one of secrets.
func searchTree(t *testing.T, root string, secrets []string, inputFile string) searchResult {
	t.Helper()
	var res searchResult
	check := func(name string, data []byte) {
		res.total++
		res.text = append(res.text, string(data))
		for _, s := range secrets {
			if i := bytes.Index(data, []byte(s)); i >= 0 {
				// Show where, with the secret itself blanked out.
				from, to := max(0, i-150), min(len(data), i+len(s)+150)
				context := strings.ReplaceAll(string(data[from:to]), s, "<SECRET>")
				t.Errorf("%s contains a secret or token (%d characters): ...%s...", name, len(s), context)
			}
		}
	}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Type()&fs.ModeSymlink != 0 {
			return err
		}
		if d.Name() == inputFile {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.HasSuffix(path, ".tfstate") {
			res.states++
		}
		if zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data))); err == nil {
			res.plans++
			for _, f := range zr.File {
				rc, err := f.Open()
				if err != nil {
					return err
				}
				entry, err := io.ReadAll(rc)
				_ = rc.Close()
				if err != nil {
					return err
				}
				check(path+"!"+f.Name, entry)
			}
			return nil
		}
		check(path, data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}
