package devcli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// ProviderSources are the provider's addresses in the Terraform and the
// OpenTofu registry; a dev_overrides entry for each makes the same CLI
// configuration work for both CLIs.
var ProviderSources = []string{
	"registry.terraform.io/tfoauth2/oauth2",
	"registry.opentofu.org/tfoauth2/oauth2",
}

// CLIConfig returns a CLI configuration whose dev_overrides make both
// Terraform and OpenTofu take the provider from pluginDir instead of a
// registry, which is what lets plan and apply run without `init` and
// without network access. Other providers install as usual (direct).
func CLIConfig(pluginDir string) string {
	// Forward slashes work on every OS; quotes and backslashes are escaped
	// for the HCL string.
	dir := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(filepath.ToSlash(pluginDir))
	var b strings.Builder
	b.WriteString("provider_installation {\n  dev_overrides {\n")
	for _, src := range ProviderSources {
		fmt.Fprintf(&b, "    %q = \"%s\"\n", src, dir)
	}
	b.WriteString("  }\n  direct {}\n}\n")
	return b.String()
}

// WriteCLIConfig writes CLIConfig(pluginDir) to path, the file to name in
// TF_CLI_CONFIG_FILE (see CLIEnv).
func WriteCLIConfig(path, pluginDir string) error {
	return os.WriteFile(path, []byte(CLIConfig(pluginDir)), 0o644)
}

// FindOnPath returns the absolute path of the first of names found on
// PATH, and false when none is. A match through a relative PATH entry
// (exec.ErrDot) counts: it is made absolute.
func FindOnPath(names ...string) (string, bool) {
	for _, name := range names {
		p, err := exec.LookPath(name)
		if errors.Is(err, exec.ErrDot) {
			err = nil
		}
		if err != nil {
			continue
		}
		if abs, err := filepath.Abs(p); err == nil {
			return abs, true
		}
	}
	return "", false
}

// RedirectsCLI reports whether the environment variable name could make
// the CLI use something other than what a development program gives it
// (another CLI configuration, data directory or workspace, or extra
// arguments), or configure the provider behind its back (OAUTH2_*).
// CLIEnv always leaves these out.
func RedirectsCLI(name string) bool {
	return strings.HasPrefix(name, "OAUTH2_") || strings.HasPrefix(name, "TF_CLI_ARGS") ||
		slices.Contains([]string{"TF_CLI_CONFIG_FILE", "TERRAFORM_CONFIG", "TF_DATA_DIR", "TF_WORKSPACE"}, name)
}

// ScrubbedEnviron returns this process's environment minus the variables
// RedirectsCLI reports and those drop reports (drop may be nil).
func ScrubbedEnviron(drop func(name string) bool) []string {
	return scrub(os.Environ(), drop)
}

func scrub(environ []string, drop func(name string) bool) []string {
	return slices.DeleteFunc(environ, func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		return RedirectsCLI(k) || (drop != nil && drop(k))
	})
}

// CLIEnv describes the environment of a CLI child: the caller's, scrubbed
// (see ScrubbedEnviron), plus the settings below. The development programs'
// configurations leave the provider block empty, so the provider reads its
// settings from the OAUTH2_* variables set here.
type CLIEnv struct {
	// Drop reports the variables to leave out besides those RedirectsCLI
	// reports; nil leaves out only those.
	Drop func(name string) bool
	// CLIConfigFile becomes TF_CLI_CONFIG_FILE when not empty.
	CLIConfigFile string
	// Automation sets TF_IN_AUTOMATION=1, which trims the CLI's advice
	// about next steps from its output.
	Automation bool
	// TokenURL, ClientID and ClientSecret become OAUTH2_TOKEN_URL,
	// OAUTH2_CLIENT_ID and OAUTH2_CLIENT_SECRET, each when not empty.
	TokenURL, ClientID, ClientSecret string
}

// Environ returns the environment e describes, for exec.Cmd.Env.
// CHECKPOINT_DISABLE=1 is always set: the CLI must not phone home.
func (e CLIEnv) Environ() []string {
	env := ScrubbedEnviron(e.Drop)
	if e.CLIConfigFile != "" {
		env = append(env, "TF_CLI_CONFIG_FILE="+e.CLIConfigFile)
	}
	if e.Automation {
		env = append(env, "TF_IN_AUTOMATION=1")
	}
	env = append(env, "CHECKPOINT_DISABLE=1")
	for _, v := range []struct{ name, value string }{
		{"OAUTH2_TOKEN_URL", e.TokenURL},
		{"OAUTH2_CLIENT_ID", e.ClientID},
		{"OAUTH2_CLIENT_SECRET", e.ClientSecret},
	} {
		if v.value != "" {
			env = append(env, v.name+"="+v.value)
		}
	}
	return env
}

// Command returns the command that runs cli with args in dir with the
// environment env. When ctx is done the CLI is first asked to stop
// gracefully (an interrupt, as from a terminal: it then releases state
// locks and stops its providers) and killed only if it has not exited
// 10 seconds later; the same delay bounds how long a child that leaves its
// output pipes open can hold up Wait.
func Command(ctx context.Context, cli, dir string, env []string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, cli, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Cancel = func() error {
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			return cmd.Process.Kill()
		}
		return nil
	}
	cmd.WaitDelay = 10 * time.Second
	return cmd
}
