package oauth2client

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"math/big"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// knownKeyPEM and knownKey are the signing key of knownGrants and
// knownClientAuths: a P-256 key, quick to generate.
var knownKeyPEM, knownKey = func() (string, *SigningKey) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		panic(err)
	}
	text := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	key, err := ParseSigningKey(text, "", "known-kid")
	if err != nil {
		panic(err)
	}
	return text, key
}()

// knownGrants holds one value of every Grant type, with every field set
// (TestKnownGrants_complete checks both). A grant added to grant.go must be
// added here; the cache key test then covers each of its fields.
var knownGrants = []Grant{
	ClientCredentials{},
	Password{Username: "jane@example.com", Password: "grant-password-1"},
	RefreshToken{RefreshToken: "grant-refresh-token-1"},
	JWTBearer{
		Assertion: "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
		Claims:    map[string]any{"sub": "user-1", "scope": []any{"a", "b"}, "admin": true, "level": 2.5},
		Key:       knownKey,
		Source:    GitHubActionsSource{Audience: "https://auth.example.com"},
	},
	TokenExchange{
		SubjectToken: "grant-subject-token-1", SubjectTokenType: "urn:ietf:params:oauth:token-type:access_token",
		SubjectSource: FileSource{Path: "/var/run/secrets/tokens/ci"},
		ActorToken:    "grant-actor-token-1", ActorTokenType: "urn:ietf:params:oauth:token-type:jwt",
		ActorSource:        CommandSource{Args: []string{"ci-token", "--audience", "x"}},
		RequestedTokenType: "urn:ietf:params:oauth:token-type:refresh_token",
	},
	CustomGrantType{Type: "urn:vendor:grant", Base: Password{Username: "joe", Password: "grant-password-2"}},
}

// knownClientAuths holds one value of every ClientAuth type, likewise.
var knownClientAuths = []ClientAuth{
	SecretBasic{Secret: "auth-secret-basic"},
	SecretPost{Secret: "auth-secret-post"},
	SecretJWT{Secret: longSecret},
	PrivateKeyJWT{Key: knownKey},
	ClientAssertion{Source: AzureDevOpsSource{ServiceConnectionID: "00000000-0000-0000-0000-000000000001"}},
	TLSClientAuth{},
	SelfSignedTLSClientAuth{},
	NoClientAuth{},
}

// knownSources holds one value of every IdentitySource type, likewise.
var knownSources = []IdentitySource{
	EnvSource{Name: "TFC_WORKLOAD_IDENTITY_TOKEN"},
	FileSource{Path: "/var/run/secrets/tokens/ci"},
	CommandSource{Args: []string{"buildkite-agent", "oidc", "request-token"}},
	GitHubActionsSource{Audience: "api://AzureADTokenExchange"},
	AzureDevOpsSource{ServiceConnectionID: "00000000-0000-0000-0000-000000000001"},
}

// fullRequest is a request with every field of its own set, around grant
// and auth.
func fullRequest(grant Grant, auth ClientAuth) Request {
	return Request{
		TokenURL:    "https://auth.example.com/oauth/token?tenant=t1",
		ClientID:    "client-1",
		ClientAuth:  auth,
		Grant:       grant,
		Scopes:      []string{"read", "write"},
		Audience:    "https://api.example.com",
		Resources:   []string{"https://r1.example.com", "https://r2.example.com"},
		ExtraParams: map[string]string{"idp_system": "salesforce", "tenant": "t1"},
		ParamsIn:    ParamsInQuery,
		Headers:     map[string]string{"X-Tenant": "t1", "X-Api-Key": "key-1"},
	}
}

// typesWithMethod lists the types of the package's own (non-test) source
// that declare a method called name.
func typesWithMethod(t *testing.T, name string) []string {
	t.Helper()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	fset := token.NewFileSet()
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, e.Name(), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || fn.Name.Name != name || len(fn.Recv.List) != 1 {
				continue
			}
			recv := fn.Recv.List[0].Type
			if star, ok := recv.(*ast.StarExpr); ok {
				recv = star.X
			}
			if id, ok := recv.(*ast.Ident); ok && !slices.Contains(out, id.Name) {
				out = append(out, id.Name)
			}
		}
	}
	sort.Strings(out)
	return out
}

func typeNames[T any](values []T) []string {
	var out []string
	for _, v := range values {
		out = append(out, reflect.TypeOf(v).Name())
	}
	sort.Strings(out)
	return out
}

// requireSet fails for every field under v that is zero, so that the cache
// key test has something to vary in each.
func requireSet(t *testing.T, path string, v reflect.Value) {
	t.Helper()
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(SigningKey{}) {
			return
		}
		for i := range v.NumField() {
			requireSet(t, path+"."+v.Type().Field(i).Name, v.Field(i))
		}
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			t.Errorf("%s is nil: set it, so that the cache key test covers it", path)
			return
		}
		requireSet(t, path, v.Elem())
	case reflect.Slice, reflect.Map:
		if v.Len() == 0 {
			t.Errorf("%s is empty: set it, so that the cache key test covers it", path)
		}
	default:
		if v.IsZero() {
			t.Errorf("%s is the zero value: set it, so that the cache key test covers it", path)
		}
	}
}

func TestKnownGrants_complete(t *testing.T) {
	// Every type of the package that is a Grant (has Replayable) or a
	// ClientAuth (has Method) has a value in the lists.
	if got, want := typeNames(knownGrants), typesWithMethod(t, "Replayable"); !slices.Equal(got, want) {
		t.Errorf("knownGrants has %v, the package's grants are %v: add the missing ones", got, want)
	}
	if got, want := typeNames(knownClientAuths), typesWithMethod(t, "Method"); !slices.Equal(got, want) {
		t.Errorf("knownClientAuths has %v, the package's client authentication methods are %v: add the missing ones", got, want)
	}
	for _, g := range knownGrants {
		requireSet(t, fmt.Sprintf("%T", g), reflect.ValueOf(g))
	}
	for _, a := range knownClientAuths {
		requireSet(t, fmt.Sprintf("%T", a), reflect.ValueOf(a))
	}
	requireSet(t, "Request", reflect.ValueOf(fullRequest(knownGrants[0], knownClientAuths[0])))
	if got, want := typeNames(knownSources), typesWithMethod(t, "Fresh"); !slices.Equal(got, want) {
		t.Errorf("knownSources has %v, the package's identity token sources are %v: add the missing ones", got, want)
	}
	for _, src := range knownSources {
		requireSet(t, fmt.Sprintf("%T", src), reflect.ValueOf(src))
	}
}

// Every field of every source reaches the cache key, whichever place of a
// request holds the source.
func TestCacheKey_sources(t *testing.T) {
	for i, src := range knownSources {
		for name, req := range map[string]Request{
			"client assertion": fullRequest(nil, ClientAssertion{Source: src}),
			"jwt-bearer":       fullRequest(JWTBearer{Source: src}, nil),
			"subject token":    fullRequest(TokenExchange{SubjectSource: src}, nil),
			"actor token":      fullRequest(TokenExchange{ActorSource: src}, nil),
		} {
			base := CacheKey(ConsumerEphemeral, req)
			for j, other := range knownSources {
				if j == i {
					continue
				}
				swapped := req
				switch a := req.ClientAuth.(type) {
				case ClientAssertion:
					a.Source = other
					swapped.ClientAuth = a
				}
				switch g := req.Grant.(type) {
				case JWTBearer:
					g.Source = other
					swapped.Grant = g
				case TokenExchange:
					if g.SubjectSource != nil {
						g.SubjectSource = other
					} else {
						g.ActorSource = other
					}
					swapped.Grant = g
				}
				if CacheKey(ConsumerEphemeral, swapped) == base {
					t.Errorf("%s: %T and %T give the same key", name, src, other)
				}
			}
		}
	}
}

func TestNewClientAuth(t *testing.T) {
	// Every method name has its type, and is the Method of exactly one
	// (private_key_jwt of two: a key's assertion or a source's).
	for _, name := range ClientAuthMethods {
		var of []ClientAuth
		for _, a := range knownClientAuths {
			if a.Method() == name {
				of = append(of, a)
			}
		}
		if want := map[bool]int{true: 2, false: 1}[name == AuthPrivateKeyJWT]; len(of) != want {
			t.Errorf("%s is the method of %d known types, want %d", name, len(of), want)
			continue
		}
		got, err := NewClientAuth(name, Credentials{Secret: longSecret, Key: knownKey})
		if err != nil {
			t.Errorf("NewClientAuth(%q): %v", name, err)
			continue
		}
		if reflect.TypeOf(got) != reflect.TypeOf(of[0]) || got.Method() != name {
			t.Errorf("NewClientAuth(%q) = %T (%s), want a %T", name, got, got.Method(), of[0])
		}
	}
	if len(ClientAuthMethods) != len(knownClientAuths)-1 {
		t.Errorf("%d method names for %d types", len(ClientAuthMethods), len(knownClientAuths))
	}
	for _, tc := range []struct {
		method, secret string
		key            *SigningKey
		want           ClientAuth
	}{
		{"", "s3cret", nil, SecretBasic{Secret: "s3cret"}},
		{"", "", nil, NoClientAuth{}},
		{"", "", knownKey, NoClientAuth{}},
		{AuthClientSecretPost, "s3cret", nil, SecretPost{Secret: "s3cret"}},
		{AuthNone, "s3cret", nil, NoClientAuth{}},
	} {
		got, err := NewClientAuth(tc.method, Credentials{Secret: tc.secret, Key: tc.key})
		if err != nil || got != tc.want {
			t.Errorf("NewClientAuth(%q, %q) = %#v, %v; want %#v", tc.method, tc.secret, got, err, tc.want)
		}
	}
	if got, err := NewClientAuth("", Credentials{AssertionSource: EnvSource{Name: "X"}}); err != nil || got != (ClientAssertion{Source: EnvSource{Name: "X"}}) {
		t.Errorf("the default with an assertion source: %#v, %v", got, err)
	}
	if _, err := NewClientAuth("bogus", Credentials{Secret: "s3cret"}); err == nil || !strings.Contains(err.Error(), `"bogus"`) {
		t.Errorf("an unknown method: %v", err)
	}
	if _, err := NewClientAuth(AuthPrivateKeyJWT, Credentials{}); err == nil || !strings.Contains(err.Error(), "private key") {
		t.Errorf("private_key_jwt without a key: %v", err)
	}
}

// variation is a value that differs from another in one place, named by
// its path.
type variation struct {
	path  string
	value reflect.Value
}

// varier builds variations by reflection, so that a field added to Request,
// a grant or a client authentication method is varied without anyone
// listing it.
type varier struct {
	t *testing.T
	// keys are signing keys that differ from knownKey in one respect each.
	keys []*SigningKey
	// impls are the known values of each interface type a request holds.
	impls map[reflect.Type][]reflect.Value
}

// vary returns the variations of v: one for each field, element and entry
// changed (recursively), each slice and map shortened and lengthened, each
// interface set to nil and to each other known type.
func (g *varier) vary(path string, v reflect.Value) []variation {
	t := g.t
	t.Helper()
	one := func(p string, x any) []variation {
		nv := reflect.New(v.Type()).Elem()
		nv.Set(reflect.ValueOf(x).Convert(v.Type()))
		return []variation{{p, nv}}
	}
	if v.Type() == reflect.TypeOf((*SigningKey)(nil)) {
		var out []variation
		for i, k := range g.keys {
			out = append(out, variation{fmt.Sprintf("%s(key %d)", path, i), reflect.ValueOf(k)})
		}
		return out
	}
	switch v.Kind() {
	case reflect.String:
		return one(path, v.String()+"-changed")
	case reflect.Bool:
		return one(path, !v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return one(path, v.Int()+1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return one(path, v.Uint()+1)
	case reflect.Float32, reflect.Float64:
		return one(path, v.Float()+1)
	case reflect.Struct:
		var out []variation
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				t.Fatalf("%s.%s is unexported: this test cannot set it; give %s a cacheKey method (see keyer) "+
					"or teach vary about it", path, f.Name, v.Type())
			}
			for _, fv := range g.vary(path+"."+f.Name, v.Field(i)) {
				nv := reflect.New(v.Type()).Elem()
				nv.Set(v)
				nv.Field(i).Set(fv.value)
				out = append(out, variation{fv.path, nv})
			}
		}
		return out
	case reflect.Pointer:
		if v.IsNil() {
			t.Fatalf("%s is nil: this test varies set values only", path)
		}
		var out []variation
		for _, ev := range g.vary(path, v.Elem()) {
			p := reflect.New(v.Type().Elem())
			p.Elem().Set(ev.value)
			out = append(out, variation{ev.path, p})
		}
		return out
	case reflect.Interface:
		if v.IsNil() {
			t.Fatalf("%s is nil: this test varies set values only", path)
		}
		wrap := func(p string, x reflect.Value) variation {
			nv := reflect.New(v.Type()).Elem()
			nv.Set(x)
			return variation{p, nv}
		}
		out := []variation{{path + "=nil", reflect.Zero(v.Type())}}
		for _, impl := range g.impls[v.Type()] {
			if impl.Type() != v.Elem().Type() {
				out = append(out, wrap(fmt.Sprintf("%s=%s", path, impl.Type()), impl))
			}
		}
		for _, ev := range g.vary(fmt.Sprintf("%s.(%s)", path, v.Elem().Type()), v.Elem()) {
			out = append(out, wrap(ev.path, ev.value))
		}
		return out
	case reflect.Slice:
		if v.Len() == 0 {
			t.Fatalf("%s is empty: this test varies set values only", path)
		}
		clone := func(n int) reflect.Value {
			c := reflect.MakeSlice(v.Type(), n, n)
			reflect.Copy(c, v)
			return c
		}
		longer := clone(v.Len() + 1)
		longer.Index(v.Len()).Set(v.Index(v.Len() - 1))
		out := []variation{{path + "[:n-1]", v.Slice(0, v.Len()-1)}, {path + "+[last]", longer}}
		for i := range v.Len() {
			for _, ev := range g.vary(fmt.Sprintf("%s[%d]", path, i), v.Index(i)) {
				c := clone(v.Len())
				c.Index(i).Set(ev.value)
				out = append(out, variation{ev.path, c})
			}
		}
		return out
	case reflect.Map:
		if v.Len() == 0 {
			t.Fatalf("%s is empty: this test varies set values only", path)
		}
		clone := func() reflect.Value {
			c := reflect.MakeMapWithSize(v.Type(), v.Len())
			for it := v.MapRange(); it.Next(); {
				c.SetMapIndex(it.Key(), it.Value())
			}
			return c
		}
		var out []variation
		for it := v.MapRange(); it.Next(); {
			k := it.Key()
			name := fmt.Sprintf("%s[%v]", path, k)
			without := clone()
			without.SetMapIndex(k, reflect.Value{})
			out = append(out, variation{name + " deleted", without})
			for _, kv := range g.vary(name+" key", k) {
				renamed := clone()
				renamed.SetMapIndex(k, reflect.Value{})
				renamed.SetMapIndex(kv.value, it.Value())
				out = append(out, variation{kv.path, renamed})
				added := clone()
				added.SetMapIndex(kv.value, it.Value())
				out = append(out, variation{kv.path + " added", added})
			}
			for _, ev := range g.vary(name, it.Value()) {
				c := clone()
				c.SetMapIndex(k, ev.value)
				out = append(out, variation{ev.path, c})
			}
		}
		return out
	}
	t.Fatalf("%s is a %s, which this test cannot vary yet: teach vary about it, so that the field is "+
		"checked to reach the cache key", path, v.Kind())
	return nil
}

// selfSignedPEM is a certificate for key's public half, in PEM.
func selfSignedPEM(t *testing.T, key crypto.Signer) string {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7),
		Subject:      pkix.Name{CommonName: "signing key"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return pemText("CERTIFICATE", der)
}

// keyVariants are signing keys that differ from knownKey in one respect
// each: another key, another kid, a certificate's thumbprints.
func keyVariants(t *testing.T) []*SigningKey {
	t.Helper()
	other, err := ParseSigningKey(pkcs8PEM(t, jwtTestECKey(t, elliptic.P256())), "", knownKey.KeyID())
	if err != nil {
		t.Fatal(err)
	}
	otherKid, err := ParseSigningKey(knownKeyPEM, "", "another-kid")
	if err != nil {
		t.Fatal(err)
	}
	withCert, err := ParseSigningKey(knownKeyPEM, "", knownKey.KeyID())
	if err != nil {
		t.Fatal(err)
	}
	if err := withCert.WithCertificate(selfSignedPEM(t, withCert.key)); err != nil {
		t.Fatal(err)
	}
	return []*SigningKey{other, otherKid, withCert}
}

func TestCacheKey_completeByConstruction(t *testing.T) {
	g := &varier{t: t, keys: keyVariants(t), impls: map[reflect.Type][]reflect.Value{}}
	for _, v := range knownGrants {
		g.impls[reflect.TypeFor[Grant]()] = append(g.impls[reflect.TypeFor[Grant]()], reflect.ValueOf(v))
	}
	for _, v := range knownClientAuths {
		g.impls[reflect.TypeFor[ClientAuth]()] = append(g.impls[reflect.TypeFor[ClientAuth]()], reflect.ValueOf(v))
	}

	// One base per known grant and per known client authentication, so
	// that the fields of each type are varied.
	var bases []Request
	for _, grant := range knownGrants {
		bases = append(bases, fullRequest(grant, knownClientAuths[0]))
	}
	for _, auth := range knownClientAuths {
		bases = append(bases, fullRequest(knownGrants[0], auth))
	}
	covered := map[string]bool{}
	for _, base := range bases {
		requireSet(t, "Request", reflect.ValueOf(base))
		if t.Failed() {
			t.FailNow()
		}
		baseKey := CacheKey(ConsumerDataSource, base)
		for _, v := range g.vary("Request", reflect.ValueOf(base)) {
			covered[v.path] = true
			variant, ok := v.value.Interface().(Request)
			if !ok {
				t.Fatalf("%s: a %T", v.path, v.value.Interface())
			}
			if reflect.DeepEqual(variant, base) {
				t.Fatalf("%s: the variation equals the base request", v.path)
			}
			if CacheKey(ConsumerDataSource, variant) == baseKey {
				t.Errorf("changing %s leaves the cache key as it was: two requests differing in it would share a token\n"+
					"base:    %+v\nvariant: %+v", v.path, base, variant)
			}
		}
	}

	// The walk reached every field of Request, and every field of every
	// known grant and client authentication type.
	reached := func(prefix string) bool {
		for p := range covered {
			if strings.HasPrefix(p, prefix) {
				return true
			}
		}
		return false
	}
	for _, f := range reflect.VisibleFields(reflect.TypeFor[Request]()) {
		if !reached("Request." + f.Name) {
			t.Errorf("Request.%s was never varied", f.Name)
		}
	}
	for _, v := range append(typedValues(knownGrants, "Grant"), typedValues(knownClientAuths, "ClientAuth")...) {
		for i := range v.value.NumField() {
			if p := v.path + "." + v.value.Type().Field(i).Name; !reached(p) {
				t.Errorf("%s was never varied", p)
			}
		}
	}
	for i := range g.keys {
		if !reached(fmt.Sprintf("Request.ClientAuth.(%T).Key(key %d)", PrivateKeyJWT{}, i)) ||
			!reached(fmt.Sprintf("Request.Grant.(%T).Key(key %d)", JWTBearer{}, i)) {
			t.Errorf("signing key variant %d was not tried in both places a key goes", i)
		}
	}

	// The algorithm is part of a key's identity too: one RSA key, two
	// algorithms.
	rsaPEM := pkcs8PEM(t, jwtTestRSAKey())
	rs256, err := ParseSigningKey(rsaPEM, AlgRS256, "")
	if err != nil {
		t.Fatal(err)
	}
	ps256, err := ParseSigningKey(rsaPEM, AlgPS256, "")
	if err != nil {
		t.Fatal(err)
	}
	if CacheKey(ConsumerDataSource, fullRequest(nil, PrivateKeyJWT{Key: rs256})) ==
		CacheKey(ConsumerDataSource, fullRequest(nil, PrivateKeyJWT{Key: ps256})) {
		t.Error("one key signing RS256 and PS256 gives one cache key")
	}
}

// typedValues are the values of a list of interface values, each with the
// path the cache key walk names its fields under.
func typedValues[T any](values []T, field string) []variation {
	var out []variation
	for _, v := range values {
		rv := reflect.ValueOf(v)
		out = append(out, variation{fmt.Sprintf("Request.%s.(%s)", field, rv.Type()), rv})
	}
	return out
}

func TestCacheKey_identicalRequestsShareAKey(t *testing.T) {
	// Two requests built apart, maps filled in opposite orders and the key
	// parsed twice, are one request.
	build := func(reverse bool) Request {
		pairs := [][2]string{{"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}, {"e", "5"}, {"f", "6"}, {"g", "7"}, {"h", "8"}}
		if reverse {
			slices.Reverse(pairs)
		}
		extra, headers, claims := map[string]string{}, map[string]string{}, map[string]any{}
		for _, p := range pairs {
			extra[p[0]] = p[1]
			headers["X-"+p[0]] = p[1]
			claims[p[0]] = map[string]any{p[0]: p[1], p[1]: []any{p[0], 1.5}}
		}
		key, err := ParseSigningKey(knownKeyPEM, "", knownKey.KeyID())
		if err != nil {
			t.Fatal(err)
		}
		r := fullRequest(JWTBearer{Claims: claims, Key: key}, PrivateKeyJWT{Key: key})
		r.ExtraParams, r.Headers = extra, headers
		return r
	}
	want := CacheKey(ConsumerEphemeral, build(false))
	for i := range 20 {
		if got := CacheKey(ConsumerEphemeral, build(i%2 == 0)); got != want {
			t.Fatalf("identical requests gave the keys %s and %s", got, want)
		}
	}
	for _, g := range knownGrants {
		for _, a := range knownClientAuths {
			first, second := fullRequest(g, a), fullRequest(g, a)
			if CacheKey(ConsumerDataSource, first) != CacheKey(ConsumerDataSource, second) {
				t.Errorf("%T with %T: identical requests gave different keys", g, a)
			}
		}
	}
}

func TestCacheKey_consumers(t *testing.T) {
	for _, g := range knownGrants {
		for _, a := range knownClientAuths {
			r := fullRequest(g, a)
			if CacheKey(ConsumerDataSource, r) == CacheKey(ConsumerEphemeral, r) {
				t.Errorf("%T with %T: a data source and an ephemeral resource would share a token", g, a)
			}
		}
	}
	if CacheKey(ConsumerDataSource, Request{}) == CacheKey(ConsumerEphemeral, Request{}) {
		t.Error("the empty request: a data source and an ephemeral resource would share a token")
	}
}
