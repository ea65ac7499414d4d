// Package devcli holds the helpers shared by the repository's development
// programs (internal/cmd/quickstart, internal/cmd/bench,
// internal/cmd/statefixture and internal/cmd/server): finding the
// repository root, building the provider, pointing Terraform or OpenTofu at
// that build through dev_overrides, serving the bundled token server, and
// running the CLI in a clean environment.
//
// It is never imported by the provider itself.
package devcli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"syscall"
)

// ModulePath is the provider's Go module, which RepoRoot looks for.
const ModulePath = "github.com/tfoauth2/terraform-provider-oauth2"

// ProviderName is the name of the provider binary (without the ".exe" of
// Windows; see ProviderExe).
const ProviderName = "terraform-provider-oauth2"

// ProviderExe is the provider binary's file name on this OS, the name the
// CLI looks for in a dev_overrides directory.
func ProviderExe() string {
	if runtime.GOOS == "windows" {
		return ProviderName + ".exe"
	}
	return ProviderName
}

// Logf writes one progress line, prefixed with "==> ", to standard error,
// keeping standard output for the program's result.
func Logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "==> "+format+"\n", args...)
}

// Main runs run with a context that is cancelled by an interrupt or
// SIGTERM, so that run's deferred cleanup (temporary directories, the token
// server) still happens; CLI children get the terminal's interrupt
// themselves and stop cleanly. When run fails it prints
// "<name>: FAILED: <error>" to standard error and exits with status 1.
func Main(name string, run func(context.Context) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx)
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("interrupted (%w)", err)
	}
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "\n%s: FAILED: %v\n", name, err)
		os.Exit(1)
	}
}

// TempDir creates a temporary directory whose name starts with prefix, with
// the given subdirectories in it, and returns it with a function that
// removes it all (warning, not failing, when it cannot).
func TempDir(prefix string, subdirs ...string) (dir string, remove func(), err error) {
	dir, err = os.MkdirTemp("", prefix)
	if err != nil {
		return "", nil, err
	}
	remove = func() {
		if err := os.RemoveAll(dir); err != nil {
			Logf("warning: could not remove %s: %v", dir, err)
		}
	}
	for _, d := range subdirs {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			remove()
			return "", nil, err
		}
	}
	return dir, remove, nil
}
