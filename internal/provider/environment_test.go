package provider

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/testenv"
)

// Terraform and OpenTofu do not validate an empty provider block, so an
// invalid OAUTH2_* variable would pass `validate` and fail at plan. The
// token reports it instead, at `validate`. The CLI is run by hand, since
// the test harness does not run `validate` on its own.
func TestAccProvider_environmentFailsAtValidate(t *testing.T) {
	testenv.CLI(t)
	cli, err := currentCLI()
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		env  map[string]string
		want string // empty: validate succeeds
	}{
		"invalid client_auth": {
			env:  map[string]string{"OAUTH2_CLIENT_AUTH": "basic"},
			want: `Invalid Client Authentication Method[\s\S]*OAUTH2_CLIENT_AUTH[\s\S]*"basic"`,
		},
		"insecure token URL": {
			env:  map[string]string{"OAUTH2_TOKEN_URL": "http://auth.example.com/token"},
			want: `Insecure URL[\s\S]*OAUTH2_TOKEN_URL[\s\S]*allow_insecure_http`,
		},
		"valid": {},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			env := map[string]string{
				"OAUTH2_TOKEN_URL": "https://auth.example.com/token", "OAUTH2_CLIENT_ID": "client",
				"OAUTH2_CLIENT_SECRET": testSecret,
			}
			for k, v := range tc.env {
				env[k] = v
			}
			for k, v := range env {
				t.Setenv(k, v)
			}
			dir := t.TempDir()
			config := `
terraform {
  required_providers {
    oauth2 = {
      source = "tfoauth2/oauth2"
    }
  }
}

provider "oauth2" {}

data "oauth2_token" "test" {}
`
			if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(config), 0o600); err != nil {
				t.Fatal(err)
			}
			addr := cli.registryHost() + "/tfoauth2/oauth2"
			attach := reattach(t, serveProvider(t, addr), addr)
			cliRunner(t, cli, dir)(attach, "init", "-input=false")
			stdout, stderr, err := cliTry(t, dir)(attach, "validate")
			if tc.want == "" {
				if err != nil {
					t.Fatalf("validate failed: %v\n%s%s", err, stdout, stderr)
				}
				return
			}
			if err == nil {
				t.Fatalf("validate succeeded, want an error matching %s:\n%s", tc.want, stdout)
			}
			if !regexp.MustCompile(tc.want).MatchString(stderr) {
				t.Errorf("validate said:\n%s\nwant a match for %s", stderr, tc.want)
			}
		})
	}
}
