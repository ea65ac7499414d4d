package oauth2client

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
)

// metadataServer answers the paths in docs (a document, a status code or a
// handler) and 404 elsewhere, recording every path asked for.
type metadataServer struct {
	URL string

	mu     sync.Mutex
	paths  []string
	accept []string
}

func newMetadataServer(t *testing.T, routes func(base string) map[string]any) *metadataServer {
	t.Helper()
	ms := &metadataServer{}
	var docs map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ms.mu.Lock()
		ms.paths = append(ms.paths, r.URL.Path)
		ms.accept = append(ms.accept, r.Header.Get("Accept"))
		ms.mu.Unlock()
		if r.Method != http.MethodGet {
			t.Errorf("%s %s, want GET", r.Method, r.URL.Path)
		}
		switch d := docs[r.URL.Path].(type) {
		case nil:
			http.NotFound(w, r)
		case int:
			w.WriteHeader(d)
		case http.HandlerFunc:
			d(w, r)
		case string:
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(d))
		default:
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(d)
		}
	}))
	t.Cleanup(srv.Close)
	ms.URL = srv.URL
	docs = routes(srv.URL)
	return ms
}

func (ms *metadataServer) requests() []string {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return slices.Clone(ms.paths)
}

func metadataDoc(issuer string) map[string]any {
	return map[string]any{
		"issuer":                                issuer,
		"token_endpoint":                        issuer + "/protocol/openid-connect/token",
		"revocation_endpoint":                   issuer + "/protocol/openid-connect/revoke",
		"introspection_endpoint":                issuer + "/protocol/openid-connect/token/introspect",
		"token_endpoint_auth_methods_supported": []string{"private_key_jwt", "client_secret_basic", "client_secret_post"},
		"grant_types_supported":                 []string{"client_credentials", "password", "refresh_token"},
		"jwks_uri":                              issuer + "/certs",
		"claims_supported":                      []string{"sub"},
	}
}

func TestDiscover_openIDConfiguration(t *testing.T) {
	ms := newMetadataServer(t, func(base string) map[string]any {
		return map[string]any{"/realms/x/.well-known/openid-configuration": metadataDoc(base + "/realms/x")}
	})
	issuer := ms.URL + "/realms/x"
	md, err := newTestClient().Discover(t.Context(), issuer)
	if err != nil {
		t.Fatal(err)
	}
	want := Metadata{
		Issuer:                            issuer,
		TokenEndpoint:                     issuer + "/protocol/openid-connect/token",
		RevocationEndpoint:                issuer + "/protocol/openid-connect/revoke",
		IntrospectionEndpoint:             issuer + "/protocol/openid-connect/token/introspect",
		TokenEndpointAuthMethodsSupported: []string{"private_key_jwt", "client_secret_basic", "client_secret_post"},
		GrantTypesSupported:               []string{"client_credentials", "password", "refresh_token"},
		Source:                            issuer + "/.well-known/openid-configuration",
	}
	if md.Issuer != want.Issuer || md.TokenEndpoint != want.TokenEndpoint || md.RevocationEndpoint != want.RevocationEndpoint ||
		md.IntrospectionEndpoint != want.IntrospectionEndpoint || md.Source != want.Source ||
		!slices.Equal(md.TokenEndpointAuthMethodsSupported, want.TokenEndpointAuthMethodsSupported) ||
		!slices.Equal(md.GrantTypesSupported, want.GrantTypesSupported) {
		t.Errorf("got %+v\nwant %+v", *md, want)
	}
	if got := ms.requests(); !slices.Equal(got, []string{"/realms/x/.well-known/openid-configuration"}) {
		t.Errorf("requests %v, want the OpenID Connect URL only", got)
	}
	if ms.accept[0] != "application/json" {
		t.Errorf("Accept = %q", ms.accept[0])
	}
}

func TestDiscover_trailingSlashIssuer(t *testing.T) {
	// Auth0 style: the issuer ends with "/", which is removed before the
	// well-known suffix is appended, and compared exactly.
	ms := newMetadataServer(t, func(base string) map[string]any {
		doc := metadataDoc(base + "/")
		doc["token_endpoint"] = base + "/oauth/token"
		return map[string]any{"/.well-known/openid-configuration": doc}
	})
	md, err := newTestClient().Discover(t.Context(), ms.URL+"/")
	if err != nil {
		t.Fatal(err)
	}
	if md.TokenEndpoint != ms.URL+"/oauth/token" || md.Source != ms.URL+"/.well-known/openid-configuration" {
		t.Errorf("got %+v", *md)
	}
}

func TestDiscover_fallsBackToRFC8414(t *testing.T) {
	ms := newMetadataServer(t, func(base string) map[string]any {
		doc := metadataDoc(base + "/realms/x")
		delete(doc, "token_endpoint_auth_methods_supported")
		return map[string]any{"/.well-known/oauth-authorization-server/realms/x": doc}
	})
	issuer := ms.URL + "/realms/x"
	md, err := newTestClient().Discover(t.Context(), issuer)
	if err != nil {
		t.Fatal(err)
	}
	if md.Source != ms.URL+"/.well-known/oauth-authorization-server/realms/x" || md.TokenEndpoint == "" ||
		md.TokenEndpointAuthMethodsSupported != nil {
		t.Errorf("got %+v", *md)
	}
	want := []string{"/realms/x/.well-known/openid-configuration", "/.well-known/oauth-authorization-server/realms/x"}
	if got := ms.requests(); !slices.Equal(got, want) {
		t.Errorf("requests %v, want %v", got, want)
	}
}

func TestDiscover_suffixVariantAfterHTMLPage(t *testing.T) {
	// A single-page app answering every path with its index page, and a
	// server that appends RFC 8414's suffix the OpenID Connect way.
	ms := newMetadataServer(t, func(base string) map[string]any {
		return map[string]any{
			"/oauth2/default/.well-known/openid-configuration": http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				_, _ = w.Write([]byte("<!DOCTYPE html><title>Console</title>"))
			}),
			"/.well-known/oauth-authorization-server/oauth2/default": http.StatusForbidden,
			"/oauth2/default/.well-known/oauth-authorization-server": metadataDoc(base + "/oauth2/default"),
		}
	})
	md, err := newTestClient().Discover(t.Context(), ms.URL+"/oauth2/default")
	if err != nil {
		t.Fatal(err)
	}
	if md.Source != ms.URL+"/oauth2/default/.well-known/oauth-authorization-server" {
		t.Errorf("source %s", md.Source)
	}
	if n := len(ms.requests()); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
}

func TestDiscoveryURLs(t *testing.T) {
	for issuer, want := range map[string][]string{
		"https://h":  {"https://h/.well-known/openid-configuration", "https://h/.well-known/oauth-authorization-server"},
		"https://h/": {"https://h/.well-known/openid-configuration", "https://h/.well-known/oauth-authorization-server"},
		"https://h:8443/realms/x": {
			"https://h:8443/realms/x/.well-known/openid-configuration",
			"https://h:8443/.well-known/oauth-authorization-server/realms/x",
			"https://h:8443/realms/x/.well-known/oauth-authorization-server",
		},
		"https://h/t/a%2Fb/": {
			"https://h/t/a%2Fb/.well-known/openid-configuration",
			"https://h/.well-known/oauth-authorization-server/t/a%2Fb",
			"https://h/t/a%2Fb/.well-known/oauth-authorization-server",
		},
	} {
		u, err := url.Parse(issuer)
		if err != nil {
			t.Fatal(err)
		}
		if got := discoveryURLs(u); !slices.Equal(got, want) {
			t.Errorf("discoveryURLs(%s) = %v, want %v", issuer, got, want)
		}
	}
}

// assertDiscoveryError checks that err is an *Error of KindDiscovery with
// the problem and every wanted phrase, and returns a copy of it (a value, so
// that a caller ignoring it is not ignoring an error).
func assertDiscoveryError(t *testing.T, err error, problem Problem, want ...string) Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error is %T, want *Error: %v", err, err)
	}
	if e.Kind != KindDiscovery {
		t.Errorf("kind %v, want KindDiscovery", e.Kind)
	}
	if e.Problem != problem {
		t.Errorf("problem %q, want %q:\n%s", e.Problem, problem, err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error text lacks %q:\n%s", w, err)
		}
	}
	return *e
}

func TestDiscover_issuerMismatch(t *testing.T) {
	t.Run("trailing slash", func(t *testing.T) {
		ms := newMetadataServer(t, func(base string) map[string]any {
			return map[string]any{"/realms/x/.well-known/openid-configuration": metadataDoc(base + "/realms/x/")}
		})
		issuer := ms.URL + "/realms/x"
		_, err := newTestClient().Discover(t.Context(), issuer)
		assertDiscoveryError(t, err, DiscoveryIssuerMismatch,
			"Issuer:          "+issuer+"\n", "Document issuer: "+issuer+"/")
		if n := len(ms.requests()); n != 1 {
			t.Errorf("%d requests: a document for another issuer must end the search", n)
		}
	})
	t.Run("another server", func(t *testing.T) {
		ms := newMetadataServer(t, func(string) map[string]any {
			return map[string]any{"/.well-known/openid-configuration": metadataDoc("https://login.example.com")}
		})
		_, err := newTestClient().Discover(t.Context(), ms.URL)
		e := assertDiscoveryError(t, err, DiscoveryIssuerMismatch, ms.URL, "Document issuer: https://login.example.com")
		if e.Found != "https://login.example.com" || e.Document != ms.URL+"/.well-known/openid-configuration" {
			t.Errorf("found %q in %q", e.Found, e.Document)
		}
	})
	t.Run("no issuer", func(t *testing.T) {
		ms := newMetadataServer(t, func(base string) map[string]any {
			return map[string]any{"/.well-known/openid-configuration": map[string]any{"token_endpoint": base + "/token"}}
		})
		_, err := newTestClient().Discover(t.Context(), ms.URL)
		assertDiscoveryError(t, err, DiscoveryIssuerMismatch, "Document issuer: (none)")
	})
}

func TestDiscover_notFoundAnywhere(t *testing.T) {
	ms := newMetadataServer(t, func(string) map[string]any { return nil })
	issuer := ms.URL + "/realms/x"
	_, err := newTestClient().Discover(t.Context(), issuer)
	e := assertDiscoveryError(t, err, DiscoveryNotFound,
		"No authorization server metadata was found",
		"GET "+ms.URL+"/realms/x/.well-known/openid-configuration -> 404 Not Found\n",
		"GET "+ms.URL+"/.well-known/oauth-authorization-server/realms/x -> 404 Not Found\n",
		"GET "+ms.URL+"/realms/x/.well-known/oauth-authorization-server -> 404 Not Found")
	if len(e.Tried) != 3 || e.Tried[0].StatusCode != 404 {
		t.Errorf("attempts %+v", e.Tried)
	}
}

func TestDiscover_malformed(t *testing.T) {
	t.Run("invalid JSON, nothing else found", func(t *testing.T) {
		ms := newMetadataServer(t, func(string) map[string]any {
			return map[string]any{"/.well-known/openid-configuration": `{"issuer": "x", "token_endpoint": }`}
		})
		_, err := newTestClient().Discover(t.Context(), ms.URL)
		e := assertDiscoveryError(t, err, DiscoveryMalformed, "not valid JSON", "invalid character '}'",
			"Document:        "+ms.URL+"/.well-known/openid-configuration",
			"GET "+ms.URL+"/.well-known/oauth-authorization-server -> 404 Not Found")
		if len(e.Tried) != 2 {
			t.Errorf("attempts %+v: invalid JSON must not end the search", e.Tried)
		}
	})
	t.Run("invalid JSON, then a valid document", func(t *testing.T) {
		ms := newMetadataServer(t, func(base string) map[string]any {
			return map[string]any{
				"/.well-known/openid-configuration":       `{"issuer": `,
				"/.well-known/oauth-authorization-server": metadataDoc(base),
			}
		})
		if _, err := newTestClient().Discover(t.Context(), ms.URL); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("member of the wrong type", func(t *testing.T) {
		ms := newMetadataServer(t, func(base string) map[string]any {
			doc := metadataDoc(base)
			doc["token_endpoint_auth_methods_supported"] = "client_secret_basic"
			return map[string]any{"/.well-known/openid-configuration": doc}
		})
		_, err := newTestClient().Discover(t.Context(), ms.URL)
		assertDiscoveryError(t, err, DiscoveryMalformed,
			"token_endpoint_auth_methods_supported is a JSON string, not an array of strings")
	})
	t.Run("larger than 1 MiB", func(t *testing.T) {
		ms := newMetadataServer(t, func(base string) map[string]any {
			doc := metadataDoc(base)
			doc["padding"] = strings.Repeat("x", maxBodyBytes)
			return map[string]any{"/.well-known/openid-configuration": doc}
		})
		_, err := newTestClient().Discover(t.Context(), ms.URL)
		assertDiscoveryError(t, err, DiscoveryMalformed, "200 OK, the response is larger than 1 MiB",
			"Detail:          the response is larger than 1 MiB")
	})
}

func TestDiscover_tokenEndpoint(t *testing.T) {
	for name, tc := range map[string]struct {
		endpoint any
		problem  Problem
		want     string
	}{
		"missing":  {nil, DiscoveryNoTokenEndpoint, "names no token endpoint"},
		"empty":    {"", DiscoveryNoTokenEndpoint, "names no token endpoint"},
		"relative": {"/oauth/token", DiscoveryBadTokenEndpoint, `token_endpoint "/oauth/token"`},
		"ftp":      {"ftp://h/token", DiscoveryBadTokenEndpoint, "https://"},
	} {
		t.Run(name, func(t *testing.T) {
			ms := newMetadataServer(t, func(base string) map[string]any {
				doc := metadataDoc(base)
				if tc.endpoint == nil {
					delete(doc, "token_endpoint")
				} else {
					doc["token_endpoint"] = tc.endpoint
				}
				return map[string]any{"/.well-known/openid-configuration": doc}
			})
			_, err := newTestClient().Discover(t.Context(), ms.URL)
			assertDiscoveryError(t, err, tc.problem, tc.want)
		})
	}
}

func TestDiscover_redirectIsNotFollowed(t *testing.T) {
	var followed bool
	target := serve(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { followed = true }))
	ms := newMetadataServer(t, func(string) map[string]any {
		return map[string]any{"/.well-known/openid-configuration": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target+"/login?next=%2F", http.StatusFound)
		})}
	})
	_, err := newTestClient().Discover(t.Context(), ms.URL)
	if followed {
		t.Error("the redirect was followed")
	}
	e := assertDiscoveryError(t, err, DiscoveryNotFound,
		"GET "+ms.URL+"/.well-known/openid-configuration -> 302 Found, redirect to "+target+"/login?next=%2F (not followed)")
	if e.Tried[0].Location != target+"/login?next=%2F" {
		t.Errorf("location %q", e.Tried[0].Location)
	}
}

func TestDiscover_unreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	issuer := srv.URL + "/realms/x"
	srv.Close()
	_, err := newTestClient().Discover(t.Context(), issuer)
	e := assertDiscoveryError(t, err, DiscoveryUnreachable, "did not answer", "-> no response", "Original Error:",
		"connection refused")
	if len(e.Tried) != 1 {
		t.Errorf("%d attempts: every URL is on the same host, so the first failure must end the search", len(e.Tried))
	}
}

func TestDiscover_invalidIssuer(t *testing.T) {
	for _, issuer := range []string{"auth.example.com", "https://h/x?tenant=1", "https://h/x#top", "https:///x", "ftp://h"} {
		_, err := newTestClient().Discover(t.Context(), issuer)
		e := assertDiscoveryError(t, err, DiscoveryInvalidIssuer, "not a valid issuer identifier")
		if len(e.Tried) != 0 {
			t.Errorf("%s: fetched %+v", issuer, e.Tried)
		}
	}
	if r := CheckIssuerURL("http://127.0.0.1:8080/realms/x"); r != "" {
		t.Errorf("a local http issuer must pass: %s", r)
	}
}

func TestPickClientAuth(t *testing.T) {
	all := []string{"client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "none"}
	for _, tc := range []struct {
		supported   []string
		secret, key bool
		want        string
	}{
		{all, true, false, AuthClientSecretBasic},
		{all, true, true, AuthClientSecretBasic},
		{nil, true, false, AuthClientSecretBasic},
		{[]string{}, true, true, AuthClientSecretBasic},
		{[]string{"client_secret_post", "private_key_jwt"}, true, false, AuthClientSecretPost},
		{[]string{"private_key_jwt", "client_secret_jwt"}, true, true, "private_key_jwt"},
		{[]string{"private_key_jwt", "client_secret_jwt"}, true, false, "client_secret_jwt"},
		{[]string{"private_key_jwt", "client_secret_jwt"}, false, true, "private_key_jwt"},
		{all, false, false, AuthNone},
		{all, false, true, "private_key_jwt"},
		{[]string{"client_secret_basic", "none"}, false, true, AuthNone},
		// No method fits.
		{[]string{"client_secret_basic"}, false, false, ""},
		{[]string{"none"}, true, false, ""},
		{[]string{"tls_client_auth", "private_key_jwt"}, true, false, ""},
		{nil, false, false, ""},
		{nil, false, true, ""},
	} {
		if got := PickClientAuth(tc.supported, tc.secret, tc.key); got != tc.want {
			t.Errorf("PickClientAuth(%q, secret=%v, key=%v) = %q, want %q", tc.supported, tc.secret, tc.key, got, tc.want)
		}
	}
}
