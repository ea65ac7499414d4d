// Command quickstart shows the provider working end to end, offline, with
// nothing to set up: it builds the provider, starts a local OAuth2 token
// server, and runs `terraform apply` (or `tofu apply`) on a copy of
// examples/quickstart against them. `make run` runs it.
//
// Usage:
//
//	go run ./internal/cmd/quickstart
//
// The CLI is taken from OAUTH2_QUICKSTART_CLI (an absolute path), else
// `terraform` or `tofu` from PATH. Everything it creates lives in a
// temporary directory that is removed on exit, so no state files, lock files
// or CLI configuration end up in the repository or the user's home.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/tokenserver"
)

const (
	modulePath = "github.com/tfoauth2/terraform-provider-oauth2"
	exampleDir = "examples/quickstart"

	clientID     = "quickstart"
	clientSecret = "quickstart-secret"
)

// The outputs examples/quickstart defines, in the order they are printed.
var outputs = []string{"token_type", "expires_at", "scope"}

func main() {
	// Catch interrupts so the deferred cleanup (temp dir, server) runs; the
	// CLI child gets the terminal's interrupt itself and stops cleanly.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx)
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("interrupted (%w)", err)
	}
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "\nquickstart: FAILED: %v\n", err)
		os.Exit(1)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "==> "+format+"\n", args...)
}

func run(ctx context.Context) error {
	// Find the CLI before the slow build, so a missing one fails fast.
	cli, err := findCLI()
	if err != nil {
		return err
	}
	root, err := repoRoot()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "oauth2-quickstart-")
	if err != nil {
		return err
	}
	defer func() {
		if err := os.RemoveAll(tmp); err != nil {
			logf("warning: could not remove %s: %v", tmp, err)
		}
	}()
	pluginDir := filepath.Join(tmp, "plugins")
	workDir := filepath.Join(tmp, "work")
	for _, d := range []string{pluginDir, workDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return err
		}
	}

	if err := buildProvider(ctx, root, pluginDir); err != nil {
		return err
	}

	ts := tokenserver.New(tokenserver.Options{
		Clients: []tokenserver.Client{{
			ID:     clientID,
			Secret: clientSecret,
			Auth:   tokenserver.AuthBasic,
			Scopes: []string{"api.read", "api.write"},
		}},
	})
	tokenURL, stopServer, err := serve(ts)
	if err != nil {
		return err
	}
	defer stopServer()
	logf("local token server listening at %s (client %q, client_secret_basic)", tokenURL, clientID)

	if err := copyConfig(filepath.Join(root, filepath.FromSlash(exampleDir)), workDir); err != nil {
		return err
	}
	cliConfig := filepath.Join(tmp, "cli.tfrc")
	if err := os.WriteFile(cliConfig, []byte(devOverrides(pluginDir)), 0o644); err != nil {
		return err
	}
	env := cliEnv(cliConfig, tokenURL)

	logf("running %s apply in a temporary copy of %s", filepath.Base(cli), exampleDir)
	if err := apply(ctx, cli, workDir, env); err != nil {
		return err
	}

	values, err := readOutputs(ctx, cli, workDir, env)
	if err != nil {
		return err
	}
	n := ts.TokenRequests()
	if n == 0 {
		return errors.New("apply succeeded but the provider never obtained a token from the local server")
	}

	fmt.Println()
	fmt.Println("Quickstart succeeded. The provider fetched a token from the local server:")
	for _, name := range outputs {
		v := values[name]
		// Belt and braces: the example does not output the token, but if it
		// ever did, this summary must still not show it.
		if ts.Active(v) {
			v = "(redacted: this is the access token)"
		}
		fmt.Printf("  %-15s %s\n", name+":", v)
	}
	fmt.Printf("  %-15s %d\n", "token requests:", n)
	fmt.Println("The access token itself is never printed.")
	return nil
}

// findCLI returns the absolute path of the Terraform-compatible CLI to use.
func findCLI() (string, error) {
	if cli := os.Getenv("OAUTH2_QUICKSTART_CLI"); cli != "" {
		if !filepath.IsAbs(cli) {
			return "", fmt.Errorf("OAUTH2_QUICKSTART_CLI must be an absolute path, got %q", cli)
		}
		if fi, err := os.Stat(cli); err != nil {
			return "", fmt.Errorf("OAUTH2_QUICKSTART_CLI: %w", err)
		} else if fi.IsDir() {
			return "", fmt.Errorf("OAUTH2_QUICKSTART_CLI=%s is a directory, not the terraform or tofu binary", cli)
		}
		return cli, nil
	}
	for _, name := range []string{"terraform", "tofu"} {
		p, err := exec.LookPath(name)
		if errors.Is(err, exec.ErrDot) {
			err = nil // found via a relative PATH entry; made absolute below
		}
		if err != nil {
			continue
		}
		if abs, err := filepath.Abs(p); err == nil {
			return abs, nil
		}
	}
	return "", errors.New("no terraform or tofu found on PATH; install Terraform (>= 1.10) or set OAUTH2_QUICKSTART_CLI " +
		"to the absolute path of a terraform or tofu binary (`make run` finds or builds one for you)")
}

// repoRoot finds the provider's module root, so the program works from any
// directory inside the repository (and, via its own source location, when
// started from outside it with `go run <path>`).
func repoRoot() (string, error) {
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		starts = append(starts, filepath.Dir(file))
	}
	for _, dir := range starts {
		// Walk past other modules' go.mod files (tools/ has its own) up to
		// the one that declares this module.
		for {
			if isProviderModule(filepath.Join(dir, "go.mod")) {
				return dir, nil
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return "", fmt.Errorf("cannot find the repository root (a go.mod declaring module %s); run this from inside the repository", modulePath)
}

func isProviderModule(gomod string) bool {
	f, err := os.Open(gomod)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module"); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`) == modulePath
		}
	}
	return false
}

func buildProvider(ctx context.Context, root, dir string) error {
	name := "terraform-provider-oauth2"
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	logf("building the provider (go build -o %s .)", filepath.Join(dir, name))
	start := time.Now()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(dir, name), ".")
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building the provider failed: %w", err)
	}
	logf("built in %s", time.Since(start).Round(100*time.Millisecond))
	return nil
}

// serve starts the token server on a free loopback port and returns its
// token URL and a function that stops it.
func serve(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("starting the local token server: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logf("token server: %v", err)
		}
	}()
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}
	return "http://" + ln.Addr().String() + "/token", stop, nil
}

// copyConfig copies only the configuration files of the example, so that
// state or .terraform directories left there by a manual run do not leak
// into (or get modified by) the quickstart.
func copyConfig(src, dst string) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return fmt.Errorf("reading the example: %w", err)
	}
	copied := 0
	for _, e := range entries {
		name := e.Name()
		isConfig := strings.HasSuffix(name, ".tf") || strings.HasSuffix(name, ".tf.json")
		if !e.Type().IsRegular() || !isConfig {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, name), data, 0o644); err != nil {
			return err
		}
		copied++
	}
	if copied == 0 {
		return fmt.Errorf("no .tf files in %s", src)
	}
	return nil
}

// devOverrides returns a CLI configuration that makes both Terraform and
// OpenTofu use the freshly built provider instead of a registry, which is
// what lets apply run without `init` and without network access.
func devOverrides(pluginDir string) string {
	// Forward slashes work on every OS and need no escaping in HCL.
	dir := filepath.ToSlash(pluginDir)
	dir = strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(dir)
	return fmt.Sprintf(`provider_installation {
  dev_overrides {
    "registry.terraform.io/tfoauth2/oauth2" = "%[1]s"
    "registry.opentofu.org/tfoauth2/oauth2" = "%[1]s"
  }
  direct {}
}
`, dir)
}

// cliEnv is the environment for the CLI: the caller's, minus anything that
// could redirect the CLI or reconfigure the provider, plus the settings the
// example's empty provider block reads.
func cliEnv(cliConfig, tokenURL string) []string {
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		return strings.HasPrefix(k, "OAUTH2_") || strings.HasPrefix(k, "TF_CLI_ARGS") ||
			k == "TF_CLI_CONFIG_FILE" || k == "TERRAFORM_CONFIG" || k == "TF_DATA_DIR" || k == "TF_WORKSPACE"
	})
	return append(env,
		"TF_CLI_CONFIG_FILE="+cliConfig,
		"CHECKPOINT_DISABLE=1",
		"OAUTH2_TOKEN_URL="+tokenURL,
		"OAUTH2_CLIENT_ID="+clientID,
		"OAUTH2_CLIENT_SECRET="+clientSecret,
	)
}

func command(ctx context.Context, cli, dir string, env []string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, cli, args...)
	cmd.Dir = dir
	cmd.Env = env
	// Ask the CLI to stop gracefully first; kill it only if it hangs.
	cmd.Cancel = func() error {
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			return cmd.Process.Kill()
		}
		return nil
	}
	// Also bounds how long a child that leaves its output pipes open can
	// delay the cleanup.
	cmd.WaitDelay = 10 * time.Second
	return cmd
}

// apply runs apply, streaming its output. dev_overrides make `init`
// unnecessary (checked with Terraform 1.11 and OpenTofu); should a CLI
// version still ask for it, init is run and apply retried once.
func apply(ctx context.Context, cli, dir string, env []string) error {
	args := []string{"apply", "-auto-approve", "-input=false", "-no-color"}
	var out bytes.Buffer
	cmd := command(ctx, cli, dir, env, args...)
	cmd.Stdout = io.MultiWriter(os.Stdout, &out)
	cmd.Stderr = io.MultiWriter(os.Stderr, &out)
	err := cmd.Run()
	if err == nil || ctx.Err() != nil || !wantsInit(out.String()) {
		return wrapCLIError("apply", err)
	}
	logf("the CLI asks for init; running init and retrying apply")
	cmd = command(ctx, cli, dir, env, "init", "-input=false", "-no-color")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return wrapCLIError("init", err)
	}
	cmd = command(ctx, cli, dir, env, args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	return wrapCLIError("apply", cmd.Run())
}

func wantsInit(output string) bool {
	for _, hint := range []string{`terraform init"`, `tofu init"`, "Required plugins are not installed", "Inconsistent dependency lock file", "Module not installed"} {
		if strings.Contains(output, hint) {
			return true
		}
	}
	return false
}

func wrapCLIError(step string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s failed (see the output above): %w", step, err)
}

// readOutputs returns the example's outputs as display strings.
func readOutputs(ctx context.Context, cli, dir string, env []string) (map[string]string, error) {
	cmd := command(ctx, cli, dir, env, "output", "-json", "-no-color")
	cmd.Stderr = os.Stderr
	raw, err := cmd.Output()
	if err != nil {
		return nil, wrapCLIError("output -json", err)
	}
	var parsed map[string]struct {
		Sensitive bool            `json:"sensitive"`
		Value     json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(raw, &parsed); err != nil {
		return nil, fmt.Errorf("cannot parse `output -json`: %w", err)
	}
	values := make(map[string]string, len(outputs))
	for _, name := range outputs {
		o, ok := parsed[name]
		switch {
		case !ok:
			return nil, fmt.Errorf("output %q missing from %s", name, exampleDir)
		case o.Sensitive:
			values[name] = "(sensitive)"
		case string(o.Value) == "null":
			values[name] = "(null)"
		default:
			var s string
			if json.Unmarshal(o.Value, &s) == nil {
				values[name] = s
			} else {
				values[name] = string(o.Value) // null, a list, ...
			}
		}
	}
	return values, nil
}
