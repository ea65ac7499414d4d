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
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/devcli"
	"github.com/tfoauth2/terraform-provider-oauth2/internal/tokenserver"
)

const (
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
	devcli.Main("statefixture", run)
}

func run(ctx context.Context) error {
	commit := flag.String("commit", firstRelease, "the commit whose provider writes the state")
	cli := flag.String("cli", "", "absolute path of the terraform binary (default: terraform on PATH)")
	flag.Parse()

	cliPath, err := findCLI(*cli)
	if err != nil {
		return err
	}
	root, err := devcli.RepoRoot()
	if err != nil {
		return err
	}
	outDir := filepath.Join(root, filepath.FromSlash(fixtureDir))
	config, err := os.ReadFile(filepath.Join(outDir, "main.tf"))
	if err != nil {
		return err
	}

	tmp, removeTmp, err := devcli.TempDir("oauth2-statefixture-", "src", "plugins", "work")
	if err != nil {
		return err
	}
	defer removeTmp()
	srcDir, pluginDir, workDir := filepath.Join(tmp, "src"), filepath.Join(tmp, "plugins"), filepath.Join(tmp, "work")

	devcli.Logf("exporting %s from this repository's history", *commit)
	if err := exportCommit(ctx, root, *commit, srcDir); err != nil {
		return err
	}
	// The exported tree is a module of its own: no go.work of the
	// surroundings, and go.sum must already hold what it needs.
	err = devcli.BuildProvider(ctx, srcDir, filepath.Join(pluginDir, devcli.ProviderExe()), "GOWORK=off", "GOFLAGS=-mod=readonly")
	if err != nil {
		return fmt.Errorf("the provider of %s: %w", *commit, err)
	}

	rec := &recorder{Server: tokenserver.New(tokenserver.Options{
		Clients: []tokenserver.Client{{
			ID: clientID, Secret: clientSecret, Auth: tokenserver.AuthBasic,
			Scopes: []string{"api.read", "api.write"},
		}},
		ExpiresIn:   600,
		ExtraFields: map[string]any{"not-before-policy": 0, "session_state": "fixture-session"},
	})}
	tokenURL, stopServer, err := devcli.StartTokenServer(rec)
	if err != nil {
		return err
	}
	defer stopServer()

	if err := os.WriteFile(filepath.Join(workDir, "main.tf"), config, 0o644); err != nil {
		return err
	}
	cliConfig := filepath.Join(tmp, "cli.tfrc")
	if err := devcli.WriteCLIConfig(cliConfig, pluginDir); err != nil {
		return err
	}
	// Nothing of the caller's TF_* settings: the fixture must not depend
	// on them.
	env := devcli.CLIEnv{
		Drop:          func(name string) bool { return strings.HasPrefix(name, "TF_") },
		CLIConfigFile: cliConfig,
		Automation:    true,
		TokenURL:      tokenURL,
		ClientID:      clientID,
		ClientSecret:  clientSecret,
	}.Environ()
	devcli.Logf("running %s apply against the token server at %s", cliPath, tokenURL)
	apply := devcli.Command(ctx, cliPath, workDir, env, "apply", "-auto-approve", "-input=false", "-no-color")
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
	devcli.Logf("wrote %s (tokens replaced by placeholders)", out)
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

func findCLI(flagValue string) (string, error) {
	if flagValue != "" {
		if !filepath.IsAbs(flagValue) {
			return "", fmt.Errorf("-cli must be an absolute path, got %q", flagValue)
		}
		return flagValue, nil
	}
	if p, ok := devcli.FindOnPath("terraform"); ok {
		return p, nil
	}
	return "", errors.New("no terraform on PATH; pass -cli /absolute/path/to/terraform")
}
