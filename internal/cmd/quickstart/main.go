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
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/devcli"
	"github.com/tfoauth2/terraform-provider-oauth2/internal/tokenserver"
)

const (
	exampleDir = "examples/quickstart"

	clientID     = "quickstart"
	clientSecret = "quickstart-secret"
)

// The outputs examples/quickstart defines, in the order they are printed.
var outputs = []string{"token_type", "expires_at", "scope"}

func main() {
	devcli.Main("quickstart", run)
}

func run(ctx context.Context) error {
	// Find the CLI before the slow build, so a missing one fails fast.
	cli, err := findCLI()
	if err != nil {
		return err
	}
	root, err := devcli.RepoRoot()
	if err != nil {
		return err
	}
	tmp, removeTmp, err := devcli.TempDir("oauth2-quickstart-", "plugins", "work")
	if err != nil {
		return err
	}
	defer removeTmp()
	pluginDir := filepath.Join(tmp, "plugins")
	workDir := filepath.Join(tmp, "work")

	if err := devcli.BuildProvider(ctx, root, filepath.Join(pluginDir, devcli.ProviderExe())); err != nil {
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
	tokenURL, stopServer, err := devcli.StartTokenServer(ts)
	if err != nil {
		return err
	}
	defer stopServer()
	devcli.Logf("local token server listening at %s (client %q, client_secret_basic)", tokenURL, clientID)

	if err := copyConfig(filepath.Join(root, filepath.FromSlash(exampleDir)), workDir); err != nil {
		return err
	}
	cliConfig := filepath.Join(tmp, "cli.tfrc")
	if err := devcli.WriteCLIConfig(cliConfig, pluginDir); err != nil {
		return err
	}
	// The caller's environment, minus anything that could redirect the CLI
	// or reconfigure the provider, plus the settings the example's empty
	// provider block reads.
	env := devcli.CLIEnv{
		CLIConfigFile: cliConfig,
		TokenURL:      tokenURL,
		ClientID:      clientID,
		ClientSecret:  clientSecret,
	}.Environ()

	devcli.Logf("running %s apply in a temporary copy of %s", filepath.Base(cli), exampleDir)
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
	if cli, ok := devcli.FindOnPath("terraform", "tofu"); ok {
		return cli, nil
	}
	return "", errors.New("no terraform or tofu found on PATH; install Terraform (>= 1.10) or set OAUTH2_QUICKSTART_CLI " +
		"to the absolute path of a terraform or tofu binary (`make run` finds or builds one for you)")
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

// apply runs apply, streaming its output. dev_overrides make `init`
// unnecessary (checked with Terraform 1.11 and OpenTofu); should a CLI
// version still ask for it, init is run and apply retried once.
func apply(ctx context.Context, cli, dir string, env []string) error {
	args := []string{"apply", "-auto-approve", "-input=false", "-no-color"}
	var out bytes.Buffer
	cmd := devcli.Command(ctx, cli, dir, env, args...)
	cmd.Stdout = io.MultiWriter(os.Stdout, &out)
	cmd.Stderr = io.MultiWriter(os.Stderr, &out)
	err := cmd.Run()
	if err == nil || ctx.Err() != nil || !wantsInit(out.String()) {
		return wrapCLIError("apply", err)
	}
	devcli.Logf("the CLI asks for init; running init and retrying apply")
	cmd = devcli.Command(ctx, cli, dir, env, "init", "-input=false", "-no-color")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return wrapCLIError("init", err)
	}
	cmd = devcli.Command(ctx, cli, dir, env, args...)
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
	cmd := devcli.Command(ctx, cli, dir, env, "output", "-json", "-no-color")
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
