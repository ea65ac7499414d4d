package provider

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/echoprovider"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/testenv"
	"github.com/tfoauth2/terraform-provider-oauth2/internal/tokenserver"
)

// The acceptance tests run the real Terraform or OpenTofu CLI named by
// TF_ACC_TERRAFORM_PATH against the provider in this process. They use
// resource.UnitTest, so they need no TF_ACC, and they talk only to token
// servers on loopback. Without a CLI path terraform-plugin-testing would try
// to download Terraform, which this project never does: unitTest skips the
// test instead (fails it under `make test`, see internal/testenv).
func unitTest(t *testing.T, tc resource.TestCase) {
	t.Helper()
	testenv.CLI(t)
	resource.UnitTest(t, tc)
}

// Secrets with characters that break naive encodings.
const (
	testSecret   = "s3cr@t &=+%/: with spaces"
	testPassword = "p@ss word&=+%/:x"
)

var testNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// protoV6ProviderFactories serve this provider, with a fixed clock so
// expires_at can be asserted exactly, and the echo provider, which turns
// ephemeral values into state for the tests that need to read them.
func protoV6ProviderFactories() map[string]func() (tfprotov6.ProviderServer, error) {
	return protoV6ProviderFactoriesWithClock(func() time.Time { return testNow })
}

// protoV6ProviderFactoriesWithClock is for tests whose servers check the
// time in what the provider signs, such as a JWT's exp.
func protoV6ProviderFactoriesWithClock(now func() time.Time) map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"oauth2": providerserver.NewProtocol6WithError(&oauth2Provider{version: "test", now: now}),
		"echo":   echoprovider.NewProviderServer(),
	}
}

// recordingServer wraps a token server and keeps every access and refresh
// token it issued, so leak tests know exactly what must not appear.
type recordingServer struct {
	*tokenserver.Server
	URL string

	mu     sync.Mutex
	issued []string
}

func newRecordingServer(t *testing.T, opts tokenserver.Options) *recordingServer {
	t.Helper()
	rs := &recordingServer{Server: tokenserver.New(opts)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		rs.ServeHTTP(rec, r)
		var body struct {
			AccessToken  string `json:"access_token"`
			RefreshToken string `json:"refresh_token"`
		}
		if json.Unmarshal(rec.Body.Bytes(), &body) == nil {
			rs.mu.Lock()
			for _, tok := range []string{body.AccessToken, body.RefreshToken} {
				if tok != "" {
					rs.issued = append(rs.issued, tok)
				}
			}
			rs.mu.Unlock()
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = io.Copy(w, bytes.NewReader(rec.Body.Bytes()))
	}))
	t.Cleanup(srv.Close)
	rs.URL = srv.URL + "/token"
	return rs
}

func (rs *recordingServer) Issued() []string {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return append([]string(nil), rs.issued...)
}

// basicServer is a Keycloak-like server (the Relatics dialect): one client
// that must authenticate with HTTP Basic.
func basicServer(t *testing.T) *recordingServer {
	return newRecordingServer(t, tokenserver.Options{
		Clients: []tokenserver.Client{{
			ID: "relatics-client", Secret: testSecret, Auth: tokenserver.AuthBasic, Scopes: []string{"DataExchange"},
		}},
		ExpiresIn:   600,
		ExtraFields: map[string]any{"not-before-policy": 1696859419, "refresh_expires_in": 0},
	})
}

func providerBlock(tokenURL string) string {
	return fmt.Sprintf(`
provider "oauth2" {
  token_url     = %[1]q
  client_id     = "relatics-client"
  client_secret = %[2]q
}
`, tokenURL, testSecret)
}

func TestAccProvider_fromEnvironment(t *testing.T) {
	srv := basicServer(t)
	t.Setenv("OAUTH2_TOKEN_URL", srv.URL)
	t.Setenv("OAUTH2_CLIENT_ID", "relatics-client")
	t.Setenv("OAUTH2_CLIENT_SECRET", testSecret)
	t.Setenv("OAUTH2_CLIENT_AUTH", "client_secret_basic")

	unitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories(),
		Steps: []resource.TestStep{{
			Config: `
provider "oauth2" {}

data "oauth2_token" "test" {}

output "scope" {
  value = data.oauth2_token.test.scope
}
`,
			Check: resource.TestCheckOutput("scope", "DataExchange"),
		}},
	})
}

func TestAccProvider_configWinsOverEnvironment(t *testing.T) {
	srv := basicServer(t)
	t.Setenv("OAUTH2_TOKEN_URL", "http://127.0.0.1:1/wrong")
	t.Setenv("OAUTH2_CLIENT_SECRET", "wrong-secret")

	unitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories(),
		Steps: []resource.TestStep{{
			Config: providerBlock(srv.URL) + `data "oauth2_token" "test" {}`,
			Check:  resource.TestCheckResourceAttr("data.oauth2_token.test", "token_type", "Bearer"),
		}},
	})
}

func TestAccProvider_validation(t *testing.T) {
	t.Setenv("OAUTH2_TOKEN_URL", "")
	os.Unsetenv("OAUTH2_TOKEN_URL")
	cases := map[string]struct {
		config string
		want   string
	}{
		"missing token_url": {
			`provider "oauth2" {}`,
			`Missing Token URL[\s\S]*OAUTH2_TOKEN_URL`,
		},
		"relative token_url": {
			`provider "oauth2" {
  token_url = "auth.example.com/token"
}`,
			`Invalid URL[\s\S]*absolute URL`,
		},
		"unknown client_auth": {
			`provider "oauth2" {
  token_url     = "https://auth.example.com/token"
  client_id     = "id"
  client_secret = "secret"
  client_auth   = "client_secret_jwt_typo"
}`,
			`client_auth[\s\S]*client_secret_basic`,
		},
		"secret method without a secret": {
			`provider "oauth2" {
  token_url   = "https://auth.example.com/token"
  client_id   = "id"
  client_auth = "client_secret_post"
}`,
			`Missing Client Secret[\s\S]*client_secret_post`,
		},
		"unknown params_in": {
			`provider "oauth2" {
  token_url = "https://auth.example.com/token"
  params_in = "header"
}`,
			`params_in[\s\S]*"body"`,
		},
		"bad timeout": {
			`provider "oauth2" {
  token_url = "https://auth.example.com/token"
  timeout   = "30"
}`,
			`Invalid Duration[\s\S]*30s`,
		},
		"reserved extra param": {
			`provider "oauth2" {
  token_url    = "https://auth.example.com/token"
  extra_params = { grant_type = "password" }
}`,
			`extra_params cannot set[\s\S]*grant_type`,
		},
		"authorization header with basic": {
			`provider "oauth2" {
  token_url     = "https://auth.example.com/token"
  client_id     = "id"
  client_secret = "secret"
  headers       = { Authorization = "Basic abc" }
}`,
			`Header Not Allowed[\s\S]*client_secret_basic`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			unitTest(t, resource.TestCase{
				ProtoV6ProviderFactories: protoV6ProviderFactories(),
				Steps: []resource.TestStep{{
					Config:      tc.config + "\ndata \"oauth2_token\" \"test\" {}\n",
					ExpectError: regexp.MustCompile(tc.want),
				}},
			})
		})
	}
}

// Caching is the point of this test, so it counts requests, comparing
// configurations under the same harness rather than asserting a number the
// harness's repeated plans would decide: ten identical tokens cost what one
// costs, and cache = false makes each its own request.
func TestAccProvider_cacheSharesIdenticalTokens(t *testing.T) {
	count := func(n int, cache string) int {
		srv := basicServer(t)
		var blocks strings.Builder
		for i := range n {
			fmt.Fprintf(&blocks, "data \"oauth2_token\" \"t%d\" {\n  scopes = [\"DataExchange\"]\n}\n", i)
		}
		unitTest(t, resource.TestCase{
			ProtoV6ProviderFactories: protoV6ProviderFactoriesWithClock(time.Now),
			Steps: []resource.TestStep{{
				Config: fmt.Sprintf(`
provider "oauth2" {
  token_url     = %[1]q
  client_id     = "relatics-client"
  client_secret = %[2]q
  %[3]s
}
`, srv.URL, testSecret, cache) + blocks.String(),
			}},
		})
		return srv.TokenRequests()
	}
	one := count(1, "")
	if one == 0 {
		t.Fatal("no token requests at all")
	}
	if ten := count(10, ""); ten != one {
		t.Errorf("10 identical tokens made %d requests, 1 token made %d: want the same", ten, one)
	}
	if ten := count(10, "cache = false"); ten != 10*one {
		t.Errorf("with cache = false, 10 tokens made %d requests, want %d", ten, 10*one)
	}
}

func TestAccProvider_minValidityLongerThanToken(t *testing.T) {
	srv := basicServer(t) // issues 600s tokens
	unitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactoriesWithClock(time.Now),
		Steps: []resource.TestStep{{
			Config: providerBlock(srv.URL) + `
data "oauth2_token" "test" {
  min_validity = "15m"
}
`,
			ExpectError: regexp.MustCompile(`Token Lives Shorter Than min_validity[\s\S]*10m0s[\s\S]*15m0s`),
		}},
	})
}

func TestAccProvider_retryBlock(t *testing.T) {
	tokens := basicServer(t)
	var calls atomic.Int32
	// Every first request of a pair fails with 503; the retry succeeds.
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1)%2 == 1 {
			w.Header().Set("Retry-After", "0")
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		forward(w, r, tokens.URL)
	}))
	t.Cleanup(flaky.Close)
	unitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config: fmt.Sprintf(`
provider "oauth2" {
  token_url     = %[1]q
  client_id     = "relatics-client"
  client_secret = %[2]q
  retry {
    attempts  = 1
  }
}

data "oauth2_token" "test" {}
`, flaky.URL, testSecret),
				ExpectError: regexp.MustCompile(`503 Service Unavailable`),
			},
			{
				Config: fmt.Sprintf(`
provider "oauth2" {
  token_url     = %[1]q
  client_id     = "relatics-client"
  client_secret = %[2]q
  retry {
    attempts  = 2
    min_delay = "1ms"
    max_delay = "10ms"
  }
}

data "oauth2_token" "test" {}
`, flaky.URL, testSecret),
				Check: resource.TestCheckResourceAttr("data.oauth2_token.test", "token_type", "Bearer"),
			},
		},
	})
}

func TestAccProvider_proxyURL(t *testing.T) {
	tokens := basicServer(t)
	var proxied atomic.Int32
	// A forward proxy for plain http: it receives absolute-form requests.
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxied.Add(1)
		forward(w, r, tokens.URL)
	}))
	t.Cleanup(proxy.Close)
	unitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories(),
		Steps: []resource.TestStep{{
			// .invalid names never resolve (RFC 6761): only the proxy can
			// answer. Plain http:// through a proxy needs allow_insecure_http.
			Config: fmt.Sprintf(`
provider "oauth2" {
  token_url           = "http://token.invalid/token"
  client_id           = "relatics-client"
  client_secret       = %[2]q
  proxy_url           = %[1]q
  allow_insecure_http = true
}

data "oauth2_token" "test" {}
`, proxy.URL, testSecret),
			Check: func(*terraform.State) error {
				if proxied.Load() == 0 {
					return fmt.Errorf("the token request did not go through proxy_url")
				}
				return nil
			},
		}},
	})
}

// A loopback token endpoint is never reached through a proxy: a proxy on
// another host would carry the plain http:// request, Basic header and all,
// across the network.
func TestAccProvider_loopbackBypassesProxy(t *testing.T) {
	tokens := basicServer(t)
	var proxied atomic.Int32
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxied.Add(1)
		http.Error(w, "the proxy must not be used", http.StatusBadGateway)
	}))
	t.Cleanup(proxy.Close)
	t.Setenv("HTTP_PROXY", proxy.URL)
	unitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories(),
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
provider "oauth2" {
  token_url     = %[1]q
  client_id     = "relatics-client"
  client_secret = %[3]q
  proxy_url     = %[2]q
}

data "oauth2_token" "test" {}
`, strings.Replace(tokens.URL, "127.0.0.1", "localhost", 1), proxy.URL, testSecret),
			Check: func(*terraform.State) error {
				if n := proxied.Load(); n != 0 {
					return fmt.Errorf("%d requests to a loopback token endpoint went through the proxy", n)
				}
				return nil
			},
		}},
	})
}

func TestAccProvider_insecureHTTPRefused(t *testing.T) {
	unitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories(),
		Steps: []resource.TestStep{{
			Config: `
provider "oauth2" {
  token_url     = "http://auth.example.com/token"
  client_id     = "id"
  client_secret = "secret"
}

data "oauth2_token" "test" {}
`,
			ExpectError: regexp.MustCompile(`Insecure URL[\s\S]*allow_insecure_http`),
		}},
	})
}

// forward relays r to target and its answer back to w, as a proxy would.
func forward(w http.ResponseWriter, r *http.Request, target string) {
	r2, err := http.NewRequestWithContext(r.Context(), r.Method, target, r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	r2.Header = r.Header
	resp, err := http.DefaultClient.Do(r2)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

// A provider setting that is known only after apply, even one element of a
// list, stops a plan-time token instead of requesting a different one.
func TestAccProvider_unknownElementIsNotDropped(t *testing.T) {
	srv := basicServer(t)
	unitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories(),
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
resource "terraform_data" "later" {
  input = "DataExchange"
}

provider "oauth2" {
  token_url     = %[1]q
  client_id     = "relatics-client"
  client_secret = %[2]q
  scopes        = ["openid", terraform_data.later.output]
}

data "oauth2_token" "test" {}
`, srv.URL, testSecret),
			ExpectError: regexp.MustCompile(`Provider Configuration Not Known Yet[\s\S]*scopes`),
		}},
	})
	if n := srv.TokenRequests(); n != 0 {
		t.Errorf("%d tokens were requested with half-known scopes", n)
	}
}

// An ephemeral oauth2_token never shares a token with a data source (which
// writes its token to the state), in either order, while tokens of one
// kind still share. Requests are counted per whole test case, since the
// harness plans and applies several times; the comparison between cases is
// the point.
func TestAccProvider_cacheKeepsKindsApart(t *testing.T) {
	count := func(ephemerals, dataSources int) int {
		srv := basicServer(t)
		var blocks strings.Builder
		for i := range ephemerals {
			fmt.Fprintf(&blocks, "ephemeral \"oauth2_token\" \"e%d\" {\n  scopes = [\"DataExchange\"]\n}\n", i)
		}
		for i := range dataSources {
			fmt.Fprintf(&blocks, "data \"oauth2_token\" \"d%d\" {\n  scopes = [\"DataExchange\"]\n}\n", i)
		}
		ephemeralUnitTest(t, resource.TestCase{
			TerraformVersionChecks:   ephemeralVersions,
			ProtoV6ProviderFactories: protoV6ProviderFactoriesWithClock(time.Now),
			Steps:                    []resource.TestStep{{Config: providerBlock(srv.URL) + blocks.String()}},
		})
		return srv.TokenRequests()
	}
	onlyEphemeral, onlyData := count(1, 0), count(0, 1)
	if onlyEphemeral == 0 || onlyData == 0 {
		t.Fatalf("no token requests: %d for an ephemeral token, %d for a data source", onlyEphemeral, onlyData)
	}
	if both := count(1, 1); both != onlyEphemeral+onlyData {
		t.Errorf("an ephemeral token and an identical data source made %d requests; apart they make %d and %d: "+
			"want them not to share", both, onlyEphemeral, onlyData)
	}
	if many := count(3, 3); many != onlyEphemeral+onlyData {
		t.Errorf("3 identical ephemeral tokens and 3 identical data sources made %d requests, want %d: each kind "+
			"shares its own", many, onlyEphemeral+onlyData)
	}
}

// A configuration that names no client at all fails before anything is
// sent, naming client_id and its environment variable.
func TestAccProvider_noClientIdentity(t *testing.T) {
	srv := basicServer(t)
	unitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories(),
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
provider "oauth2" {
  token_url = %q
}

data "oauth2_token" "test" {}
`, srv.URL),
			ExpectError: regexp.MustCompile(`Missing Client Identity[\s\S]*client_id[\s\S]*OAUTH2_CLIENT_ID`),
		}},
	})
	if n := srv.TokenRequests(); n != 0 {
		t.Errorf("%d token requests were sent without a client identity", n)
	}
}

// A token's own ready-made Authorization header is a client identity.
func TestAccProvider_tokenAuthorizationHeaderIsAnIdentity(t *testing.T) {
	srv := basicServer(t)
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape("relatics-client")+":"+url.QueryEscape(testSecret)))
	unitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories(),
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
provider "oauth2" {
  token_url = %q
}

data "oauth2_token" "test" {
  headers = {
    Authorization = %q
  }
}
`, srv.URL, basic),
		}},
	})
	if srv.TokenRequests() == 0 {
		t.Error("no token request was sent")
	}
}
