package provider

import (
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
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/testenv"
	"github.com/tfoauth2/terraform-provider-oauth2/internal/tokenserver"
)

// The token file on the real CLIs, whose renewal loops differ: the bundled
// token server issues tokens that live two seconds and refuses them at its
// protected resource once they have expired, an apply waits several
// lifetimes, and a consumer at the end reads the file and calls the
// resource. Renewals happen when RenewAt passes during the apply, with the
// provider on the real clock.

// tokenFileLifetime is how long the tokens of these tests live, in seconds.
const tokenFileLifetime = 2

// shortLivedServer issues tokenFileLifetime tokens by client credentials,
// with the protected resource at /api.
func shortLivedServer(t *testing.T) *recordingServer {
	return newRecordingServer(t, tokenserver.Options{
		Clients:      []tokenserver.Client{{ID: "app", Secret: testSecret, Auth: tokenserver.AuthBasic}},
		ExpiresIn:    tokenFileLifetime,
		ResourcePath: "/api",
	})
}

func apiURL(srv *recordingServer) string { return strings.TrimSuffix(srv.URL, "/token") + "/api" }

// fileWatch polls a token file while a test runs and records what it saw.
type fileWatch struct {
	mu       sync.Mutex
	tokens   []string // distinct contents, in order
	badModes []fs.FileMode
	expired  int // reads of a token the server no longer accepted
	stop     chan struct{}
	done     chan struct{}
}

// watchFile reads path every 20 ms until stop is called: every token it
// finds there must be one the server accepts at that moment, and the file's
// mode must be 0600.
func watchFile(path string, srv *recordingServer) *fileWatch {
	w := &fileWatch{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-w.stop:
				return
			case <-tick.C:
			}
			fi, err := os.Lstat(path)
			if err != nil {
				continue
			}
			data, err := os.ReadFile(path)
			if err != nil {
				continue // replaced or removed between the two calls
			}
			token := string(data)
			active := srv.Active(token)
			w.mu.Lock()
			if fi.Mode() != 0o600 {
				w.badModes = append(w.badModes, fi.Mode())
			}
			if !active {
				w.expired++
			}
			if n := len(w.tokens); n == 0 || w.tokens[n-1] != token {
				w.tokens = append(w.tokens, token)
			}
			w.mu.Unlock()
		}
	}()
	return w
}

func (w *fileWatch) finish() {
	close(w.stop)
	<-w.done
}

func tokenFileProvider(srv *recordingServer) string {
	return fmt.Sprintf(`
provider "oauth2" {
  token_url     = %[1]q
  client_id     = "app"
  client_secret = %[2]q
}
`, srv.URL, testSecret)
}

// TestAccTokenEphemeralResource_tokenFileLongApply is the scenario:
// an apply that lasts several lifetimes of the token ends with a consumer
// that reads the file and is accepted. The file never held an expired
// token while it existed, its mode was 0600 throughout, it is gone after
// the apply, and no token is in the plan, the state or any other file of
// the working directory.
func TestAccTokenEphemeralResource_tokenFileLongApply(t *testing.T) {
	srv := shortLivedServer(t)
	// A directory that does not exist yet: the provider creates it 0700.
	dir := filepath.Join(t.TempDir(), "tokens")
	tokenPath := filepath.Join(dir, "api")
	workDir, logDir := t.TempDir(), t.TempDir()
	t.Setenv("TF_ACC_PERSIST_WORKING_DIR", "1")
	// The CLI's and the provider's logs at TRACE are searched too: renewals
	// log their requests.
	t.Setenv("TF_LOG", "TRACE")
	t.Setenv("TF_ACC_LOG", "TRACE")
	t.Setenv("TF_LOG_PATH_MASK", filepath.Join(logDir, "%s.log"))
	// The secret from the environment: written into the configuration, it
	// would be in the harness's own log of it.
	t.Setenv("OAUTH2_CLIENT_SECRET", testSecret)
	wait := 4 * tokenFileLifetime
	cfg := fmt.Sprintf(`
provider "oauth2" {
  token_url = %[1]q
  client_id = "app"
}
`, srv.URL) + fmt.Sprintf(`
ephemeral "oauth2_token" "api" {
  token_file = {
    path = %[1]q
  }
}

# The slow part of the apply: several lifetimes of the token.
resource "terraform_data" "wait" {
  provisioner "local-exec" {
    command = "sleep %[2]d"
  }
}

# The consumer at the end reads the file when it calls the API, and checks
# the file's mode and its directory's.
resource "terraform_data" "consumer" {
  depends_on = [terraform_data.wait]

  provisioner "local-exec" {
    command = <<-EOT
      set -e
      test "$(stat -c %%a "$TOKEN_FILE")" = 600
      test "$(stat -c %%a "$(dirname "$TOKEN_FILE")")" = 700
      curl --fail --silent --show-error --header "Authorization: Bearer $(cat "$TOKEN_FILE")" "$API" >/dev/null
    EOT

    environment = {
      TOKEN_FILE = ephemeral.oauth2_token.api.token_file.path
      API        = %[3]q
    }
  }
}
`, tokenPath, wait, apiURL(srv))

	watch := watchFile(tokenPath, srv)
	start := time.Now()
	ephemeralUnitTest(t, resource.TestCase{
		TerraformVersionChecks:   ephemeralVersions,
		ProtoV6ProviderFactories: protoV6ProviderFactoriesWithClock(time.Now),
		WorkingDir:               workDir,
		Steps:                    []resource.TestStep{{Config: cfg}},
	})
	watch.finish()
	elapsed := time.Since(start)

	accepted, refused := srv.ResourceRequests()
	if accepted != 1 || refused != 0 {
		t.Errorf("the API accepted %d and refused %d calls, want the consumer's one call accepted", accepted, refused)
	}
	if _, err := os.Lstat(tokenPath); !os.IsNotExist(err) {
		t.Errorf("the token file is still there after the run: %v", err)
	}
	watch.mu.Lock()
	defer watch.mu.Unlock()
	t.Logf("%s in %s: the file held %d distinct tokens; the server issued %d", cliName(), elapsed.Round(time.Second),
		len(watch.tokens), len(srv.Issued()))
	if watch.expired > 0 {
		t.Errorf("the file held a token the server no longer accepted at %d of its reads", watch.expired)
	}
	if len(watch.badModes) > 0 {
		t.Errorf("the file had modes %v, want 0600 whenever it existed", watch.badModes)
	}
	// The wait alone lasts 4 lifetimes, renewed every half lifetime.
	if len(watch.tokens) < 4 {
		t.Errorf("the file held %d distinct tokens during an apply of %d lifetimes: it was not renewed", len(watch.tokens), wait/tokenFileLifetime)
	}
	for _, tok := range watch.tokens {
		if !contains(srv.Issued(), tok) {
			t.Error("the file held something the server did not issue")
		}
	}
	files := searchTree(t, workDir, srv.Issued(), "")
	if files.plans == 0 || files.states == 0 {
		t.Fatalf("searched %d files but found %d saved plans and %d states: the test would prove nothing",
			files.total, files.plans, files.states)
	}
	logs := searchTree(t, logDir, append(srv.Issued(), testSecret), "")
	if !logs.contains("Token file renewed") {
		t.Error("no provider log of a renewal was written at TRACE: the log check would prove nothing")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func cliName() string {
	cli, err := currentCLI()
	if err != nil {
		return "the CLI"
	}
	return cli.String()
}

// A path the provider must not write is refused when the resource opens,
// before a token is requested, and what is there is left alone.
func TestAccTokenEphemeralResource_tokenFileUnsafePath(t *testing.T) {
	srv := shortLivedServer(t)
	dir := t.TempDir()
	target := filepath.Join(dir, "elsewhere")
	if err := os.WriteFile(target, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	wide := filepath.Join(dir, "wide")
	if err := os.WriteFile(wide, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(wide, 0o644); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		link:        `Unsafe Token File Path[\s\S]*symbolic\s+link`,
		wide:        `Unsafe Token File Path[\s\S]*mode\s+0644`,
		t.TempDir(): `Unsafe Token File Path[\s\S]*not\s+a\s+regular\s+file`,
	} {
		ephemeralUnitTest(t, resource.TestCase{
			TerraformVersionChecks:   ephemeralVersions,
			ProtoV6ProviderFactories: protoV6ProviderFactoriesWithClock(time.Now),
			Steps: []resource.TestStep{{
				Config: tokenFileProvider(srv) + fmt.Sprintf(`
ephemeral "oauth2_token" "api" {
  token_file = {
    path = %q
  }
}
`, path),
				ExpectError: regexp.MustCompile(want),
			}},
		})
	}
	if n := srv.TokenRequests(); n != 0 {
		t.Errorf("%d tokens were issued for paths that were refused", n)
	}
	for _, p := range []string{target, wide} {
		if data, _ := os.ReadFile(p); string(data) != "keep" {
			t.Errorf("%s was changed", p)
		}
	}
	if fi, _ := os.Lstat(link); fi.Mode()&fs.ModeSymlink == 0 {
		t.Error("the symbolic link was replaced")
	}
}

// content = "id_token" needs an ID token; without one, the error names
// token_file.content and no file is left. The data source has no
// token_file: its token is in the state anyway.
func TestAccTokenEphemeralResource_tokenFileValidation(t *testing.T) {
	srv := shortLivedServer(t)
	path := filepath.Join(t.TempDir(), "token")
	ephemeralUnitTest(t, resource.TestCase{
		TerraformVersionChecks:   ephemeralVersions,
		ProtoV6ProviderFactories: protoV6ProviderFactoriesWithClock(time.Now),
		Steps: []resource.TestStep{
			{
				Config: tokenFileProvider(srv) + fmt.Sprintf(`
ephemeral "oauth2_token" "api" {
  token_file = {
    path    = %q
    content = "id_token"
  }
}
`, path),
				ExpectError: regexp.MustCompile(`No ID Token[\s\S]*token_file.content`),
			},
			{
				Config: tokenFileProvider(srv) + fmt.Sprintf(`
ephemeral "oauth2_token" "api" {
  token_file = {
    path    = %q
    content = "refresh_token"
  }
}
`, path),
				ExpectError: regexp.MustCompile(`(?i)value must be one of[\s\S]*"access_token"`),
			},
			{
				Config: tokenFileProvider(srv) + fmt.Sprintf(`
data "oauth2_token" "api" {
  token_file = {
    path = %q
  }
}
`, path),
				ExpectError: regexp.MustCompile(`Unsupported argument[\s\S]*token_file`),
			},
		},
	})
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("a token file was left: %v", err)
	}
}

// TestAccTokenEphemeralResource_tokenFileRenewalDiagnostics pins how each
// CLI reports what a renewal says, driving the CLI itself to see its
// output. The server issues one token and then fails every request, so
// every renewal fails until the file's token expires. OpenTofu reports the
// renewals' warnings and the final error when it closes the resource, and
// the apply fails; Terraform drops renewal diagnostics (its renewal loop
// discards them) and the apply succeeds, with nothing said. Either way the
// file is removed at the end. A token without expires_in is not renewed,
// and both CLIs show that warning, which Open returns.
func TestAccTokenEphemeralResource_tokenFileRenewalDiagnostics(t *testing.T) {
	testenv.CLI(t)
	cli, err := currentCLI()
	if err != nil {
		t.Fatal(err)
	}
	if err := featureEphemeralResources.check(cli); err != nil {
		t.Fatal(err)
	}
	srv := shortLivedServer(t)
	dir := t.TempDir()
	tokenPath := filepath.Join(t.TempDir(), "token")
	failing := failRenewals(t, srv, tokenPath)
	addr := cli.registryHost() + "/tfoauth2/oauth2"
	writeConfig := func(body string) {
		t.Helper()
		cfg := `
terraform {
  required_providers {
    oauth2 = {
      source = "tfoauth2/oauth2"
    }
  }
}
` + body
		if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeConfig(fmt.Sprintf(`
provider "oauth2" {
  token_url     = %[1]q
  client_id     = "app"
  client_secret = %[2]q

  # Each renewal is one request, so the schedule alone decides the attempts.
  retry {
    attempts = 1
  }
}

ephemeral "oauth2_token" "api" {
  token_file = {
    path = %[3]q
  }
}

resource "terraform_data" "wait" {
  provisioner "local-exec" {
    command = "sleep 5"
  }
}

resource "terraform_data" "consumer" {
  depends_on = [terraform_data.wait]

  provisioner "local-exec" {
    command = "test -f \"$TOKEN_FILE\""
    environment = {
      TOKEN_FILE = ephemeral.oauth2_token.api.token_file.path
    }
  }
}
`, failing.URL, testSecret, tokenPath))
	server := serveProvider(t, addr)
	env := reattach(t, server, addr)
	try := cliTry(t, dir)
	cliRunner(t, cli, dir)(env, "init", "-input=false")
	stdout, stderr, err := try(env, "apply", "-input=false", "-auto-approve")
	out := stdout + stderr
	t.Logf("%s apply (exit error %v):\n%s", cli, err, out)
	warnings := strings.Count(out, "Warning: Token File Not Renewed")
	expired := strings.Contains(out, "Error: Token File Expired")
	switch cli.Family {
	case cliOpenTofu:
		if err == nil || !expired || warnings == 0 {
			t.Errorf("%s: apply error %v, %d renewal warnings, expiry error shown: %v; want the warnings and the "+
				"error reported at close, and the apply failing", cli, err, warnings, expired)
		}
	default:
		if err != nil || expired || warnings != 0 {
			t.Errorf("%s: apply error %v, %d renewal warnings, expiry error shown: %v; want Terraform to drop "+
				"renewal diagnostics (if it reports them now, update the docs and this test)", cli, err, warnings, expired)
		}
	}
	if attempts := failing.refused(); attempts < 3 {
		t.Errorf("%d renewals were attempted, want several before the token expired", attempts)
	}
	if _, err := os.Lstat(tokenPath); !os.IsNotExist(err) {
		t.Errorf("the token file is still there after the apply: %v", err)
	}

	// A token without expires_in: the warning Open returns is shown by both.
	noExpiry := newRecordingServer(t, tokenserver.Options{
		Clients:   []tokenserver.Client{{ID: "app", Secret: testSecret, Auth: tokenserver.AuthBasic}},
		ExpiresIn: -1,
	})
	writeConfig(fmt.Sprintf(`
provider "oauth2" {
  token_url     = %[1]q
  client_id     = "app"
  client_secret = %[2]q
}

ephemeral "oauth2_token" "api" {
  token_file = {
    path = %[3]q
  }
}
`, noExpiry.URL, testSecret, tokenPath))
	stdout, stderr, err = try(env, "plan", "-input=false")
	if err != nil || !regexp.MustCompile(`Warning: Token File Not Renewed[\s\S]*expires_in`).MatchString(stdout+stderr) {
		t.Errorf("%s plan with a token without expires_in (error %v): want the warning:\n%s%s", cli, err, stdout, stderr)
	}
}

// failingServer forwards to a token server while the token file is
// missing, so Open gets its token, and answers every request made while
// the file exists, a renewal's, with 503.
type failingServer struct {
	URL string
	mu  sync.Mutex
	n   int
}

func (f *failingServer) refused() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

func failRenewals(t *testing.T, srv *recordingServer, tokenPath string) *failingServer {
	f := &failingServer{}
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := os.Lstat(tokenPath); err == nil {
			f.mu.Lock()
			f.n++
			f.mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `{"error":"temporarily_unavailable"}`)
			return
		}
		forward(w, r, srv.URL)
	}))
	t.Cleanup(proxy.Close)
	f.URL = proxy.URL + "/token"
	return f
}
