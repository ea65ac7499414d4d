package provider

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-version"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/testenv"
)

// Feature gates for the acceptance tests that know OpenTofu's version
// numbers. terraform-plugin-testing's tfversion checks see only a number: the
// one `tofu version -json` reports as "terraform_version", which for OpenTofu
// is OpenTofu's own version. So RequireAbove(1.10) would let OpenTofu 1.10,
// which has no ephemeral resources, through, and RequireAbove(1.8) would turn
// away OpenTofu 1.7, which has provider-defined functions. These checks ask
// the CLI which one it is and apply that CLI's minimum.
//
// A CLI below the minimum FAILS the test, loudly: `make test` only runs CLIs
// that support everything, so a gate that trips means a misconfigured leg,
// and a skip would be counted as a pass.

// cliFamily is which CLI TF_ACC_TERRAFORM_PATH runs.
type cliFamily string

const (
	cliTerraform cliFamily = "Terraform"
	cliOpenTofu  cliFamily = "OpenTofu"
)

// cliInfo identifies a CLI: its family and its own version number.
type cliInfo struct {
	Family  cliFamily
	Version *version.Version
}

func (c cliInfo) String() string { return fmt.Sprintf("%s %s", c.Family, c.Version) }

// registryHost is where the CLI resolves a source address without a host,
// such as "tfoauth2/oauth2", and so the host in the provider addresses it
// writes to state.
func (c cliInfo) registryHost() string {
	if c.Family == cliOpenTofu {
		return "registry.opentofu.org"
	}
	return "registry.terraform.io"
}

// cliVersionLine matches the version line of `terraform version`
// ("Terraform v1.11.4") and of `tofu version` ("OpenTofu v1.11.7").
var cliVersionLine = regexp.MustCompile(`^(Terraform|OpenTofu) v(\S+)$`)

// parseCLIVersion reads the output of `<cli> version`: the first line that
// names the CLI, as warnings (about a missing CLI configuration file, say)
// may come before it.
func parseCLIVersion(out string) (cliInfo, error) {
	for line := range strings.Lines(out) {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "Terraform v") && !strings.HasPrefix(line, "OpenTofu v") {
			continue
		}
		m := cliVersionLine.FindStringSubmatch(line)
		if m == nil {
			return cliInfo{}, fmt.Errorf("`version` says %q, not \"Terraform vX.Y.Z\" or \"OpenTofu vX.Y.Z\"", line)
		}
		v, err := version.NewVersion(m[2])
		if err != nil {
			return cliInfo{}, fmt.Errorf("`version` says %q: %w", line, err)
		}
		return cliInfo{Family: cliFamily(m[1]), Version: v}, nil
	}
	return cliInfo{}, fmt.Errorf("no \"Terraform vX.Y.Z\" or \"OpenTofu vX.Y.Z\" line in the output of `version`: %q", out)
}

var (
	currentCLIOnce sync.Once
	currentCLIInfo cliInfo
	currentCLIErr  error
)

// currentCLI identifies the CLI at TF_ACC_TERRAFORM_PATH, once per test
// binary.
func currentCLI() (cliInfo, error) {
	currentCLIOnce.Do(func() {
		currentCLIInfo, currentCLIErr = identifyCLI(os.Getenv("TF_ACC_TERRAFORM_PATH"))
	})
	return currentCLIInfo, currentCLIErr
}

func identifyCLI(path string) (cliInfo, error) {
	if path == "" {
		return cliInfo{}, errors.New("TF_ACC_TERRAFORM_PATH is not set")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "version")
	cmd.Env = append(os.Environ(), "CHECKPOINT_DISABLE=1")
	out, err := cmd.Output()
	if err != nil {
		return cliInfo{}, fmt.Errorf("`%s version`: %w", path, err)
	}
	cli, err := parseCLIVersion(string(out))
	if err != nil {
		return cliInfo{}, fmt.Errorf("%s: %w", path, err)
	}
	return cli, nil
}

// cliFeature is something the tests use that older CLIs lack, with the first
// version of each CLI that has it.
type cliFeature struct {
	name                string
	terraform, openTofu *version.Version
}

var (
	// Ephemeral resources: Terraform 1.10, OpenTofu 1.11.
	featureEphemeralResources = cliFeature{"ephemeral resources",
		mustVersion("1.10.0"), mustVersion("1.11.0")}
	// Provider-defined functions: Terraform 1.8, OpenTofu 1.7.
	featureProviderFunctions = cliFeature{"provider-defined functions",
		mustVersion("1.8.0"), mustVersion("1.7.0")}
	// Write-only arguments: Terraform 1.11, OpenTofu 1.11 (its changelog:
	// 1.11.0 brought ephemeral resources and write-only attributes together;
	// TestAccTokenEphemeralResource_writeOnlyArgument passes on bin/tofu-1.11).
	featureWriteOnlyArguments = cliFeature{"write-only arguments",
		mustVersion("1.11.0"), mustVersion("1.11.0")}
)

func mustVersion(v string) *version.Version { return version.Must(version.NewVersion(v)) }

func (f cliFeature) minimum(family cliFamily) *version.Version {
	if family == cliOpenTofu {
		return f.openTofu
	}
	return f.terraform
}

// check returns an error when cli is older than the feature needs.
// Prereleases count as their release, as in tfversion.RequireAbove: 1.11.0-rc1
// passes a 1.11.0 minimum.
func (f cliFeature) check(cli cliInfo) error {
	minimum := f.minimum(cli.Family)
	if cli.Version.Core().LessThan(minimum) {
		return fmt.Errorf("this test uses %s, which need %s %s or later, but TF_ACC_TERRAFORM_PATH is %s",
			f.name, cli.Family, minimum, cli)
	}
	return nil
}

// cliFeatureCheck is a tfversion.TerraformVersionCheck that fails the test
// unless the CLI has every one of features.
type cliFeatureCheck struct {
	features []cliFeature
	identify func() (cliInfo, error)
}

func (c cliFeatureCheck) CheckTerraformVersion(_ context.Context, req tfversion.CheckTerraformVersionRequest,
	resp *tfversion.CheckTerraformVersionResponse,
) {
	cli, err := c.identify()
	if err != nil {
		resp.Error = fmt.Errorf("cannot tell which CLI runs the test: %w", err)
		return
	}
	// The harness read its number from `version -json` of the same binary;
	// a disagreement means the two looked at different CLIs.
	if req.TerraformVersion != nil && !req.TerraformVersion.Equal(cli.Version) {
		resp.Error = fmt.Errorf("the test harness detected CLI version %s, but `version` says %s",
			req.TerraformVersion, cli)
		return
	}
	for _, f := range c.features {
		if err := f.check(cli); err != nil {
			resp.Error = err
			return
		}
	}
}

// requireCLI returns TerraformVersionChecks that fail the test unless the CLI
// at TF_ACC_TERRAFORM_PATH has every one of features.
func requireCLI(features ...cliFeature) []tfversion.TerraformVersionCheck {
	return []tfversion.TerraformVersionCheck{cliFeatureCheck{features: features, identify: currentCLI}}
}

// The gates the tests use.
var (
	ephemeralVersions         = requireCLI(featureEphemeralResources)
	functionVersions          = requireCLI(featureProviderFunctions)
	ephemeralFunctionVersions = requireCLI(featureEphemeralResources, featureProviderFunctions)
	writeOnlyVersions         = requireCLI(featureEphemeralResources, featureWriteOnlyArguments)
)

func TestParseCLIVersion(t *testing.T) {
	cases := []struct {
		out     string
		family  cliFamily
		version string
	}{
		{"OpenTofu v1.11.7\non linux_amd64\n", cliOpenTofu, "1.11.7"},
		{"Terraform v1.11.4\non linux_amd64\n", cliTerraform, "1.11.4"},
		{"OpenTofu v1.12.6\r\non linux_amd64\r\n", cliOpenTofu, "1.12.6"},
		{"Terraform v1.12.0-alpha20250319\non darwin_arm64\n\nYour version of Terraform is out of date! The latest version\nis 1.12.1.", cliTerraform, "1.12.0-alpha20250319"},
		{"OpenTofu v1.11.0-rc1\non linux_amd64\n+ provider registry.opentofu.org/tfoauth2/oauth2 v0.1.0\n", cliOpenTofu, "1.11.0-rc1"},
		// A warning first, as without a ~/.terraformrc.
		{"\nWarning: Unable to open CLI configuration file\n\nThe CLI configuration file at \"/root/.terraformrc\" does not exist.\nOpenTofu v1.12.6\non linux_amd64\n", cliOpenTofu, "1.12.6"},
	}
	for _, tc := range cases {
		got, err := parseCLIVersion(tc.out)
		if err != nil {
			t.Errorf("parseCLIVersion(%q): %v", tc.out, err)
			continue
		}
		if got.Family != tc.family || got.Version.String() != tc.version {
			t.Errorf("parseCLIVersion(%q) = %s, want %s %s", tc.out, got, tc.family, tc.version)
		}
	}
	for _, bad := range []string{
		"",
		"Terraform 1.11.4",
		"terraform v1.11.4",
		"OpenTofu vnext",
		"Terraform v1.11.4 (patched)",
		`{"terraform_version": "1.11.4"}`,
	} {
		if got, err := parseCLIVersion(bad); err == nil {
			t.Errorf("parseCLIVersion(%q) = %s, want an error", bad, got)
		}
	}
}

func TestCLIFeatureCheck(t *testing.T) {
	cli := func(family cliFamily, v string) cliInfo {
		return cliInfo{Family: family, Version: mustVersion(v)}
	}
	cases := []struct {
		cli      cliInfo
		features []cliFeature
		ok       bool
	}{
		// Ephemeral resources: OpenTofu's 1.10 has none though Terraform's has.
		{cli(cliTerraform, "1.10.0"), []cliFeature{featureEphemeralResources}, true},
		{cli(cliTerraform, "1.9.8"), []cliFeature{featureEphemeralResources}, false},
		{cli(cliOpenTofu, "1.10.6"), []cliFeature{featureEphemeralResources}, false},
		{cli(cliOpenTofu, "1.11.0"), []cliFeature{featureEphemeralResources}, true},
		{cli(cliOpenTofu, "1.11.0-rc1"), []cliFeature{featureEphemeralResources}, true},
		{cli(cliOpenTofu, "1.11.0-dev"), []cliFeature{featureEphemeralResources}, true},
		{cli(cliOpenTofu, "1.12.6"), []cliFeature{featureEphemeralResources}, true},
		// Provider functions: OpenTofu had them a minor version before Terraform.
		{cli(cliOpenTofu, "1.7.0"), []cliFeature{featureProviderFunctions}, true},
		{cli(cliOpenTofu, "1.6.2"), []cliFeature{featureProviderFunctions}, false},
		{cli(cliTerraform, "1.7.5"), []cliFeature{featureProviderFunctions}, false},
		{cli(cliTerraform, "1.8.0"), []cliFeature{featureProviderFunctions}, true},
		// Write-only arguments: 1.11 in both.
		{cli(cliTerraform, "1.10.5"), []cliFeature{featureWriteOnlyArguments}, false},
		{cli(cliTerraform, "1.11.4"), []cliFeature{featureWriteOnlyArguments}, true},
		{cli(cliOpenTofu, "1.10.6"), []cliFeature{featureWriteOnlyArguments}, false},
		{cli(cliOpenTofu, "1.11.7"), []cliFeature{featureWriteOnlyArguments}, true},
		// Every feature must be there.
		{cli(cliTerraform, "1.10.5"), []cliFeature{featureEphemeralResources, featureProviderFunctions}, true},
		{cli(cliOpenTofu, "1.10.6"), []cliFeature{featureProviderFunctions, featureEphemeralResources}, false},
		{cli(cliTerraform, "1.10.5"), []cliFeature{featureEphemeralResources, featureWriteOnlyArguments}, false},
	}
	for _, tc := range cases {
		check := cliFeatureCheck{features: tc.features, identify: func() (cliInfo, error) { return tc.cli, nil }}
		var resp tfversion.CheckTerraformVersionResponse
		check.CheckTerraformVersion(t.Context(), tfversion.CheckTerraformVersionRequest{TerraformVersion: tc.cli.Version}, &resp)
		names := make([]string, len(tc.features))
		for i, f := range tc.features {
			names[i] = f.name
		}
		if resp.Skip != "" {
			t.Errorf("%s, %v: skipped (%s); a gate must pass or fail, never skip", tc.cli, names, resp.Skip)
		}
		if tc.ok && resp.Error != nil {
			t.Errorf("%s, %v: %v", tc.cli, names, resp.Error)
		}
		if !tc.ok && resp.Error == nil {
			t.Errorf("%s, %v: passed, want the test to fail", tc.cli, names)
		}
		if !tc.ok && resp.Error != nil && !strings.Contains(resp.Error.Error(), string(tc.cli.Family)) {
			t.Errorf("%s, %v: error %q does not name the CLI", tc.cli, names, resp.Error)
		}
	}

	// The harness's number and the CLI's own must agree.
	check := cliFeatureCheck{features: []cliFeature{featureEphemeralResources},
		identify: func() (cliInfo, error) { return cli(cliOpenTofu, "1.11.7"), nil }}
	var resp tfversion.CheckTerraformVersionResponse
	check.CheckTerraformVersion(t.Context(),
		tfversion.CheckTerraformVersionRequest{TerraformVersion: mustVersion("1.12.6")}, &resp)
	if resp.Error == nil {
		t.Error("a harness version that differs from the CLI's passed")
	}
	// A CLI that cannot be identified fails the test too.
	check.identify = func() (cliInfo, error) { return cliInfo{}, errors.New("boom") }
	resp = tfversion.CheckTerraformVersionResponse{}
	check.CheckTerraformVersion(t.Context(), tfversion.CheckTerraformVersionRequest{}, &resp)
	if resp.Error == nil || !strings.Contains(resp.Error.Error(), "boom") {
		t.Errorf("unidentified CLI: error %v, want one that says why", resp.Error)
	}
}

// TestCurrentCLI checks that the leg runs the CLI it says: make's OpenTofu
// legs set TF_ACC_PROVIDER_HOST=registry.opentofu.org.
func TestCurrentCLI(t *testing.T) {
	testenv.CLI(t)
	cli, err := currentCLI()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("TF_ACC_TERRAFORM_PATH is %s", cli)
	if host := os.Getenv("TF_ACC_PROVIDER_HOST"); host != "" && host != cli.registryHost() {
		t.Errorf("TF_ACC_PROVIDER_HOST=%s, but %s resolves providers at %s", host, cli, cli.registryHost())
	}
}
