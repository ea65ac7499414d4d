package devcli

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// RepoRoot returns the root of the provider's repository: the nearest
// directory holding a go.mod that declares ModulePath. It walks up from the
// working directory, so the programs work from any directory inside the
// repository, then from this source file's directory, so that
// `go run <path>` works from outside it too. Other modules' go.mod files on
// the way (tools/ has some) are walked past.
func RepoRoot() (string, error) {
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		starts = append(starts, filepath.Dir(file))
	}
	for _, dir := range starts {
		for {
			if declaresModule(filepath.Join(dir, "go.mod"), ModulePath) {
				return dir, nil
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return "", fmt.Errorf("cannot find the repository root (a go.mod declaring module %s); run this from inside the repository", ModulePath)
}

// declaresModule reports whether the go.mod file at path declares module.
func declaresModule(path, module string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module"); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`) == module
		}
	}
	return false
}

// BuildProvider runs `go build -o out .` in srcDir, the root of a checkout
// of the provider, streaming the compiler's output to standard error. env,
// when given, is added to this process's environment for the build (e.g.
// "GOWORK=off").
func BuildProvider(ctx context.Context, srcDir, out string, env ...string) error {
	Logf("building the provider (go build -o %s .)", out)
	start := time.Now()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, ".")
	cmd.Dir = srcDir
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building the provider failed: %w", err)
	}
	Logf("built in %s", time.Since(start).Round(100*time.Millisecond))
	return nil
}
