package oidctest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/url"
	"testing"
	"time"
)

const assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// ClientSecretJWT authenticates with an HS256 client assertion signed with
// the client secret (token_endpoint_auth_method client_secret_jwt, RFC 7523).
// The assertion's aud is the issuer, which oidc-provider accepts at every
// endpoint.
func ClientSecretJWT(clientID, clientSecret string) ClientAuth {
	return func(t testing.TB, _ *http.Request, form url.Values, aud string) {
		t.Helper()
		signingInput := jwtSigningInput(t, map[string]any{"alg": "HS256", "typ": "JWT"}, assertionClaims(t, clientID, aud))
		mac := hmac.New(sha256.New, []byte(clientSecret))
		mac.Write([]byte(signingInput))
		setAssertion(form, clientID, signingInput, mac.Sum(nil))
	}
}

// PrivateKeyJWT authenticates with a client assertion signed with key
// (token_endpoint_auth_method private_key_jwt, RFC 7523): RS256 for an
// *rsa.PrivateKey, ES256 for a P-256 *ecdsa.PrivateKey, EdDSA for an
// ed25519.PrivateKey. kid, if not empty, goes in the JWT header. The
// client's metadata must hold the public key, e.g.
// "jwks": map[string]any{"keys": []any{PublicJWK(t, key.Public(), kid)}}.
func PrivateKeyJWT(clientID string, key crypto.Signer, kid string) ClientAuth {
	return func(t testing.TB, _ *http.Request, form url.Values, aud string) {
		t.Helper()
		header := map[string]any{"typ": "JWT"}
		if kid != "" {
			header["kid"] = kid
		}
		var sign func(digestOrMsg []byte) []byte
		switch k := key.(type) {
		case *rsa.PrivateKey:
			header["alg"] = "RS256"
			sign = func(msg []byte) []byte {
				sum := sha256.Sum256(msg)
				sig, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, sum[:])
				if err != nil {
					t.Fatalf("oidctest: RS256: %v", err)
				}
				return sig
			}
		case *ecdsa.PrivateKey:
			if k.Curve != elliptic.P256() {
				t.Fatalf("oidctest: PrivateKeyJWT supports ECDSA on P-256 only")
			}
			header["alg"] = "ES256"
			sign = func(msg []byte) []byte {
				sum := sha256.Sum256(msg)
				r, s, err := ecdsa.Sign(rand.Reader, k, sum[:])
				if err != nil {
					t.Fatalf("oidctest: ES256: %v", err)
				}
				sig := make([]byte, 64)
				r.FillBytes(sig[:32])
				s.FillBytes(sig[32:])
				return sig
			}
		case ed25519.PrivateKey:
			header["alg"] = "EdDSA"
			sign = func(msg []byte) []byte { return ed25519.Sign(k, msg) }
		default:
			t.Fatalf("oidctest: PrivateKeyJWT: unsupported key type %T", key)
		}
		signingInput := jwtSigningInput(t, header, assertionClaims(t, clientID, aud))
		setAssertion(form, clientID, signingInput, sign([]byte(signingInput)))
	}
}

// PublicJWK returns the JWK of an RSA, P-256 ECDSA or Ed25519 public key,
// for a private_key_jwt client's inline "jwks".
func PublicJWK(t testing.TB, pub crypto.PublicKey, kid string) map[string]any {
	t.Helper()
	b64 := base64.RawURLEncoding.EncodeToString
	var jwk map[string]any
	switch k := pub.(type) {
	case *rsa.PublicKey:
		jwk = map[string]any{"kty": "RSA", "n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes())}
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			t.Fatalf("oidctest: PublicJWK supports ECDSA on P-256 only")
		}
		raw, err := k.Bytes() // 0x04 || X || Y
		if err != nil {
			t.Fatalf("oidctest: %v", err)
		}
		jwk = map[string]any{"kty": "EC", "crv": "P-256", "x": b64(raw[1:33]), "y": b64(raw[33:65])}
	case ed25519.PublicKey:
		jwk = map[string]any{"kty": "OKP", "crv": "Ed25519", "x": b64(k)}
	default:
		t.Fatalf("oidctest: PublicJWK: unsupported key type %T", pub)
	}
	jwk["use"] = "sig"
	if kid != "" {
		jwk["kid"] = kid
	}
	return jwk
}

func assertionClaims(t testing.TB, clientID, aud string) map[string]any {
	t.Helper()
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		t.Fatalf("oidctest: %v", err)
	}
	now := time.Now().Unix()
	return map[string]any{
		"iss": clientID,
		"sub": clientID,
		"aud": aud,
		"jti": base64.RawURLEncoding.EncodeToString(jti),
		"iat": now,
		"exp": now + 60,
	}
}

func jwtSigningInput(t testing.TB, header, claims map[string]any) string {
	t.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatalf("oidctest: %v", err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		t.Fatalf("oidctest: %v", err)
	}
	return base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
}

func setAssertion(form url.Values, clientID, signingInput string, sig []byte) {
	form.Set("client_id", clientID)
	form.Set("client_assertion_type", assertionType)
	form.Set("client_assertion", signingInput+"."+base64.RawURLEncoding.EncodeToString(sig))
}
