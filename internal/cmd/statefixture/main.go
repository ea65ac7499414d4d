// Command statefixture regenerates the state that
// TestAccTokenDataSource_stateFromFirstRelease reads: the state the provider
// of the first release writes for internal/provider/testdata/state-first-release/main.tf.
//
// It downloads nothing. It exports the first release's source from this
// repository's own history (git archive), builds that provider, starts the
// bundled token server on loopback, and runs `terraform apply` on a copy of
// main.tf with dev_overrides pointing at the old provider. The tokens the
// server issued are then replaced by placeholders, and the scrubbed state is
// written next to main.tf, ready to be checked in.
//
// Usage, from anywhere in the repository:
//
//	go run ./internal/cmd/statefixture [-commit 654b02d] [-cli /usr/local/bin/terraform]
//
// The CLI defaults to `terraform` on PATH: the fixture is meant to be a state
// written by Terraform, and the test then proves that OpenTofu reads it too.
package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
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
	"sync"
	"syscall"
	"time"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/tokenserver"
)

const (
	modulePath = "github.com/tfoauth2/terraform-provider-oauth2"
	fixtureDir = "internal/provider/testdata/state-first-release"

	// The first release: the end of the first feature set, "Docs, examples,
	// README and CHANGELOG for the provider core".
	firstRelease = "654b02d9122f51c7d94656fdf6b44b901c18f275"

	// The client the fixture's provider block authenticates as. The test
	// registers the same client on its own server.
	clientID     = "state-fixture"
	clientSecret = "state-fixture-secret"
)

// Placeholders for the tokens in the checked-in state: what the server issued
// was random and is worthless, but a state file with a token-shaped string in
// it invites copying, and secret scanners rightly flag it.
const (
	placeholderAccess  = "REDACTED-ACCESS-TOKEN"
	placeholderRefresh = "REDACTED-REFRESH-TOKEN"
	placeholderID      = "REDACTED-ID-TOKEN"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "\nstatefixture: FAILED: %v\n", err)
		os.Exit(1)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "==> "+format+"\n", args...)
}

func run(ctx context.Context) error {
	commit := flag.String("commit", firstRelease, "the commit whose provider writes the state")
	cli := flag.String("cli", "", "absolute path of the terraform binary (default: terraform on PATH)")
	flag.Parse()

	cliPath, err := findCLI(*cli)
	if err != nil {
		return err
	}
	root, err := repoRoot()
	if err != nil {
		return err
	}
	outDir := filepath.Join(root, filepath.FromSlash(fixtureDir))
	config, err := os.ReadFile(filepath.Join(outDir, "main.tf"))
	if err != nil {
		return err
	}

	tmp, err := os.MkdirTemp("", "oauth2-statefixture-")
	if err != nil {
		return err
	}
	defer func() {
		if err := os.RemoveAll(tmp); err != nil {
			logf("warning: could not remove %s: %v", tmp, err)
		}
	}()
	srcDir, pluginDir, workDir := filepath.Join(tmp, "src"), filepath.Join(tmp, "plugins"), filepath.Join(tmp, "work")
	for _, d := range []string{srcDir, pluginDir, workDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return err
		}
	}

	logf("exporting %s from this repository's history", *commit)
	if err := exportCommit(ctx, root, *commit, srcDir); err != nil {
		return err
	}
	logf("building that provider")
	build := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(pluginDir, "terraform-provider-oauth2"), ".")
	build.Dir = srcDir
	build.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("building the provider of %s: %w", *commit, err)
	}

	rec := &recorder{Server: tokenserver.New(tokenserver.Options{
		Clients: []tokenserver.Client{{
			ID: clientID, Secret: clientSecret, Auth: tokenserver.AuthBasic,
			Scopes: []string{"api.read", "api.write"},
		}},
		ExpiresIn:   600,
		ExtraFields: map[string]any{"not-before-policy": 0, "session_state": "fixture-session"},
	})}
	tokenURL, stopServer, err := serve(rec)
	if err != nil {
		return err
	}
	defer stopServer()

	if err := os.WriteFile(filepath.Join(workDir, "main.tf"), config, 0o644); err != nil {
		return err
	}
	cliConfig := filepath.Join(tmp, "cli.tfrc")
	if err := os.WriteFile(cliConfig, []byte(devOverrides(pluginDir)), 0o644); err != nil {
		return err
	}
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		return strings.HasPrefix(k, "OAUTH2_") || strings.HasPrefix(k, "TF_")
	})
	env = append(env,
		"TF_CLI_CONFIG_FILE="+cliConfig,
		"TF_IN_AUTOMATION=1",
		"CHECKPOINT_DISABLE=1",
		"OAUTH2_TOKEN_URL="+tokenURL,
		"OAUTH2_CLIENT_ID="+clientID,
		"OAUTH2_CLIENT_SECRET="+clientSecret,
	)
	logf("running %s apply against the token server at %s", cliPath, tokenURL)
	apply := exec.CommandContext(ctx, cliPath, "apply", "-auto-approve", "-input=false", "-no-color")
	apply.Dir, apply.Env = workDir, env
	apply.Stdout, apply.Stderr = os.Stderr, os.Stderr
	if err := apply.Run(); err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	if rec.TokenRequests() == 0 {
		return errors.New("apply succeeded without a token request: the fixture would not hold a token's state")
	}

	raw, err := os.ReadFile(filepath.Join(workDir, "terraform.tfstate"))
	if err != nil {
		return err
	}
	scrubbed, err := scrub(raw, rec.issued())
	if err != nil {
		return err
	}
	out := filepath.Join(outDir, "terraform.tfstate")
	if err := os.WriteFile(out, scrubbed, 0o644); err != nil {
		return err
	}
	logf("wrote %s (tokens replaced by placeholders)", out)
	return nil
}

// exportCommit writes the tree of commit into dir, through `git archive`, so
// no worktree is registered in the repository.
func exportCommit(ctx context.Context, root, commit, dir string) error {
	cmd := exec.CommandContext(ctx, "git", "archive", "--format=tar", commit)
	cmd.Dir = root
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	tr := tar.NewReader(bufio.NewReader(stdout))
	extractErr := func() error {
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			name := filepath.FromSlash(h.Name)
			if !filepath.IsLocal(name) {
				return fmt.Errorf("git archive: unexpected path %q", h.Name)
			}
			target := filepath.Join(dir, name)
			switch h.Typeflag {
			case tar.TypeDir:
				if err := os.MkdirAll(target, 0o755); err != nil {
					return err
				}
			case tar.TypeReg:
				if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
					return err
				}
				f, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, os.FileMode(h.Mode)&0o755|0o600)
				if err != nil {
					return err
				}
				_, err = io.Copy(f, tr)
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					return err
				}
			}
		}
	}()
	if extractErr != nil {
		_, _ = io.Copy(io.Discard, stdout)
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("git archive %s: %w", commit, err)
	}
	return extractErr
}

// scrub replaces every token the server issued with a placeholder, in the
// state as the CLI wrote it (so its formatting stays the CLI's), then checks
// that no sensitive attribute is left holding anything else.
func scrub(state []byte, issued map[string]string) ([]byte, error) {
	s := string(state)
	for token, placeholder := range issued {
		s = strings.ReplaceAll(s, token, placeholder)
	}
	var parsed struct {
		Resources []struct {
			Mode, Type, Name string
			Instances        []struct {
				Attributes map[string]any `json:"attributes"`
			}
		}
	}
	if err := json.Unmarshal([]byte(s), &parsed); err != nil {
		return nil, fmt.Errorf("reading the state: %w", err)
	}
	found := false
	for _, r := range parsed.Resources {
		if r.Mode != "data" || r.Type != "oauth2_token" {
			continue
		}
		for _, inst := range r.Instances {
			found = true
			for _, name := range []string{"access_token", "refresh_token", "id_token", "authorization_header"} {
				v, _ := inst.Attributes[name].(string)
				if v != "" && !strings.Contains(v, "REDACTED-") {
					return nil, fmt.Errorf("data.%s.%s: %s was not scrubbed", r.Type, r.Name, name)
				}
			}
		}
	}
	if !found {
		return nil, errors.New("the state holds no data.oauth2_token")
	}
	for token := range issued {
		if strings.Contains(s, token) {
			return nil, errors.New("an issued token is still in the state")
		}
	}
	return []byte(s), nil
}

// recorder wraps the token server and remembers the tokens it issued.
type recorder struct {
	*tokenserver.Server

	mu     sync.Mutex
	tokens map[string]string // token -> placeholder
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	buf := &capture{header: http.Header{}}
	r.Server.ServeHTTP(buf, req)
	var body struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		IDToken      string `json:"id_token"`
	}
	if json.Unmarshal(buf.body.Bytes(), &body) == nil {
		r.mu.Lock()
		if r.tokens == nil {
			r.tokens = map[string]string{}
		}
		for tok, placeholder := range map[string]string{
			body.AccessToken: placeholderAccess, body.RefreshToken: placeholderRefresh, body.IDToken: placeholderID,
		} {
			if tok != "" {
				r.tokens[tok] = placeholder
			}
		}
		r.mu.Unlock()
	}
	for k, v := range buf.header {
		w.Header()[k] = v
	}
	if buf.code == 0 {
		buf.code = http.StatusOK
	}
	w.WriteHeader(buf.code)
	_, _ = w.Write(buf.body.Bytes())
}

func (r *recorder) issued() map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]string, len(r.tokens))
	for k, v := range r.tokens {
		out[k] = v
	}
	return out
}

// capture is a minimal http.ResponseWriter that buffers a response.
type capture struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (c *capture) Header() http.Header { return c.header }
func (c *capture) Write(b []byte) (int, error) {
	if c.code == 0 {
		c.code = http.StatusOK
	}
	return c.body.Write(b)
}
func (c *capture) WriteHeader(code int) {
	if c.code == 0 {
		c.code = code
	}
}

func serve(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("starting the token server: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}
	return "http://" + ln.Addr().String() + "/token", stop, nil
}

func devOverrides(pluginDir string) string {
	dir := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(filepath.ToSlash(pluginDir))
	return fmt.Sprintf(`provider_installation {
  dev_overrides {
    "registry.terraform.io/tfoauth2/oauth2" = "%[1]s"
    "registry.opentofu.org/tfoauth2/oauth2" = "%[1]s"
  }
  direct {}
}
`, dir)
}

func findCLI(flagValue string) (string, error) {
	if flagValue != "" {
		if !filepath.IsAbs(flagValue) {
			return "", fmt.Errorf("-cli must be an absolute path, got %q", flagValue)
		}
		return flagValue, nil
	}
	p, err := exec.LookPath("terraform")
	if err != nil {
		return "", errors.New("no terraform on PATH; pass -cli /absolute/path/to/terraform")
	}
	return filepath.Abs(p)
}

// repoRoot finds the provider's module root (tools/ has go.mod files of its
// own), from the working directory or this file's location.
func repoRoot() (string, error) {
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		starts = append(starts, filepath.Dir(file))
	}
	for _, dir := range starts {
		for {
			if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil &&
				bytes.HasPrefix(bytes.TrimSpace(data), []byte("module "+modulePath+"\n")) {
				return dir, nil
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return "", fmt.Errorf("cannot find the repository root (a go.mod declaring module %s)", modulePath)
}
