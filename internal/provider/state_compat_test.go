package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/testenv"
	"github.com/tfoauth2/terraform-provider-oauth2/internal/tokenserver"
)

// The fixture: a configuration and the state the first release's provider
// wrote for it with Terraform 1.11.4, tokens scrubbed. `go run
// ./internal/cmd/statefixture` regenerates the state (see
// testdata/state-first-release/README.md).
const (
	firstReleaseFixture = "testdata/state-first-release"
	firstReleaseClient  = "state-fixture"
	firstReleaseSecret  = "state-fixture-secret"
	// The provider source in the fixture's required_providers.
	firstReleaseSource = "tfoauth2/oauth2"
)

// Attributes the data source gained after the first release: a state from
// then has none of them, and the current provider must fill them in.
var attributesSinceFirstRelease = []string{"jwt_bearer_grant", "token_exchange_grant", "min_validity", "issued_token_type"}

// TestAccTokenDataSource_stateFromFirstRelease proves that a state written by
// the first release still works after the schema grew: the CLI decodes the
// old data source object with the current schema (`show`), plans and
// applies, and the data source and the outputs that read it come out right.
//
// The harness of resource.Test cannot start from a given state file, so the
// test drives the CLI itself, the same one at TF_ACC_TERRAFORM_PATH, on a
// copy of the fixture. The provider is this test process's, served for the
// CLI to reattach to (TF_REATTACH_PROVIDERS), as the harness does: nothing is
// built or downloaded.
func TestAccTokenDataSource_stateFromFirstRelease(t *testing.T) {
	testenv.CLI(t)
	cli, err := currentCLI()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, name := range []string{"main.tf", "terraform.tfstate"} {
		data, err := os.ReadFile(filepath.Join(firstReleaseFixture, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	// The fixture must really be from before the schema change, or the test
	// proves nothing.
	fixture := readStateFile(t, filepath.Join(dir, "terraform.tfstate"))
	old := fixture.dataSource(t, "oauth2_token", "api")
	for _, name := range attributesSinceFirstRelease {
		if _, ok := old.Attributes[name]; ok {
			t.Fatalf("the fixture's data.oauth2_token.api already has %s: it is not a first-release state", name)
		}
	}
	if want := `provider["registry.terraform.io/` + firstReleaseSource + `"]`; old.Provider != want {
		t.Fatalf("the fixture's data source belongs to %s, want %s (a state written by Terraform)", old.Provider, want)
	}

	srv := newRecordingServer(t, tokenserver.Options{
		Clients: []tokenserver.Client{{
			ID: firstReleaseClient, Secret: firstReleaseSecret, Auth: tokenserver.AuthBasic,
			Scopes: []string{"api.read", "api.write"},
		}},
		ExpiresIn:   600,
		ExtraFields: map[string]any{"not-before-policy": 0, "session_state": "fixture-session"},
	})
	// The provider runs in this process, so this is the environment it
	// reads its settings from.
	t.Setenv("OAUTH2_TOKEN_URL", srv.URL)
	t.Setenv("OAUTH2_CLIENT_ID", firstReleaseClient)
	t.Setenv("OAUTH2_CLIENT_SECRET", firstReleaseSecret)
	// The CLI resolves `source = "tfoauth2/oauth2"` at its own registry:
	// registry.terraform.io for Terraform, registry.opentofu.org for OpenTofu.
	addr := cli.registryHost() + "/" + firstReleaseSource
	server := serveProvider(t, addr)
	run := cliRunner(t, cli, dir)

	run(reattach(t, server, addr), "init", "-input=false")

	// Reading the old state with the current provider's schema, before
	// anything is refreshed: the new attributes are null, the old ones kept.
	//
	// OpenTofu rewrites registry.terraform.io provider addresses in a state
	// to registry.opentofu.org when it plans or applies (internal/tofumigrate,
	// for sources without a host), but `tofu show` does not, so there it
	// needs the provider under the address in the state, too. Plan and apply
	// below get only the CLI's own address.
	showWith := []string{addr}
	if cli.Family == cliOpenTofu {
		showWith = append(showWith, "registry.terraform.io/"+firstReleaseSource)
	}
	var shown showJSON
	if err := json.Unmarshal([]byte(run(reattach(t, server, showWith...), "show", "-json")), &shown); err != nil {
		t.Fatalf("show -json: %v", err)
	}
	before := shown.dataSource(t, "data.oauth2_token.api")
	for _, name := range attributesSinceFirstRelease {
		if v, ok := before[name]; !ok || v != nil {
			t.Errorf("show -json of the old state: %s = %v (present: %v), want null", name, v, ok)
		}
	}
	if before["scope"] != "api.read api.write" || before["token_type"] != "Bearer" {
		t.Errorf("show -json of the old state: scope = %v, token_type = %v", before["scope"], before["token_type"])
	}
	if got := shown.Values.Outputs["token_type"].Value; got != "Bearer" {
		t.Errorf("show -json of the old state: output token_type = %v", got)
	}

	env := reattach(t, server, addr)
	// Plan and apply on top of it. With -detailed-exitcode a plan exits 2
	// when it has changes, which the runner accepts; 1 is an error.
	run(env, "plan", "-input=false", "-detailed-exitcode", "-out=tfplan")
	run(env, "apply", "-input=false", "tfplan")
	if srv.TokenRequests() == 0 {
		t.Fatal("plan and apply never asked the token server for a token: the data source was not read")
	}

	after := readStateFile(t, filepath.Join(dir, "terraform.tfstate"))
	if after.Serial <= fixture.Serial {
		t.Errorf("state serial %d after apply, want more than the fixture's %d", after.Serial, fixture.Serial)
	}
	if after.Lineage != fixture.Lineage {
		t.Errorf("state lineage changed from %s to %s: the CLI started a new state instead of using the old one",
			fixture.Lineage, after.Lineage)
	}
	ds := after.dataSource(t, "oauth2_token", "api")
	if want := fmt.Sprintf("provider[%q]", cli.registryHost()+"/"+firstReleaseSource); ds.Provider != want {
		t.Errorf("data.oauth2_token.api belongs to %s after apply, want %s", ds.Provider, want)
	}
	for _, name := range attributesSinceFirstRelease {
		if v, ok := ds.Attributes[name]; !ok || v != nil {
			t.Errorf("after apply: %s = %v (present: %v), want null", name, v, ok)
		}
	}
	access, _ := ds.Attributes["access_token"].(string)
	if !slices.Contains(srv.Issued(), access) {
		t.Errorf("after apply the access_token is not one the server issued in this test (a stale value from the fixture?)")
	}
	if got, want := ds.Attributes["authorization_header"], "Bearer "+access; got != want {
		t.Errorf("authorization_header is not %q", "Bearer <the new access_token>")
	}
	for name, want := range map[string]any{
		"scope": "api.read api.write", "token_type": "Bearer", "expires_in": float64(600), "audience": "https://api.example.com",
	} {
		if got := ds.Attributes[name]; got != want {
			t.Errorf("after apply: %s = %v, want %v", name, got, want)
		}
	}
	if _, err := time.Parse(time.RFC3339, fmt.Sprint(ds.Attributes["expires_at"])); err != nil {
		t.Errorf("after apply: expires_at = %v: %v", ds.Attributes["expires_at"], err)
	}

	// The outputs still resolve, through the CLI.
	var outputs map[string]struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal([]byte(run(env, "output", "-json")), &outputs); err != nil {
		t.Fatalf("output -json: %v", err)
	}
	for name, want := range map[string]string{
		"token_type": `"Bearer"`,
		"scope":      `"api.read api.write"`,
		"expires_in": `600`,
		"extra":      `{"not-before-policy":"0","session_state":"fixture-session"}`,
	} {
		var got bytes.Buffer
		if err := json.Compact(&got, outputs[name].Value); err != nil || got.String() != want {
			t.Errorf("output %s = %s, want %s", name, outputs[name].Value, want)
		}
	}

	// And a second plan, which reads the data source again, finds nothing
	// to change.
	if out := run(env, "plan", "-input=false", "-detailed-exitcode"); !strings.Contains(out, "No changes.") {
		t.Errorf("a second plan still has changes:\n%s", out)
	}
}

// stateFile is the part of a version 4 state file the test reads.
type stateFile struct {
	Version   int    `json:"version"`
	Serial    int    `json:"serial"`
	Lineage   string `json:"lineage"`
	Resources []struct {
		Mode      string `json:"mode"`
		Type      string `json:"type"`
		Name      string `json:"name"`
		Provider  string `json:"provider"`
		Instances []struct {
			Attributes map[string]any `json:"attributes"`
		} `json:"instances"`
	} `json:"resources"`
}

type stateDataSource struct {
	Provider   string
	Attributes map[string]any
}

func readStateFile(t *testing.T, path string) stateFile {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s stateFile
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if s.Version != 4 {
		t.Fatalf("%s: state format version %d, want 4", path, s.Version)
	}
	return s
}

func (s stateFile) dataSource(t *testing.T, typ, name string) stateDataSource {
	t.Helper()
	for _, r := range s.Resources {
		if r.Mode == "data" && r.Type == typ && r.Name == name {
			if len(r.Instances) != 1 {
				t.Fatalf("data.%s.%s has %d instances in state, want 1", typ, name, len(r.Instances))
			}
			return stateDataSource{Provider: r.Provider, Attributes: r.Instances[0].Attributes}
		}
	}
	t.Fatalf("no data.%s.%s in state", typ, name)
	return stateDataSource{}
}

// showJSON is the part of `show -json` the test reads.
type showJSON struct {
	Values struct {
		Outputs map[string]struct {
			Value any `json:"value"`
		} `json:"outputs"`
		RootModule struct {
			Resources []struct {
				Address string         `json:"address"`
				Values  map[string]any `json:"values"`
			} `json:"resources"`
		} `json:"root_module"`
	} `json:"values"`
}

func (s showJSON) dataSource(t *testing.T, address string) map[string]any {
	t.Helper()
	for _, r := range s.Values.RootModule.Resources {
		if r.Address == address {
			return r.Values
		}
	}
	t.Fatalf("show -json has no %s", address)
	return nil
}

// reattachConfig is one entry of TF_REATTACH_PROVIDERS.
type reattachConfig struct {
	Protocol        string
	ProtocolVersion int
	Pid             int
	Test            bool
	Addr            struct{ Network, String string }
}

// serveProvider serves this provider from the test process, the way
// terraform-plugin-testing does, for the CLI to reattach to. name is only
// for the provider's logs.
func serveProvider(t *testing.T, name string) reattachConfig {
	t.Helper()
	// t.Context is canceled before the cleanups run; cancel stops the server
	// earlier should the test fail before it starts.
	ctx, cancel := context.WithCancel(t.Context())
	configCh := make(chan *plugin.ReattachConfig, 1)
	closeCh := make(chan struct{})
	factory := providerserver.NewProtocol6(&oauth2Provider{version: "test", now: time.Now})
	errCh := make(chan error, 1)
	go func() {
		errCh <- tf6server.Serve(name, factory,
			tf6server.WithDebug(ctx, configCh, closeCh),
			tf6server.WithGoPluginLogger(hclog.NewNullLogger()),
			// Provider logs follow TF_LOG and TF_ACC_LOG_PATH, as in the
			// resource.Test harness, instead of going to stderr.
			tf6server.WithLoggingSink(t),
		)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-closeCh:
		case <-time.After(10 * time.Second):
			t.Error("the provider server did not stop")
		}
	})

	var conf *plugin.ReattachConfig
	select {
	case conf = <-configCh:
	case err := <-errCh:
		t.Fatalf("serving the provider: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the provider server did not start")
	}
	rc := reattachConfig{
		Protocol: string(conf.Protocol), ProtocolVersion: conf.ProtocolVersion, Pid: conf.Pid, Test: conf.Test,
	}
	rc.Addr.Network, rc.Addr.String = conf.Addr.Network(), conf.Addr.String()
	return rc
}

// reattach returns the TF_REATTACH_PROVIDERS setting that makes the CLI use
// provider for each of addrs.
func reattach(t *testing.T, provider reattachConfig, addrs ...string) string {
	t.Helper()
	m := make(map[string]reattachConfig, len(addrs))
	for _, a := range addrs {
		m[a] = provider
	}
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return "TF_REATTACH_PROVIDERS=" + string(data)
}

// cliRunner returns a function that runs the CLI in dir with extra added to
// the environment (TF_REATTACH_PROVIDERS), failing the test with the CLI's
// output when it fails. It returns stdout.
func cliRunner(t *testing.T, cli cliInfo, dir string) func(extra string, args ...string) string {
	try := cliTry(t, dir)
	return func(extra string, args ...string) string {
		t.Helper()
		stdout, stderr, err := try(extra, args...)
		if err != nil {
			t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", cli, strings.Join(args, " "), err, stdout, stderr)
		}
		t.Logf("%s %s:\n%s", cli.Family, strings.Join(args, " "), stdout)
		return stdout
	}
}

// cliTry is cliRunner for commands that may fail: it returns their output
// and error.
func cliTry(t *testing.T, dir string) func(extra string, args ...string) (stdout, stderr string, err error) {
	path := os.Getenv("TF_ACC_TERRAFORM_PATH")
	cliConfig := filepath.Join(t.TempDir(), "empty.tfrc")
	if err := os.WriteFile(cliConfig, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		return strings.HasPrefix(k, "OAUTH2_") || strings.HasPrefix(k, "TF_CLI_ARGS") ||
			slices.Contains([]string{"TF_CLI_CONFIG_FILE", "TERRAFORM_CONFIG", "TF_DATA_DIR", "TF_WORKSPACE",
				"TF_REATTACH_PROVIDERS", "TF_PLUGIN_CACHE_DIR"}, k)
	})
	env = append(env, "TF_CLI_CONFIG_FILE="+cliConfig, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1")
	return func(extra string, args ...string) (string, string, error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		defer cancel()
		args = append(args[:1:1], append([]string{"-no-color"}, args[1:]...)...)
		cmd := exec.CommandContext(ctx, path, args...)
		cmd.Dir, cmd.Env = dir, append(slices.Clip(env), extra)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		// plan -detailed-exitcode exits 2 when there are changes.
		if errors.As(err, &exit) && exit.ExitCode() == 2 && slices.Contains(args, "-detailed-exitcode") {
			err = nil
		}
		return stdout.String(), stderr.String(), err
	}
}
