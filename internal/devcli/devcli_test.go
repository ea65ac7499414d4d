package devcli

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestRepoRoot(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	// This package's own directory is internal/devcli of the root.
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Dir(filepath.Dir(wd)); root != want {
		t.Errorf("RepoRoot() = %s, want %s", root, want)
	}
	if _, err := os.Stat(filepath.Join(root, "internal", "devcli", "devcli.go")); err != nil {
		t.Errorf("RepoRoot() = %s, which does not hold this package: %v", root, err)
	}
}

func TestRepoRootFromOutside(t *testing.T) {
	// From a directory outside the repository, RepoRoot falls back to this
	// source file's location.
	want, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	if got, err := RepoRoot(); err != nil || got != want {
		t.Errorf("RepoRoot() from outside = %q, %v; want %q", got, err, want)
	}
}

// TestNotImportedByTheProvider holds the package to its word: the provider
// binary (the module's root package) does not depend on it.
func TestNotImportedByTheProvider(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "list", "-deps", ".")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("go list -deps: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == ModulePath+"/internal/devcli" {
			t.Fatalf("the provider (%s) imports %s", ModulePath, pkg)
		}
	}
}

func TestDeclaresModule(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, gomod string
		want        bool
	}{
		{"plain", "module " + ModulePath + "\n\ngo 1.26\n", true},
		{"quoted, after comments", "// a comment\n\nmodule \"" + ModulePath + "\"\n", true},
		{"other module", "module " + ModulePath + "/tools/golangci-lint\n", false},
		{"prefix of it", "module github.com/tfoauth2\n", false},
		{"no module line", "go 1.26\n", false},
	} {
		path := filepath.Join(dir, tc.name+".mod")
		if err := os.WriteFile(path, []byte(tc.gomod), 0o600); err != nil {
			t.Fatal(err)
		}
		if got := declaresModule(path, ModulePath); got != tc.want {
			t.Errorf("%s: declaresModule = %v, want %v", tc.name, got, tc.want)
		}
	}
	if declaresModule(filepath.Join(dir, "missing.mod"), ModulePath) {
		t.Error("declaresModule of a missing file = true")
	}
}

func TestCLIConfig(t *testing.T) {
	want := `provider_installation {
  dev_overrides {
    "registry.terraform.io/tfoauth2/oauth2" = "/tmp/x y/plugins"
    "registry.opentofu.org/tfoauth2/oauth2" = "/tmp/x y/plugins"
  }
  direct {}
}
`
	if got := CLIConfig("/tmp/x y/plugins"); got != want {
		t.Errorf("CLIConfig:\n%s\nwant:\n%s", got, want)
	}
	if got := CLIConfig(`/tmp/a"b`); !strings.Contains(got, `= "/tmp/a\"b"`) {
		t.Errorf("CLIConfig does not escape a quote:\n%s", got)
	}

	path := filepath.Join(t.TempDir(), "cli.tfrc")
	if err := WriteCLIConfig(path, "/tmp/x y/plugins"); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(path); err != nil || string(data) != want {
		t.Errorf("WriteCLIConfig wrote %q, %v; want %q", data, err, want)
	}
}

func TestScrub(t *testing.T) {
	environ := []string{
		"PATH=/usr/bin", "HOME=/home/x",
		"OAUTH2_CLIENT_ID=someone", "OAUTH2_TOKEN_URL=https://example.com/token",
		"TF_CLI_ARGS=-no-color", "TF_CLI_ARGS_plan=-refresh=false",
		"TF_CLI_CONFIG_FILE=/home/x/.terraformrc", "TERRAFORM_CONFIG=/home/x/.terraformrc",
		"TF_DATA_DIR=/tmp/d", "TF_WORKSPACE=prod",
		"TF_LOG=DEBUG", "CHECKPOINT_DISABLE=", "NOT_OAUTH2_X=1",
	}
	keep := []string{"PATH=/usr/bin", "HOME=/home/x", "TF_LOG=DEBUG", "CHECKPOINT_DISABLE=", "NOT_OAUTH2_X=1"}
	if got := scrub(slices.Clone(environ), nil); !slices.Equal(got, keep) {
		t.Errorf("scrub(nil) = %q, want %q", got, keep)
	}
	dropTF := func(k string) bool { return strings.HasPrefix(k, "TF_") }
	keep = []string{"PATH=/usr/bin", "HOME=/home/x", "CHECKPOINT_DISABLE=", "NOT_OAUTH2_X=1"}
	if got := scrub(slices.Clone(environ), dropTF); !slices.Equal(got, keep) {
		t.Errorf("scrub(TF_*) = %q, want %q", got, keep)
	}
}

func TestCLIEnv(t *testing.T) {
	t.Setenv("OAUTH2_CLIENT_SECRET", "the user's")
	t.Setenv("TF_CLI_CONFIG_FILE", "/home/x/.terraformrc")
	t.Setenv("TF_LOG", "TRACE")
	t.Setenv("DEVCLI_TEST_KEEP", "1")

	env := CLIEnv{
		CLIConfigFile: "/tmp/cli.tfrc",
		TokenURL:      "http://127.0.0.1:1/token",
		ClientID:      "id",
		ClientSecret:  "secret",
	}.Environ()
	for _, want := range []string{
		"DEVCLI_TEST_KEEP=1", "TF_LOG=TRACE",
		"TF_CLI_CONFIG_FILE=/tmp/cli.tfrc", "CHECKPOINT_DISABLE=1",
		"OAUTH2_TOKEN_URL=http://127.0.0.1:1/token", "OAUTH2_CLIENT_ID=id", "OAUTH2_CLIENT_SECRET=secret",
	} {
		if !slices.Contains(env, want) {
			t.Errorf("CLIEnv lacks %s", want)
		}
	}
	for _, unwanted := range []string{"OAUTH2_CLIENT_SECRET=the user's", "TF_CLI_CONFIG_FILE=/home/x/.terraformrc", "TF_IN_AUTOMATION=1"} {
		if slices.Contains(env, unwanted) {
			t.Errorf("CLIEnv holds %s", unwanted)
		}
	}

	env = CLIEnv{Drop: func(k string) bool { return strings.HasPrefix(k, "TF_") }, Automation: true}.Environ()
	if slices.Contains(env, "TF_LOG=TRACE") || !slices.Contains(env, "TF_IN_AUTOMATION=1") {
		t.Errorf("CLIEnv with Drop and Automation: TF_LOG kept or TF_IN_AUTOMATION missing")
	}
	for _, kv := range env {
		if strings.HasPrefix(kv, "TF_CLI_CONFIG_FILE=") || strings.HasPrefix(kv, "OAUTH2_") {
			t.Errorf("CLIEnv without those settings holds %s", kv)
		}
	}
}

func TestTempDir(t *testing.T) {
	dir, remove, err := TempDir("devcli-test-", "a", "b")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"a", "b"} {
		if fi, err := os.Stat(filepath.Join(dir, d)); err != nil || !fi.IsDir() {
			t.Errorf("subdirectory %s: %v", d, err)
		}
	}
	remove()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s still there after remove: %v", dir, err)
	}
}

func TestStartTokenServer(t *testing.T) {
	tokenURL, stop, err := StartTokenServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.URL.Path)
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if !strings.HasPrefix(tokenURL, "http://127.0.0.1:") || !strings.HasSuffix(tokenURL, "/token") {
		t.Errorf("token URL %q, want http://127.0.0.1:<port>/token", tokenURL)
	}
	resp, err := http.Get(tokenURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "/token" {
		t.Errorf("got %q from the server, want /token", body)
	}
}

func TestServe(t *testing.T) {
	s, err := Serve("127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "hello")
	}))
	if err != nil {
		t.Fatal(err)
	}
	if s.URL != "http://"+s.Addr.String() || strings.HasSuffix(s.URL, ":0") {
		t.Errorf("URL %q for address %s", s.URL, s.Addr)
	}

	// The address is taken now, so a second server on it fails at once.
	if _, err := Serve(s.Addr.String(), http.NotFoundHandler()); err == nil {
		t.Errorf("a second Serve on %s succeeded", s.Addr)
	}

	resp, err := http.Get(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "hello" {
		t.Errorf("got %q, want hello", body)
	}

	if err := s.Shutdown(); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if err := <-s.Done(); err != nil {
		t.Errorf("Done after Shutdown delivered %v, want nil", err)
	}
	if _, open := <-s.Done(); open {
		t.Error("Done not closed after delivering")
	}
	if _, err := http.Get(s.URL); err == nil {
		t.Error("the server still answers after Shutdown")
	}
}
