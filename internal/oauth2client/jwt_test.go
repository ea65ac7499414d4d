package oauth2client

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

var jwtTestNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

const (
	jwtTestClientID = "client-123"
	jwtTestTokenURL = "https://auth.example.com/oauth2/token"
)

// RSA key generation is slow; the tests share one 2048-bit key.
var jwtTestRSAKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func jwtTestECKey(t *testing.T, curve elliptic.Curve) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func jwtTestEdKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func pemText(blockType string, der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der}))
}

func pkcs8PEM(t *testing.T, key any) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pemText("PRIVATE KEY", der)
}

func pkcs1PEM(key *rsa.PrivateKey) string {
	return pemText("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key))
}

func sec1PEM(t *testing.T, key *ecdsa.PrivateKey) string {
	t.Helper()
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pemText("EC PRIVATE KEY", der)
}

// jwtHeader decodes the protected header of a compact JWS as sent.
func jwtHeader(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %d parts", len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		t.Fatalf("header is not base64url: %v", err)
	}
	var h map[string]any
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatalf("header is not JSON: %v", err)
	}
	return h
}

// verifyJWT checks the signature with go-jose, accepting only alg, and
// returns the registered and all claims.
func verifyJWT(t *testing.T, token string, alg jose.SignatureAlgorithm, key any) (jwt.Claims, map[string]any) {
	t.Helper()
	parsed, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{alg})
	if err != nil {
		t.Fatalf("ParseSigned: %v", err)
	}
	var std jwt.Claims
	all := map[string]any{}
	if err := parsed.Claims(key, &std, &all); err != nil {
		t.Fatalf("signature does not verify with the public key: %v", err)
	}
	return std, all
}

// assertNoPEM fails when err repeats any line of the PEM body (or a part of
// one long enough to be recognised).
func assertNoPEM(t *testing.T, err error, pemTexts ...string) {
	t.Helper()
	msg := err.Error()
	for _, p := range pemTexts {
		for _, line := range strings.Split(p, "\n") {
			line = strings.TrimSpace(line)
			if strings.HasPrefix(line, "-----") || len(line) < 16 {
				continue
			}
			for i := 0; i+16 <= len(line); i += 8 {
				if strings.Contains(msg, line[i:i+16]) {
					t.Fatalf("error repeats PEM content %q: %s", line[i:i+16], msg)
				}
			}
		}
	}
}

var hexJTI = regexp.MustCompile(`^[0-9a-f]{32}$`)

func TestClientAssertion_verifiesWithPublicKey(t *testing.T) {
	rsaKey := jwtTestRSAKey()
	p256 := jwtTestECKey(t, elliptic.P256())
	p384 := jwtTestECKey(t, elliptic.P384())
	p521 := jwtTestECKey(t, elliptic.P521())
	ed := jwtTestEdKey(t)

	tests := []struct {
		name    string
		pem     string
		alg     string
		kid     string
		public  crypto.PublicKey
		wantAlg string
	}{
		{"RSA PKCS#8 default", pkcs8PEM(t, rsaKey), "", "rsa-1", &rsaKey.PublicKey, "RS256"},
		{"RSA PKCS#1 default", pkcs1PEM(rsaKey), "", "", &rsaKey.PublicKey, "RS256"},
		{"RSA PKCS#1 PS256", pkcs1PEM(rsaKey), "PS256", "rsa-pss", &rsaKey.PublicKey, "PS256"},
		{"RSA PKCS#8 RS512", pkcs8PEM(t, rsaKey), "RS512", "", &rsaKey.PublicKey, "RS512"},
		{"RSA PKCS#8 PS384", pkcs8PEM(t, rsaKey), "PS384", "", &rsaKey.PublicKey, "PS384"},
		{"P-256 PKCS#8 default", pkcs8PEM(t, p256), "", "ec-1", &p256.PublicKey, "ES256"},
		{"P-256 SEC1 explicit", sec1PEM(t, p256), "ES256", "", &p256.PublicKey, "ES256"},
		{"P-384 SEC1 default", sec1PEM(t, p384), "", "ec-384", &p384.PublicKey, "ES384"},
		{"P-384 PKCS#8 explicit", pkcs8PEM(t, p384), "ES384", "", &p384.PublicKey, "ES384"},
		{"P-521 PKCS#8 default", pkcs8PEM(t, p521), "", "", &p521.PublicKey, "ES512"},
		{"Ed25519 PKCS#8 default", pkcs8PEM(t, ed), "", "ed-1", ed.Public(), "EdDSA"},
		{"Ed25519 PKCS#8 explicit", pkcs8PEM(t, ed), "EdDSA", "", ed.Public(), "EdDSA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := ParseSigningKey(tt.pem, tt.alg, tt.kid)
			if err != nil {
				t.Fatalf("ParseSigningKey: %v", err)
			}
			if key.Algorithm() != tt.wantAlg {
				t.Fatalf("Algorithm() = %q, want %q", key.Algorithm(), tt.wantAlg)
			}
			if key.KeyID() != tt.kid {
				t.Fatalf("KeyID() = %q, want %q", key.KeyID(), tt.kid)
			}
			token, err := key.ClientAssertion(jwtTestClientID, jwtTestTokenURL, jwtTestNow)
			if err != nil {
				t.Fatalf("ClientAssertion: %v", err)
			}

			wantHeader := map[string]any{"alg": tt.wantAlg, "typ": "JWT"}
			if tt.kid != "" {
				wantHeader["kid"] = tt.kid
			}
			if h := jwtHeader(t, token); !maps.Equal(h, wantHeader) {
				t.Fatalf("header = %v, want %v", h, wantHeader)
			}

			std, all := verifyJWT(t, token, jose.SignatureAlgorithm(tt.wantAlg), tt.public)
			if std.Issuer != jwtTestClientID || std.Subject != jwtTestClientID {
				t.Fatalf("iss = %q, sub = %q, want both %q", std.Issuer, std.Subject, jwtTestClientID)
			}
			if len(std.Audience) != 1 || std.Audience[0] != jwtTestTokenURL {
				t.Fatalf("aud = %v, want %q", std.Audience, jwtTestTokenURL)
			}
			if aud, ok := all["aud"].(string); !ok || aud != jwtTestTokenURL {
				t.Fatalf("aud is sent as %#v, want the plain string %q", all["aud"], jwtTestTokenURL)
			}
			if !hexJTI.MatchString(std.ID) {
				t.Fatalf("jti = %q, want 128 random bits in hex", std.ID)
			}
			if got := std.IssuedAt.Time(); !got.Equal(jwtTestNow) {
				t.Fatalf("iat = %v, want %v", got, jwtTestNow)
			}
			if got := std.NotBefore.Time(); !got.Equal(jwtTestNow) {
				t.Fatalf("nbf = %v, want %v", got, jwtTestNow)
			}
			if got, want := std.Expiry.Time(), jwtTestNow.Add(60*time.Second); !got.Equal(want) {
				t.Fatalf("exp = %v, want %v", got, want)
			}
			if len(all) != 7 {
				t.Fatalf("claims = %v, want exactly iss, sub, aud, jti, iat, nbf, exp", all)
			}
			err = std.ValidateWithLeeway(jwt.Expected{
				Issuer:      jwtTestClientID,
				Subject:     jwtTestClientID,
				AnyAudience: jwt.Audience{jwtTestTokenURL},
				Time:        jwtTestNow.Add(30 * time.Second),
			}, 0)
			if err != nil {
				t.Fatalf("claims do not validate half-way through their lifetime: %v", err)
			}
		})
	}
}

func TestClientAssertion_otherKeyDoesNotVerify(t *testing.T) {
	key, err := ParseSigningKey(pkcs8PEM(t, jwtTestECKey(t, elliptic.P256())), "", "")
	if err != nil {
		t.Fatal(err)
	}
	token, err := key.ClientAssertion(jwtTestClientID, jwtTestTokenURL, jwtTestNow)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	other := jwtTestECKey(t, elliptic.P256())
	if err := parsed.Claims(&other.PublicKey, &jwt.Claims{}); err == nil {
		t.Fatal("the assertion verified with a key that did not sign it")
	}
}

func TestClientAssertion_uniqueJTI(t *testing.T) {
	ed := jwtTestEdKey(t)
	key, err := ParseSigningKey(pkcs8PEM(t, ed), "", "")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for range 2 {
		token, err := key.ClientAssertion(jwtTestClientID, jwtTestTokenURL, jwtTestNow)
		if err != nil {
			t.Fatal(err)
		}
		std, _ := verifyJWT(t, token, jose.EdDSA, ed.Public())
		if seen[std.ID] {
			t.Fatalf("jti %q repeated in two assertions made at the same instant", std.ID)
		}
		seen[std.ID] = true
	}
}

func TestClientAssertion_needsClientIDAndAudience(t *testing.T) {
	key, err := ParseSigningKey(pkcs8PEM(t, jwtTestEdKey(t)), "", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := key.ClientAssertion("", jwtTestTokenURL, jwtTestNow); err == nil || !strings.Contains(err.Error(), "no client ID") {
		t.Fatalf("empty client ID: err = %v, want one naming the client ID", err)
	}
	if _, err := key.ClientAssertion(jwtTestClientID, "", jwtTestNow); err == nil || !strings.Contains(err.Error(), "audience") {
		t.Fatalf("empty audience: err = %v, want one naming the audience", err)
	}
}

func TestParseSigningKey_lenientInput(t *testing.T) {
	p256 := jwtTestECKey(t, elliptic.P256())
	ed := jwtTestEdKey(t)
	sec1 := sec1PEM(t, p256)
	params, err := x509.MarshalPKCS8PrivateKey(p256)
	if err != nil {
		t.Fatal(err)
	}
	cert := pemText("CERTIFICATE", []byte("not parsed: skipped"))

	tests := []struct {
		name string
		pem  string
		want string
	}{
		{"escaped newlines", strings.ReplaceAll(strings.TrimSpace(pkcs8PEM(t, ed)), "\n", `\n`), "EdDSA"},
		{"indented heredoc", "\n    " + strings.ReplaceAll(sec1, "\n", "\n    "), "ES256"},
		{"CRLF line ends", strings.ReplaceAll(sec1, "\n", "\r\n"), "ES256"},
		{"EC PARAMETERS block first", pemText("EC PARAMETERS", []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}) + sec1, "ES256"},
		{"certificate bundled first", cert + pkcs1PEM(jwtTestRSAKey()), "RS256"},
		{"PKCS#8 labelled SEC1", pemText("EC PRIVATE KEY", params), "ES256"},
		{"SEC1 labelled PKCS#8", strings.ReplaceAll(sec1, "EC PRIVATE KEY", "PRIVATE KEY"), "ES256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := ParseSigningKey(tt.pem, "", "")
			if err != nil {
				t.Fatalf("ParseSigningKey: %v", err)
			}
			if key.Algorithm() != tt.want {
				t.Fatalf("Algorithm() = %q, want %q", key.Algorithm(), tt.want)
			}
		})
	}
}

func TestParseSigningKey_errors(t *testing.T) {
	rsaKey := jwtTestRSAKey()
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p256 := jwtTestECKey(t, elliptic.P256())
	p384 := jwtTestECKey(t, elliptic.P384())
	p224 := jwtTestECKey(t, elliptic.P224())
	x25519, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ed := jwtTestEdKey(t)
	pubDER, err := x509.MarshalPKIXPublicKey(&p256.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	goodRSA := pkcs8PEM(t, rsaKey)
	lines := strings.Split(goodRSA, "\n")
	lines[3] = "!!!!" + lines[3][4:]
	corrupt := strings.Join(lines, "\n")
	encryptedPKCS1 := string(pem.EncodeToMemory(&pem.Block{
		Type:    "RSA PRIVATE KEY",
		Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC,00112233445566778899AABBCCDDEEFF"},
		Bytes:   x509.MarshalPKCS1PrivateKey(rsaKey),
	}))

	tests := []struct {
		name string
		pem  string
		alg  string
		want []string
	}{
		{"RSA with ES256", goodRSA, "ES256", []string{`"ES256" does not fit`, "2048-bit RSA key", "RS256, RS384, RS512, PS256, PS384, PS512", "leave it unset to use RS256"}},
		{"P-384 with ES256", sec1PEM(t, p384), "ES256", []string{`"ES256" does not fit`, "EC key on curve P-384", "signs with ES384"}},
		{"P-256 with ES512", pkcs8PEM(t, p256), "ES512", []string{"curve P-256", "signs with ES256"}},
		{"P-256 with RS256", sec1PEM(t, p256), "RS256", []string{`"RS256" does not fit`, "curve P-256"}},
		{"Ed25519 with PS256", pkcs8PEM(t, ed), "PS256", []string{"Ed25519 key", "signs with EdDSA"}},
		{"RSA with EdDSA", pkcs1PEM(rsaKey), "EdDSA", []string{`"EdDSA" does not fit`, "RSA key"}},
		{"RSA 1024", pkcs1PEM(small), "", []string{"1024-bit RSA key", "at least 2048 bits", "openssl genpkey"}},
		{"RSA 1024 with PS256", pkcs8PEM(t, small), "PS256", []string{"1024-bit RSA key", "at least 2048 bits"}},
		{"P-224", sec1PEM(t, p224), "", []string{"curve P-224", "P-256, P-384 and P-521"}},
		{"X25519", pkcs8PEM(t, x25519), "", []string{"key agreement", "cannot sign"}},
		{"lower-case alg", goodRSA, "rs256", []string{"case-sensitive", `did you mean "RS256"`}},
		{"HMAC alg", goodRSA, "HS256", []string{"HMAC", "client_secret_jwt"}},
		{"alg none", goodRSA, "none", []string{`"none" is not supported`, "RS256, RS384"}},
		{"empty", "  \n ", "", []string{"is empty"}},
		{"garbage", "this is not a key at all, just some text", "", []string{"not PEM-encoded", "-----BEGIN PRIVATE KEY-----"}},
		{"file name", "/home/ci/keys/client.pem", "", []string{"looks like a file name", "file(\"path\")"}},
		{"JWK", `{"kty":"EC","crv":"P-256","d":"c2VjcmV0LXNjYWxhci12YWx1ZQ","x":"eA","y":"eQ"}`, "", []string{"JSON", "PEM form"}},
		{"corrupt base64", corrupt, "", []string{"not valid PEM", "copied whole"}},
		{"truncated key", pemText("PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey)[:300]), "", []string{`type "PRIVATE KEY"`, "damaged"}},
		{"certificate only", pemText("CERTIFICATE", []byte("certificate bytes here")), "", []string{"no private key", `"CERTIFICATE"`}},
		{"public key only", pemText("PUBLIC KEY", pubDER), "", []string{"no private key", `"PUBLIC KEY"`}},
		{"encrypted PKCS#8", pemText("ENCRYPTED PRIVATE KEY", []byte("opaque encrypted bytes")), "", []string{"encrypted", "openssl pkey"}},
		{"encrypted PKCS#1", encryptedPKCS1, "", []string{"encrypted", "passphrase"}},
		{"two keys", sec1PEM(t, p256) + pkcs8PEM(t, ed), "", []string{"2 private keys", "exactly one"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := ParseSigningKey(tt.pem, tt.alg, "kid-1")
			if err == nil {
				t.Fatalf("ParseSigningKey succeeded with %s", key)
			}
			t.Log(err)
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%s", w, err)
				}
			}
			assertNoPEM(t, err, tt.pem, goodRSA)
		})
	}
}

func TestSigningKey_printsNoKeyMaterial(t *testing.T) {
	rsaKey := jwtTestRSAKey()
	key, err := ParseSigningKey(pkcs1PEM(rsaKey), "PS512", "kid-7")
	if err != nil {
		t.Fatal(err)
	}
	modulus := rsaKey.N.String()[:20]
	for _, s := range []string{
		fmt.Sprintf("%v", key), fmt.Sprintf("%+v", key), fmt.Sprintf("%#v", key),
		fmt.Sprintf("%v", *key), fmt.Sprintf("%+v", *key), fmt.Sprintf("%#v", *key), fmt.Sprint(key),
	} {
		if strings.Contains(s, modulus) || strings.Contains(s, rsaKey.D.String()[:20]) {
			t.Fatalf("formatting a SigningKey shows the key: %s", s)
		}
		if !strings.Contains(s, "PS512") || !strings.Contains(s, "kid-7") {
			t.Fatalf("formatting a SigningKey gives %q, want the algorithm and key ID", s)
		}
	}
}

func TestSign_claimsAsGiven(t *testing.T) {
	p256 := jwtTestECKey(t, elliptic.P256())
	key, err := ParseSigningKey(sec1PEM(t, p256), "", "k")
	if err != nil {
		t.Fatal(err)
	}
	token, err := key.Sign(map[string]any{"hello": "world", "n": 3})
	if err != nil {
		t.Fatal(err)
	}
	_, all := verifyJWT(t, token, jose.ES256, &p256.PublicKey)
	if want := map[string]any{"hello": "world", "n": float64(3)}; !maps.Equal(all, want) {
		t.Fatalf("claims = %v, want %v (Sign adds nothing)", all, want)
	}
	if _, err := key.Sign(map[string]any{"bad": make(chan int)}); err == nil {
		t.Fatal("Sign accepted a claim JSON cannot encode")
	}
}

const jwtTestSecret = "0123456789abcdef0123456789abcdef-and-more" // 41 bytes

func TestSecretAssertion_verifiesWithSecret(t *testing.T) {
	token, err := SecretAssertion(jwtTestClientID, jwtTestSecret, jwtTestTokenURL, jwtTestNow)
	if err != nil {
		t.Fatalf("SecretAssertion: %v", err)
	}
	if h, want := jwtHeader(t, token), map[string]any{"alg": "HS256", "typ": "JWT"}; !maps.Equal(h, want) {
		t.Fatalf("header = %v, want %v", h, want)
	}
	std, all := verifyJWT(t, token, jose.HS256, []byte(jwtTestSecret))
	if std.Issuer != jwtTestClientID || std.Subject != jwtTestClientID || std.Audience[0] != jwtTestTokenURL {
		t.Fatalf("iss/sub/aud = %q/%q/%v", std.Issuer, std.Subject, std.Audience)
	}
	if !hexJTI.MatchString(std.ID) || !std.IssuedAt.Time().Equal(jwtTestNow) ||
		!std.Expiry.Time().Equal(jwtTestNow.Add(time.Minute)) || len(all) != 7 {
		t.Fatalf("claims = %v", all)
	}

	parsed, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.HS256})
	if err != nil {
		t.Fatal(err)
	}
	if err := parsed.Claims([]byte(strings.ToUpper(jwtTestSecret)), &jwt.Claims{}); err == nil {
		t.Fatal("the assertion verified with another secret")
	}
}

func TestSecretAssertion_exactly32Bytes(t *testing.T) {
	secret := strings.Repeat("k", 32)
	token, err := SecretAssertion(jwtTestClientID, secret, jwtTestTokenURL, jwtTestNow)
	if err != nil {
		t.Fatalf("SecretAssertion with a 32-byte secret: %v", err)
	}
	verifyJWT(t, token, jose.HS256, []byte(secret))
}

func TestSecretAssertion_shortSecret(t *testing.T) {
	// The reason for the refusal: go-jose will not sign (nor verify) HS256
	// with a key shorter than the hash output.
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte("short-secret-31-bytes-long-1234")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := signer.Sign([]byte("{}")); !errors.Is(err, jose.ErrInvalidKeySize) {
		t.Fatalf("go-jose signed HS256 with a 31-byte key (err = %v); SecretAssertion's check may be relaxed", err)
	}

	secret := "short-secret-31-bytes-long-1234"
	_, err = SecretAssertion(jwtTestClientID, secret, jwtTestTokenURL, jwtTestNow)
	if err == nil {
		t.Fatal("SecretAssertion accepted a 31-byte secret")
	}
	for _, w := range []string{"at least 32 bytes", "is 31 bytes", "RFC 7518", "client_secret_basic"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%s", w, err)
		}
	}
	if strings.Contains(err.Error(), secret) {
		t.Fatalf("error shows the secret: %s", err)
	}

	_, err = SecretAssertion(jwtTestClientID, "", jwtTestTokenURL, jwtTestNow)
	if err == nil || !strings.Contains(err.Error(), "no client secret") {
		t.Fatalf("empty secret: err = %v", err)
	}
	_, err = SecretAssertion("", jwtTestSecret, jwtTestTokenURL, jwtTestNow)
	if err == nil || !strings.Contains(err.Error(), "no client ID") || strings.Contains(err.Error(), jwtTestSecret) {
		t.Fatalf("empty client ID: err = %v", err)
	}
}

func TestBearerAssertion_defaults(t *testing.T) {
	ed := jwtTestEdKey(t)
	key, err := ParseSigningKey(pkcs8PEM(t, ed), "", "grant-key")
	if err != nil {
		t.Fatal(err)
	}
	claims := map[string]any{"sub": "alice@example.com", "scope": "read write"}
	before := maps.Clone(claims)
	token, err := key.BearerAssertion(claims, jwtTestClientID, jwtTestTokenURL, jwtTestNow)
	if err != nil {
		t.Fatalf("BearerAssertion: %v", err)
	}
	if !maps.Equal(claims, before) {
		t.Fatalf("BearerAssertion changed its argument: %v", claims)
	}
	if h, want := jwtHeader(t, token), map[string]any{"alg": "EdDSA", "typ": "JWT", "kid": "grant-key"}; !maps.Equal(h, want) {
		t.Fatalf("header = %v, want %v", h, want)
	}
	std, all := verifyJWT(t, token, jose.EdDSA, ed.Public())
	if std.Issuer != jwtTestClientID || std.Subject != "alice@example.com" || all["aud"] != jwtTestTokenURL {
		t.Fatalf("iss/sub/aud = %q/%q/%v", std.Issuer, std.Subject, all["aud"])
	}
	if all["scope"] != "read write" {
		t.Fatalf("scope = %v", all["scope"])
	}
	if !std.IssuedAt.Time().Equal(jwtTestNow) || !std.Expiry.Time().Equal(jwtTestNow.Add(5*time.Minute)) {
		t.Fatalf("iat = %v, exp = %v", std.IssuedAt.Time(), std.Expiry.Time())
	}
	if !hexJTI.MatchString(std.ID) {
		t.Fatalf("jti = %q", std.ID)
	}
	if _, ok := all["nbf"]; ok || len(all) != 7 {
		t.Fatalf("claims = %v, want sub, scope, iss, aud, iat, exp, jti", all)
	}
}

func TestBearerAssertion_givenClaimsWin(t *testing.T) {
	p256 := jwtTestECKey(t, elliptic.P256())
	key, err := ParseSigningKey(sec1PEM(t, p256), "", "")
	if err != nil {
		t.Fatal(err)
	}
	claims := map[string]any{
		"iss": "https://issuer.example.com",
		"sub": "svc",
		"aud": []string{"https://a.example.com", "https://b.example.com"},
		"iat": 1700000000,
		"exp": 1700000900,
		"jti": "fixed-id",
	}
	token, err := key.BearerAssertion(claims, jwtTestClientID, jwtTestTokenURL, jwtTestNow)
	if err != nil {
		t.Fatal(err)
	}
	std, all := verifyJWT(t, token, jose.ES256, &p256.PublicKey)
	if std.Issuer != "https://issuer.example.com" || std.ID != "fixed-id" ||
		len(std.Audience) != 2 || std.Audience[1] != "https://b.example.com" ||
		std.IssuedAt.Time().Unix() != 1700000000 || std.Expiry.Time().Unix() != 1700000900 || len(all) != 6 {
		t.Fatalf("claims = %v, want them exactly as given", all)
	}

	// No client ID and no audience: no iss and no aud are invented.
	token, err = key.BearerAssertion(map[string]any{"sub": "svc"}, "", "", jwtTestNow)
	if err != nil {
		t.Fatal(err)
	}
	_, all = verifyJWT(t, token, jose.ES256, &p256.PublicKey)
	if _, ok := all["iss"]; ok {
		t.Fatalf("iss invented: %v", all)
	}
	if _, ok := all["aud"]; ok {
		t.Fatalf("aud invented: %v", all)
	}

	// A nil map is an empty set of claims.
	token, err = key.BearerAssertion(nil, jwtTestClientID, jwtTestTokenURL, jwtTestNow)
	if err != nil {
		t.Fatal(err)
	}
	std, _ = verifyJWT(t, token, jose.ES256, &p256.PublicKey)
	if std.Issuer != jwtTestClientID || std.Subject != "" {
		t.Fatalf("iss = %q, sub = %q", std.Issuer, std.Subject)
	}
}

func TestSigningAlgorithms_allSupported(t *testing.T) {
	if len(SigningAlgorithms) != 10 {
		t.Fatalf("SigningAlgorithms = %v", SigningAlgorithms)
	}
	for _, alg := range SigningAlgorithms {
		if err := checkAlgorithmName(alg); err != nil {
			t.Errorf("%s: %v", alg, err)
		}
	}
}
