package provider

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

// echoingServer issues a fresh token pair for any request while ok is set,
// and otherwise fails with an error_description that repeats the whole
// request (query, headers, body): the worst a server can do with secrets.
type echoingServer struct {
	URL    string
	failed atomic.Bool

	mu     sync.Mutex
	issued []string
}

func newEchoingServer(t *testing.T) *echoingServer {
	s := &echoingServer{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		if s.failed.Load() {
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{
				"error": "invalid_request",
				"error_description": fmt.Sprintf("you sent query=%s authorization=%s body=%s",
					r.URL.RawQuery, r.Header.Get("Authorization"), body),
			})
			return
		}
		buf := make([]byte, 16)
		_, _ = rand.Read(buf)
		access, refresh := "at-"+hex.EncodeToString(buf), "rt-"+hex.EncodeToString(buf)
		s.mu.Lock()
		s.issued = append(s.issued, access, refresh)
		s.mu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]any{
			"access_token": access, "refresh_token": refresh, "id_token": "id-" + hex.EncodeToString(buf),
			"token_type": "Bearer", "expires_in": 3600,
		})
	}))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

func (s *echoingServer) Issued() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.issued...)
}

// For every client authentication method and every grant: no secret and no
// token in the state, the saved plans, the CLI's and the provider's TRACE
// logs, or the diagnostic of a failed request to a server that echoes the
// request back.
func TestAccTokenEphemeralResource_leakProof(t *testing.T) {
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(ecKey)
	keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	// A line of the key's base64 body stands for the key: no part of it may
	// show anywhere.
	keyLine := strings.Split(keyPEM, "\n")[1]

	const secret = "leak-Secret &=+%/: long enough for HS256 signing"
	const grantSecret = "grant-Secret-value &=+%/:"
	cases := map[string]struct{ clientAuth, grant string }{
		"client_secret_basic password": {"client_secret_basic", `password_grant = { username = "u", password = var.grant_secret }`},
		"client_secret_post refresh":   {"client_secret_post", `refresh_token_grant = { refresh_token = var.grant_secret }`},
		"client_secret_jwt exchange": {"client_secret_jwt", `token_exchange_grant = {
    subject_token      = var.grant_secret
    subject_token_type = "urn:ietf:params:oauth:token-type:access_token"
  }`},
		"private_key_jwt jwt-bearer assertion": {"private_key_jwt", `jwt_bearer_grant = { assertion = var.grant_secret }`},
		"private_key_jwt jwt-bearer claims":    {"private_key_jwt", `jwt_bearer_grant = { claims = { sub = "x" } }`},
		"none client_credentials in query":     {"none", `params_in = "query"`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			srv := newEchoingServer(t)
			workDir, logDir := t.TempDir(), t.TempDir()
			t.Setenv("TF_ACC_PERSIST_WORKING_DIR", "1")
			t.Setenv("TF_LOG", "TRACE")
			t.Setenv("TF_ACC_LOG", "TRACE")
			t.Setenv("TF_LOG_PATH_MASK", filepath.Join(logDir, "%s.log"))
			// Secrets reach Terraform from the environment and ephemeral
			// variables, as a careful pipeline hands them over.
			t.Setenv("OAUTH2_CLIENT_SECRET", secret)
			t.Setenv("OAUTH2_PRIVATE_KEY", keyPEM)
			t.Setenv("OAUTH2_CLIENT_AUTH", tc.clientAuth)
			if tc.clientAuth == "none" {
				t.Setenv("OAUTH2_CLIENT_SECRET", "")
			}
			cfg := fmt.Sprintf(`
variable "grant_secret" {
  type      = string
  sensitive = true
  ephemeral = true
}

provider "oauth2" {
  token_url = %[1]q
  client_id = "app"
}

ephemeral "oauth2_token" "test" {
  %[2]s
}

resource "terraform_data" "consumer" {
  provisioner "local-exec" {
    command = "test -n \"$AUTH\""
    environment = {
      AUTH = ephemeral.oauth2_token.test.authorization_header
    }
  }
}
`, srv.URL+"/token", tc.grant)
			vars := config.Variables{"grant_secret": config.StringVariable(grantSecret)}

			var failure error
			ephemeralUnitTest(t, resource.TestCase{
				TerraformVersionChecks:   ephemeralVersions,
				ProtoV6ProviderFactories: protoV6ProviderFactoriesWithClock(time.Now),
				WorkingDir:               workDir,
				ErrorCheck: func(err error) error {
					failure = err
					if !strings.Contains(err.Error(), "invalid_request") {
						return fmt.Errorf("want the server's error in the diagnostic: %w", err)
					}
					return nil
				},
				Steps: []resource.TestStep{
					{Config: cfg, ConfigVariables: vars},
					{
						// The server now echoes each request into its error.
						PreConfig:       func() { srv.failed.Store(true) },
						Config:          cfg,
						ConfigVariables: vars,
						PlanOnly:        true,
					},
				},
			})
			if failure == nil {
				t.Fatal("the echoing server's failure did not fail the plan")
			}
			secrets := append(srv.Issued(), secret, grantSecret, keyLine)
			if len(secrets) < 5 {
				t.Fatal("no tokens were issued")
			}
			for _, s := range secrets {
				if strings.Contains(failure.Error(), s) {
					t.Errorf("the diagnostic shows a secret (%d characters):\n%s", len(s), failure)
				}
			}
			files := searchTree(t, workDir, secrets, "terraform.tfvars.json")
			if files.plans == 0 || files.states == 0 {
				t.Fatalf("found %d saved plans and %d states in %d files: nothing was proven", files.plans, files.states, files.total)
			}
			logs := searchTree(t, logDir, secrets, "")
			if !logs.contains("Token request succeeded") || !logs.contains("Token request failed") {
				t.Fatal("the provider's TRACE log is missing: nothing was proven")
			}
		})
	}
}
