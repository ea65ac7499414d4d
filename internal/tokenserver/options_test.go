package tokenserver

import "testing"

// TestRequiredParamsFor: Reltio wants idp_system on the password grant,
// not on the refresh token grant that follows it.
func TestRequiredParamsFor(t *testing.T) {
	_, base := newTestServer(t, Options{
		Clients:           testClients(),
		Users:             []User{{Username: "alice", Password: "pw"}},
		RefreshTokens:     true,
		RequiredParams:    map[string]string{"idp_system": "salesforce"},
		RequiredParamsFor: []string{"password"},
	})
	auth := basic(basicID, basicSecret)
	password := func(kv ...string) resp {
		return do(t, base, req{body: form(append([]string{"grant_type", "password", "username", "alice", "password", "pw"}, kv...)...), auth: auth})
	}
	check(t, password(), want{status: 400, err: "invalid_request", description: "missing parameter idp_system"})
	check(t, password("idp_system", "okta"), want{status: 400, err: "invalid_request", description: "invalid value for parameter idp_system"})
	r := password("idp_system", "salesforce")
	check(t, r, want{})
	check(t, do(t, base, req{body: form("grant_type", "refresh_token", "refresh_token", r.str("refresh_token")), auth: auth}), want{})
	check(t, do(t, base, req{body: form("grant_type", "client_credentials"), auth: auth}), want{})
}
