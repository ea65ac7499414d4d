package oidctest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/testenv"
)

// modulePath is the module whose go.mod marks the repository root.
const modulePath = "github.com/tfoauth2/terraform-provider-oauth2"

// toolDir is where server.mjs, package.json and package-lock.json live,
// relative to the repository root.
const toolDir = "tools/oidc-provider"

// stampFile, inside node_modules, records the SHA-256 of the package-lock.json
// that the last successful `npm ci` installed.
const stampFile = ".oidctest-stamp"

// Minimum Node.js: 20.19 (oidc-provider 9 needs URL.parse, jose 6 states
// ^20.19 for the 20.x line).
const (
	minNodeMajor = 20
	minNodeMinor = 19
)

const installHint = "install Node.js >= 20.19 with npm (Debian/Ubuntu: `apt-get install nodejs npm`, " +
	"or from https://nodejs.org/) and make sure `node` and `npm` are on PATH"

var (
	installMu     sync.Mutex
	installedHash string // lockfile hash this process already checked

	nodeMu   sync.Mutex
	nodePath string // node found and checked by this process
)

// findRepoRoot walks up from the working directory to the go.mod that
// declares modulePath.
func findRepoRoot(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatalf("oidctest: working directory: %v", err)
	}
	for dir := wd; ; {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && goModModule(data) == modulePath {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("oidctest: no go.mod declaring module %s in %s or any parent directory", modulePath, wd)
		}
		dir = parent
	}
}

// goModModule returns the module path a go.mod declares, or "".
func goModModule(data []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if i := strings.Index(line, "//"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		rest, ok := strings.CutPrefix(line, "module")
		if !ok || rest == "" || (rest[0] != ' ' && rest[0] != '\t' && rest[0] != '"') {
			continue
		}
		rest = strings.TrimSpace(rest)
		if unq, err := strconv.Unquote(rest); err == nil {
			return unq
		}
		return rest
	}
	return ""
}

// findNode returns the path of a node binary recent enough for the server,
// failing the test with what to install otherwise.
func findNode(t testing.TB) string {
	t.Helper()
	nodeMu.Lock()
	defer nodeMu.Unlock()
	if nodePath != "" {
		return nodePath
	}
	node, err := exec.LookPath("node")
	testenv.Need(t, err == nil, "needs Node.js >= 20.19 and npm on PATH for the real OpenID Provider (oidc-provider): "+installHint)
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		t.Fatalf("oidctest: %s --version: %v: %s", node, err, installHint)
	}
	version := strings.TrimSpace(string(out))
	major, minor, ok := parseNodeVersion(version)
	if !ok {
		t.Fatalf("oidctest: cannot parse `node --version` output %q: %s", version, installHint)
	}
	if major < minNodeMajor || (major == minNodeMajor && minor < minNodeMinor) {
		testenv.Need(t, false, fmt.Sprintf("needs Node.js >= %d.%d for the real OpenID Provider, but %s is %s: %s",
			minNodeMajor, minNodeMinor, node, version, installHint))
	}
	nodePath = node
	return node
}

func parseNodeVersion(v string) (major, minor int, ok bool) {
	parts := strings.SplitN(strings.TrimPrefix(v, "v"), ".", 3)
	if len(parts) < 2 {
		return 0, 0, false
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(parts[1])
	return major, minor, err1 == nil && err2 == nil
}

// ensureNodeModules runs `npm ci` in dir unless node_modules already holds
// what package-lock.json describes. A lock file serialises this across the
// test binaries that `go test ./...` runs in parallel.
func ensureNodeModules(t testing.TB, dir string) {
	t.Helper()
	installMu.Lock()
	defer installMu.Unlock()

	lockfile, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		t.Fatalf("oidctest: %v (it is checked in under %s)", err, toolDir)
	}
	sum := sha256.Sum256(lockfile)
	want := hex.EncodeToString(sum[:])
	if installedHash == want {
		return
	}
	if upToDate(dir, want) {
		installedHash = want
		return
	}

	npm, err := exec.LookPath("npm")
	testenv.Need(t, err == nil, "needs npm on PATH to install the real OpenID Provider (oidc-provider): "+installHint)

	unlock, err := lockPath(filepath.Join(dir, ".oidctest.lock"))
	if err != nil {
		t.Fatalf("oidctest: locking %s: %v", dir, err)
	}
	defer unlock()

	// Another test binary may have installed while we waited for the lock.
	if upToDate(dir, want) {
		installedHash = want
		return
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	start := time.Now()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "npm_config_update_notifier=false")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("oidctest: `npm ci` in %s failed after %s: %v\n%s\n"+
			"(the npm registry must be reachable; the versions are pinned in package-lock.json)",
			dir, time.Since(start).Round(time.Millisecond), err, out)
	}
	if err := os.WriteFile(filepath.Join(dir, "node_modules", stampFile), []byte(want+"\n"), 0o644); err != nil {
		t.Fatalf("oidctest: %v", err)
	}
	t.Logf("oidctest: npm ci in %s took %s", dir, time.Since(start).Round(time.Millisecond))
	installedHash = want
}

// upToDate reports whether node_modules in dir was installed by `npm ci`
// from the lockfile whose hash is want.
func upToDate(dir, want string) bool {
	stamp, err := os.ReadFile(filepath.Join(dir, "node_modules", stampFile))
	if err != nil || strings.TrimSpace(string(stamp)) != want {
		return false
	}
	_, err = os.Stat(filepath.Join(dir, "node_modules", "oidc-provider", "package.json"))
	return !errors.Is(err, fs.ErrNotExist) && err == nil
}
