// Package testproc runs a server binary built into bin/ (Ory Hydra, Dex) for
// the length of one test: it finds the binary, hands out free loopback ports,
// starts the process with its output captured, polls a readiness URL, and
// stops the process when the test ends, showing its output only if the test
// failed. internal/hydratest and internal/dextest are built on it.
package testproc

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/testenv"
)

const modulePath = "github.com/tfoauth2/terraform-provider-oauth2"

// Binary says where a server binary is and how to get it.
type Binary struct {
	// Name is the file name in bin/, e.g. "hydra".
	Name string
	// Product names it in messages, e.g. "Ory Hydra v2.3.0".
	Product string
	// EnvVar, when set in the environment, is the binary's path instead of
	// <repo root>/bin/<Name>. The GNUmakefile sets it.
	EnvVar string
	// Build is how to build it, e.g. "`make hydra` (tools/servers.sh hydra)".
	Build string
}

// Need returns the absolute path of the binary, or skips t (fails it under
// OAUTH2_TEST_NO_SKIP, see internal/testenv) with one line saying what is
// missing and how to build it.
func Need(t testing.TB, b Binary) string {
	t.Helper()
	path, why := b.find()
	testenv.Need(t, why == "", fmt.Sprintf("needs %s (%s): build it with %s, or set %s to its path", b.Product, why, b.Build, b.EnvVar))
	return path
}

// find returns the binary's path, or why there is none.
func (b Binary) find() (path, why string) {
	if p := os.Getenv(b.EnvVar); p != "" {
		abs, err := filepath.Abs(p)
		if err != nil {
			return "", fmt.Sprintf("%s=%s: %v", b.EnvVar, p, err)
		}
		if err := executable(abs); err != nil {
			return "", fmt.Sprintf("%s=%s: %v", b.EnvVar, p, err)
		}
		return abs, ""
	}
	root, err := repoRoot()
	if err != nil {
		return "", err.Error()
	}
	abs := filepath.Join(root, "bin", b.Name)
	if err := executable(abs); err != nil {
		return "", fmt.Sprintf("no bin/%s: %v", b.Name, err)
	}
	return abs, ""
}

func executable(path string) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return errors.New("no such file")
	case err != nil:
		return err
	case fi.IsDir() || fi.Mode().Perm()&0o111 == 0:
		return errors.New("not an executable file")
	}
	return nil
}

// repoRoot walks up from the working directory (a package directory, under
// go test) to the go.mod declaring this module.
func repoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && goModModule(data) == modulePath {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod declaring module %s in %s or a parent directory", modulePath, wd)
		}
		dir = parent
	}
}

func goModModule(data []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago. The
// server is handed it on its command line or in its configuration; Start
// fails with the server's own message if another process took it since.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testproc: finding a free port: %v", err)
	}
	addr, ok := ln.Addr().(*net.TCPAddr)
	if !ok {
		t.Fatalf("testproc: %T is no TCP address", ln.Addr())
	}
	if err := ln.Close(); err != nil {
		t.Fatalf("testproc: %v", err)
	}
	return addr.Port
}

// Spec is a process to run.
type Spec struct {
	// Path and Args are the command line (Args without the program name).
	Path string
	Args []string
	// Env is added to the test's environment, later entries winning.
	Env []string
	// Dir is the working directory; the test's temporary directory if empty.
	Dir string
	// ReadyURLs are polled with GET, in turn, until each answers 2xx.
	ReadyURLs []string
	// ReadyTimeout bounds the whole wait; 60 seconds if zero.
	ReadyTimeout time.Duration
}

// Process is a running server.
type Process struct {
	name string
	cmd  *exec.Cmd
	logs *LogBuffer
	done chan struct{}
	err  error // how the process ended; valid once done is closed
}

// Start runs spec, waits until spec.ReadyURLs answer, and stops the process
// when t ends (SIGTERM, then SIGKILL after 10 seconds). The output of the
// process (stdout and stderr) is logged if t failed, or always with
// TESTPROC_VERBOSE=1. The process also dies with the test binary (Linux).
func Start(t testing.TB, spec Spec) *Process {
	t.Helper()
	name := filepath.Base(spec.Path)
	dir := spec.Dir
	if dir == "" {
		dir = t.TempDir()
	}
	cmd := exec.Command(spec.Path, spec.Args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), spec.Env...)
	logs := &LogBuffer{}
	cmd.Stdout = logs
	cmd.Stderr = logs
	setDeathSignal(cmd)

	begin := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("testproc: starting %s: %v", name, err)
	}
	p := &Process{name: name, cmd: cmd, logs: logs, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop(t)
		if out := logs.String(); out != "" && (t.Failed() || os.Getenv("TESTPROC_VERBOSE") != "") {
			t.Logf("testproc: output of %s:\n%s", name, out)
		}
	})

	timeout := spec.ReadyTimeout
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for _, u := range spec.ReadyURLs {
		if err := p.waitReady(ctx, u); err != nil {
			t.Fatalf("testproc: %s not ready: %v (its output is below)", name, err)
		}
	}
	t.Logf("testproc: %s ready in %s", name, time.Since(begin).Round(time.Millisecond))
	return p
}

// waitReady polls u until it answers 2xx, the process exits, or ctx ends.
func (p *Process) waitReady(ctx context.Context, u string) error {
	client := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return err
		}
		if resp, err := client.Do(req); err != nil {
			last = err
		} else {
			_ = resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				return nil
			}
			last = fmt.Errorf("GET %s: HTTP %d", u, resp.StatusCode)
		}
		select {
		case <-p.done:
			return fmt.Errorf("exited (%v) before %s answered", p.err, u)
		case <-ctx.Done():
			return fmt.Errorf("no 2xx from %s in time: %v", u, last)
		case <-tick.C:
		}
	}
}

// Exited reports whether the process has ended, and how.
func (p *Process) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// Logs returns the process output so far (the last 512 KiB).
func (p *Process) Logs() string { return p.logs.String() }

func (p *Process) stop(t testing.TB) {
	t.Helper()
	select {
	case <-p.done:
		t.Logf("testproc: %s had exited before the test ended: %v", p.name, p.err)
		return
	default:
	}
	_ = p.cmd.Process.Signal(terminate)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Logf("testproc: %s did not stop within 10s of SIGTERM; killed", p.name)
	}
}

// LogBuffer keeps the last 512 KiB a process wrote, for showing when a
// test fails. It is safe for concurrent use.
type LogBuffer struct {
	mu  sync.Mutex
	buf []byte
}

const maxLog = 512 << 10

func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) > maxLog {
		b.buf = append([]byte(nil), b.buf[len(b.buf)-maxLog:]...)
	}
	return len(p), nil
}

func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

// PostToken posts form to a token endpoint with client_secret_basic
// (form-urlencoded credentials, RFC 6749 section 2.3.1) through client, and
// returns the status and the JSON body, failing t when there is none.
func PostToken(t testing.TB, client *http.Client, tokenURL, id, secret string, form url.Values) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("token endpoint: HTTP %d, not JSON: %v", resp.StatusCode, err)
	}
	return resp.StatusCode, body
}

// RandomHex is n random bytes in hex, for client IDs and secrets of a test.
func RandomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("testproc: %v", err)
	}
	return hex.EncodeToString(b)
}
