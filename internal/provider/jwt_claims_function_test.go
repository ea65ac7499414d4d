package provider

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/tokenserver"
)

// A Keycloak-like access token's claims: exp as a plain integer, aud as a
// string, nested objects, a namespaced claim, an integer too large for
// float64 or int64, and every other JSON kind.
const jwtTestClaims = `{
  "iss": "https://auth.example.com/realms/main",
  "sub": "relatics-client",
  "aud": "api://relatics",
  "exp": 1795435200,
  "iat": 1795431600,
  "scope": "DataExchange",
  "serial": 12345678901234567890123,
  "ratio": 0.25,
  "email_verified": true,
  "nickname": null,
  "roles": ["reader", "writer"],
  "realm_access": {"roles": ["offline_access", "uma_authorization"], "meta": {"level": 2}},
  "https://example.com/tenant": "acme"
}`

// jwtSegment base64url-encodes one segment, as RFC 7515 section 2 says:
// no padding.
func jwtSegment(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// jwtTestToken builds a signed-looking JWT. Its signature is not a signature of
// anything: jwt_claims must decode it all the same.
func jwtTestToken(payload string) string {
	return jwtSegment(`{"alg":"RS256","typ":"JWT","kid":"test"}`) + "." + jwtSegment(payload) + "." +
		jwtSegment("not a real signature")
}

func TestDecodeJWTClaims(t *testing.T) {
	claims, problem := decodeJWTClaims(jwtTestToken(jwtTestClaims))
	if problem != "" {
		t.Fatalf("decodeJWTClaims: %s", problem)
	}
	if got := claims["exp"]; got != json.Number("1795435200") {
		t.Errorf("exp = %#v, want json.Number 1795435200", got)
	}
	if got := claims["serial"]; got != json.Number("12345678901234567890123") {
		t.Errorf("serial = %#v, want the exact digits", got)
	}
	realm, _ := claims["realm_access"].(map[string]any)
	if roles, _ := realm["roles"].([]any); len(roles) != 2 {
		t.Errorf("realm_access = %#v, want an object with two roles", claims["realm_access"])
	}

	// An unsecured JWT (RFC 7519 section 6) has alg none and an empty
	// signature segment; padding, which some issuers add, is tolerated.
	for name, token := range map[string]string{
		"unsecured": jwtSegment(`{"alg":"none"}`) + "." + jwtSegment(`{"sub":"x"}`) + ".",
		"padded":    base64.URLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." + base64.URLEncoding.EncodeToString([]byte(`{"sub":"x"}`)) + ".",
		"empty":     jwtSegment(`{"alg":"none"}`) + "." + jwtSegment(`{}`) + ".",
	} {
		if _, problem := decodeJWTClaims(token); problem != "" {
			t.Errorf("%s: %s", name, problem)
		}
	}
}

func TestDecodeJWTClaims_problems(t *testing.T) {
	header := jwtSegment(`{"alg":"RS256"}`)
	sig := jwtSegment("signature")
	cases := map[string]struct {
		token string
		want  string
	}{
		"empty":                 {"", `empty string`},
		"authorization header":  {"Bearer " + jwtTestToken(jwtTestClaims), `"Bearer" authorization scheme.*not authorization_header`},
		"lower-case bearer":     {"bearer " + jwtTestToken(jwtTestClaims), `"Bearer" authorization scheme`},
		"dpop header":           {"DPoP " + jwtTestToken(jwtTestClaims), `"DPoP" authorization scheme`},
		"trailing newline":      {jwtTestToken(jwtTestClaims) + "\n", `whitespace \(at byte \d+\).*trimspace\(\)`},
		"opaque":                {"2YotnFZFEjr1zCsicMWpAA", `one segment.*opaque tokens`},
		"two segments":          {header + "." + jwtSegment(`{"sub":"x"}`), `has 2 dot-separated segments; a signed JWT has three`},
		"four segments":         {header + ".a.b.c", `has 4 dot-separated segments`},
		"jwe":                   {header + ".a.b.c.d", `encrypted JWT \(JWE.*cannot be decoded`},
		"header not base64url":  {"*." + jwtSegment(`{}`) + "." + sig, `Segment 1 of the token \(the header\) is not valid base64url.*byte 0`},
		"payload not base64url": {header + ".e30!." + sig, `Segment 2 of the token \(the payload\) is not valid base64url.*byte 3`},
		"standard base64":       {header + "." + sig + "." + "ab+/", `Segment 3 of the token \(the signature\).*'\+' or '/'`},
		"header not JSON":       {jwtSegment("alg=RS256") + "." + jwtSegment(`{}`) + "." + sig, `Segment 1.*not a JWT header.*not valid JSON \(syntax error at byte 1\)`},
		"empty header":          {"." + jwtSegment(`{}`) + "." + sig, `Segment 1.*not a JWT header.*it is empty`},
		"payload not JSON":      {header + "." + jwtSegment("hello") + "." + sig, `Segment 2.*not a JWT claims set.*not valid JSON`},
		"payload an array":      {header + "." + jwtSegment(`["a"]`) + "." + sig, `Segment 2.*JSON array, not an object`},
		"payload a string":      {header + "." + jwtSegment(`"x"`) + "." + sig, `JSON string, not an object`},
		"payload truncated":     {header + "." + jwtSegment(`{"sub":"x"`) + "." + sig, `Segment 2.*JSON ends too early`},
		"trailing data":         {header + "." + jwtSegment(`{"sub":"x"} {}`) + "." + sig, `Segment 2.*more data after the JSON value`},
		"empty payload":         {header + ".." + sig, `Segment 2.*it is empty`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			claims, problem := decodeJWTClaims(tc.token)
			if claims != nil {
				t.Errorf("claims = %v, want nil", claims)
			}
			if !regexp.MustCompile(tc.want).MatchString(problem) {
				t.Errorf("problem = %q, want a match for %s", problem, tc.want)
			}
			if strings.HasSuffix(problem, ".") {
				t.Errorf("problem %q ends with a period; Terraform adds one", problem)
			}
			// The token, and each of its non-trivial segments, must never
			// be echoed back.
			for _, part := range append([]string{strings.TrimSpace(tc.token)}, strings.Split(tc.token, ".")...) {
				if len(part) > 4 && strings.Contains(problem, part) {
					t.Errorf("problem %q echoes part of the token (%q)", problem, part)
				}
			}
		})
	}
}

func TestJSONToValue(t *testing.T) {
	ctx := context.Background()
	claims, problem := decodeJWTClaims(jwtTestToken(`{"exp":1795435200,"serial":12345678901234567890123,"ratio":0.25,` +
		`"nickname":null,"mixed":[1,"a",true,null,{}],"nested":{"a":{"b":[]}}}`))
	if problem != "" {
		t.Fatal(problem)
	}
	v, err := jsonToValue(ctx, claims)
	if err != nil {
		t.Fatal(err)
	}
	obj, ok := v.(types.Object)
	if !ok {
		t.Fatalf("got %T, want types.Object", v)
	}
	attrs := obj.Attributes()
	wantNumber := func(name, digits string) {
		t.Helper()
		n, ok := attrs[name].(types.Number)
		if !ok {
			t.Fatalf("%s is %T, want types.Number", name, attrs[name])
		}
		want, _, _ := big.ParseFloat(digits, 10, 512, big.ToNearestEven)
		if n.ValueBigFloat().Cmp(want) != 0 {
			t.Errorf("%s = %s, want exactly %s", name, n.ValueBigFloat().Text('f', -1), digits)
		}
	}
	wantNumber("exp", "1795435200")
	wantNumber("serial", "12345678901234567890123")
	wantNumber("ratio", "0.25")
	if !attrs["nickname"].IsNull() {
		t.Errorf("nickname = %v, want null", attrs["nickname"])
	}
	mixed, ok := attrs["mixed"].(types.Tuple)
	if !ok {
		t.Fatalf("mixed is %T, want types.Tuple", attrs["mixed"])
	}
	wantTypes := []attr.Type{types.NumberType, types.StringType, types.BoolType, types.DynamicType, types.ObjectType{AttrTypes: map[string]attr.Type{}}}
	for i, want := range wantTypes {
		if got := mixed.ElementTypes(ctx)[i]; !got.Equal(want) {
			t.Errorf("mixed[%d] is %s, want %s", i, got, want)
		}
	}
	if got := fmt.Sprint(attrs["nested"]); got != `{"a":{"b":[]}}` {
		t.Errorf("nested = %s", got)
	}

	if _, err := jsonToValue(ctx, map[string]any{"huge": json.Number("1e99999999999")}); err == nil {
		t.Error("a number beyond big.Float's exponent range: no error")
	}
}

// jwtClaimsOutputs reads every kind of claim through the function.
func jwtClaimsOutputs(token string) string {
	return fmt.Sprintf(`
locals {
  claims = provider::oauth2::jwt_claims(%[1]q)
}

output "exp" {
  value = local.claims.exp
}

output "expires_in_an_hour" {
  value = local.claims.exp - local.claims.iat == 3600
}

output "aud" {
  value = local.claims.aud
}

# aud may be a string or a list (RFC 7519 section 4.1.3); this reads both.
output "for_relatics" {
  value = contains(flatten([local.claims.aud]), "api://relatics")
}

output "roles" {
  value = local.claims.roles
}

output "realm_roles" {
  value = local.claims.realm_access.roles
}

output "level" {
  value = local.claims.realm_access.meta.level
}

output "tenant" {
  value = local.claims["https://example.com/tenant"]
}

output "serial" {
  value = local.claims.serial
}

output "ratio" {
  value = local.claims.ratio
}

output "email_verified" {
  value = local.claims.email_verified
}

# Outputs that are null are left out of the state, so compare instead.
output "nickname_is_null" {
  value = local.claims.nickname == null
}

output "no_azp" {
  value = try(local.claims.azp, null) == null && lookup(local.claims, "azp", "none") == "none"
}
`, token)
}

func TestAccJWTClaimsFunction_claims(t *testing.T) {
	serial, _, _ := big.ParseFloat("12345678901234567890123", 10, 512, big.ToNearestEven)
	audList := strings.Replace(jwtTestClaims, `"aud": "api://relatics"`, `"aud": ["api://relatics", "account"]`, 1)
	unitTest(t, resource.TestCase{
		TerraformVersionChecks:   functionVersions,
		ProtoV6ProviderFactories: protoV6ProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config: jwtClaimsOutputs(jwtTestToken(jwtTestClaims)),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("exp", knownvalue.Int64Exact(1795435200)),
					statecheck.ExpectKnownOutputValue("expires_in_an_hour", knownvalue.Bool(true)),
					statecheck.ExpectKnownOutputValue("aud", knownvalue.StringExact("api://relatics")),
					statecheck.ExpectKnownOutputValue("for_relatics", knownvalue.Bool(true)),
					statecheck.ExpectKnownOutputValue("roles", knownvalue.TupleExact([]knownvalue.Check{
						knownvalue.StringExact("reader"), knownvalue.StringExact("writer"),
					})),
					statecheck.ExpectKnownOutputValue("realm_roles", knownvalue.TupleExact([]knownvalue.Check{
						knownvalue.StringExact("offline_access"), knownvalue.StringExact("uma_authorization"),
					})),
					statecheck.ExpectKnownOutputValue("level", knownvalue.Int64Exact(2)),
					statecheck.ExpectKnownOutputValue("tenant", knownvalue.StringExact("acme")),
					statecheck.ExpectKnownOutputValue("serial", knownvalue.NumberExact(serial)),
					statecheck.ExpectKnownOutputValue("ratio", knownvalue.Float64Exact(0.25)),
					statecheck.ExpectKnownOutputValue("email_verified", knownvalue.Bool(true)),
					statecheck.ExpectKnownOutputValue("nickname_is_null", knownvalue.Bool(true)),
					statecheck.ExpectKnownOutputValue("no_azp", knownvalue.Bool(true)),
				},
			},
			{
				Config: jwtClaimsOutputs(jwtTestToken(audList)),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("aud", knownvalue.TupleExact([]knownvalue.Check{
						knownvalue.StringExact("api://relatics"), knownvalue.StringExact("account"),
					})),
					statecheck.ExpectKnownOutputValue("for_relatics", knownvalue.Bool(true)),
				},
			},
		},
	})
}

func TestAccJWTClaimsFunction_unsecured(t *testing.T) {
	token := jwtSegment(`{"alg":"none"}`) + "." + jwtSegment(`{"sub":"jane","exp":1795435200}`) + "."
	unitTest(t, resource.TestCase{
		TerraformVersionChecks:   functionVersions,
		ProtoV6ProviderFactories: protoV6ProviderFactories(),
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
output "claims" {
  value = provider::oauth2::jwt_claims(%[1]q)
}
`, token),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownOutputValue("claims", knownvalue.ObjectExact(map[string]knownvalue.Check{
					"sub": knownvalue.StringExact("jane"),
					"exp": knownvalue.Int64Exact(1795435200),
				})),
			},
		}},
	})
}

func TestAccJWTClaimsFunction_errors(t *testing.T) {
	header := jwtSegment(`{"alg":"RS256"}`)
	sig := jwtSegment("signature")
	// Spaces in want match any whitespace, since Terraform wraps lines.
	cases := map[string]struct {
		token string // an HCL expression
		want  string
	}{
		"empty":                {`""`, `token is an empty string`},
		"authorization header": {fmt.Sprintf("%q", "Bearer "+jwtTestToken(jwtTestClaims)), `"Bearer" authorization scheme[\s\S]*access_token`},
		"whitespace":           {fmt.Sprintf("%q", jwtTestToken(jwtTestClaims)+"\n"), `contains whitespace[\s\S]*trimspace\(\)`},
		"opaque":               {`"2YotnFZFEjr1zCsicMWpAA"`, `one segment[\s\S]*opaque tokens`},
		"wrong segment count":  {fmt.Sprintf("%q", header+"."+sig), `has 2 dot-separated segments`},
		"jwe":                  {fmt.Sprintf("%q", header+".a.b.c.d"), `encrypted JWT[\s\S]*cannot be decoded`},
		"bad base64url":        {fmt.Sprintf("%q", header+".e30!."+sig), `Segment 2 of the token \(the payload\) is not valid base64url`},
		"payload not object":   {fmt.Sprintf("%q", header+"."+jwtSegment(`["a"]`)+"."+sig), `not a JWT claims set[\s\S]*JSON array, not an object`},
		"null":                 {`null`, `"token" parameter: argument must not be null`},
		"number overflow":      {fmt.Sprintf("%q", header+"."+jwtSegment(`{"exp":1e999999999}`)+"."+sig), `out of range: it overflows`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			unitTest(t, resource.TestCase{
				TerraformVersionChecks:   functionVersions,
				ProtoV6ProviderFactories: protoV6ProviderFactories(),
				Steps: []resource.TestStep{{
					Config: fmt.Sprintf(`
output "claims" {
  value = provider::oauth2::jwt_claims(%s)
}
`, tc.token),
					ExpectError: regexp.MustCompile(strings.ReplaceAll(tc.want, " ", `\s+`)),
				}},
			})
		})
	}
}

// jwtClaimsServer issues jwtTestClaims as a JWT access token.
func jwtClaimsServer(t *testing.T) *recordingServer {
	return newRecordingServer(t, tokenserver.Options{
		Clients: []tokenserver.Client{{
			ID: "relatics-client", Secret: testSecret, Auth: tokenserver.AuthBasic,
		}},
		ExtraFields: map[string]any{"access_token": jwtTestToken(jwtTestClaims)},
	})
}

// The claims of an ephemeral token are ephemeral: Terraform refuses them in
// a root module output, while a local, a check block and a provider block
// (the echo provider's) take them, as in the docs example. The failing step
// comes first, because the harness destroys with the last step's config.
//
// The example checks the audience in a check block, not in a postcondition
// on the ephemeral resource: Terraform 1.11.4 crashes in `terraform show
// -json` ("unsupported resource mode") on check results of an ephemeral
// resource, and the harness runs that command after every apply.
func TestAccJWTClaimsFunction_ephemeral(t *testing.T) {
	srv := jwtClaimsServer(t)
	ephemeralUnitTest(t, resource.TestCase{
		TerraformVersionChecks:   ephemeralFunctionVersions,
		ProtoV6ProviderFactories: protoV6ProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config: providerBlock(srv.URL) + `
ephemeral "oauth2_token" "test" {}

output "exp" {
  value = provider::oauth2::jwt_claims(ephemeral.oauth2_token.test.access_token).exp
}
`,
				ExpectError: regexp.MustCompile(`Ephemeral\s+value\s+not\s+allowed|Output\s+does\s+not\s+allow\s+ephemeral\s+value`),
			},
			{
				Config: providerBlock(srv.URL) + `
ephemeral "oauth2_token" "test" {}

locals {
  claims = provider::oauth2::jwt_claims(ephemeral.oauth2_token.test.access_token)
}

check "audience" {
  assert {
    condition     = contains(flatten([local.claims.aud]), "api://relatics")
    error_message = "The token is not for api://relatics."
  }
}

provider "echo" {
  data = local.claims.roles
}

resource "echo" "test" {}
`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("echo.test", tfjsonpath.New("data"), knownvalue.TupleExact([]knownvalue.Check{
						knownvalue.StringExact("reader"), knownvalue.StringExact("writer"),
					})),
				},
			},
		},
	})
}

// A token from a sensitive attribute gives sensitive claims; nonsensitive()
// releases one claim that is safe to show.
func TestAccJWTClaimsFunction_sensitive(t *testing.T) {
	srv := jwtClaimsServer(t)
	unitTest(t, resource.TestCase{
		TerraformVersionChecks:   functionVersions,
		ProtoV6ProviderFactories: protoV6ProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config: providerBlock(srv.URL) + `
data "oauth2_token" "test" {}

output "exp" {
  value = provider::oauth2::jwt_claims(data.oauth2_token.test.access_token).exp
}
`,
				ExpectError: regexp.MustCompile(`(?i)output\s+refers\s+to\s+sensitive\s+values`),
			},
			{
				Config: providerBlock(srv.URL) + `
data "oauth2_token" "test" {}

output "exp" {
  value = nonsensitive(provider::oauth2::jwt_claims(data.oauth2_token.test.access_token).exp)
}
`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("exp", knownvalue.Int64Exact(1795435200)),
				},
			},
		},
	})
}
