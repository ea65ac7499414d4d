package oauth2client

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // x5t is defined as a SHA-1 thumbprint (RFC 7515 4.1.7), not used for security
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// This file builds the JSON Web Tokens the provider sends to a token
// endpoint: client assertions (RFC 7523 section 2.2, OpenID Connect Core
// section 9 private_key_jwt and client_secret_jwt) and JWT authorization
// grants (RFC 7523 section 2.1). All JOSE work is done by go-jose; this file
// only parses keys, picks algorithms and fills in claims.

// ClientAssertionType is the client_assertion_type parameter that goes with
// a JWT client assertion (RFC 7523 section 2.2).
const ClientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// ClientAssertionLifetime is how long a client assertion is valid. It is
// used once, right away, so it is short: a captured assertion is useless a
// minute later.
const ClientAssertionLifetime = 60 * time.Second

// BearerAssertionLifetime is the default lifetime of a JWT authorization
// grant, when the claims give no exp.
const BearerAssertionLifetime = 5 * time.Minute

// minHMACKeyBytes is the shortest key go-jose accepts for HS256: RFC 7518
// section 3.2 requires a key at least as long as the hash output.
const minHMACKeyBytes = 32

// Signing algorithms accepted for signing_algorithm, as named in the JWS
// "alg" header (RFC 7518 section 3.1, RFC 8037 section 3.1).
const (
	AlgRS256 = "RS256"
	AlgRS384 = "RS384"
	AlgRS512 = "RS512"
	AlgPS256 = "PS256"
	AlgPS384 = "PS384"
	AlgPS512 = "PS512"
	AlgES256 = "ES256"
	AlgES384 = "ES384"
	AlgES512 = "ES512"
	AlgEdDSA = "EdDSA"
)

// SigningAlgorithms lists the accepted values of signing_algorithm, in the
// order the documentation shows them. Names are case-sensitive, as in JOSE.
var SigningAlgorithms = []string{
	AlgRS256, AlgRS384, AlgRS512,
	AlgPS256, AlgPS384, AlgPS512,
	AlgES256, AlgES384, AlgES512,
	AlgEdDSA,
}

// minRSABits is the smallest RSA modulus accepted for signing (RFC 7518
// sections 3.3 and 3.5 require 2048 bits or more).
const minRSABits = 2048

// SigningKey is a private key ready to sign JWTs: the key, the JWS algorithm
// it signs with and the optional key ID sent in the "kid" header. Build one
// with ParseSigningKey. It is safe for concurrent use. Printing it with fmt
// shows the algorithm and key ID only, never the key.
type SigningKey struct {
	key crypto.Signer
	alg jose.SignatureAlgorithm
	kid string
	// headers are further JWS headers: the thumbprints of the key's
	// certificate, when one was given (WithCertificate).
	headers map[jose.HeaderKey]string
}

// WithCertificate adds the SHA-1 and SHA-256 thumbprints of the key's X.509
// certificate to every JWT the key signs, as the x5t and x5t#S256 headers
// (RFC 7515 sections 4.1.7 and 4.1.8). Servers that register certificates
// rather than keys, Microsoft Entra ID among them, find the credential by
// them. The certificate must hold the key's public half.
func (k *SigningKey) WithCertificate(certPEM string) error {
	var cert *x509.Certificate
	rest := normalizePEM(certPEM)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return fmt.Errorf("the private key's certificate cannot be read: %w", err)
		}
		if pub, ok := c.PublicKey.(interface{ Equal(crypto.PublicKey) bool }); ok && pub.Equal(k.key.Public()) {
			cert = c
			break
		}
	}
	if cert == nil {
		return errors.New("private_key_certificate_pem holds no certificate for private_key: give the PEM " +
			"certificate whose public key is the private key's")
	}
	sha1Sum := sha1.Sum(cert.Raw)
	sha256Sum := sha256.Sum256(cert.Raw)
	k.headers = map[jose.HeaderKey]string{
		"x5t":      base64.RawURLEncoding.EncodeToString(sha1Sum[:]),
		"x5t#S256": base64.RawURLEncoding.EncodeToString(sha256Sum[:]),
	}
	return nil
}

// ParseSigningKey reads a PEM-encoded private key and settles the algorithm
// it signs with.
//
// The key may be PKCS#8 ("BEGIN PRIVATE KEY": RSA, ECDSA or Ed25519), PKCS#1
// ("BEGIN RSA PRIVATE KEY") or SEC 1 ("BEGIN EC PRIVATE KEY"); other PEM
// blocks around it (certificates, "EC PARAMETERS") are skipped. Encrypted
// keys are refused: the provider has no passphrase to open them with.
//
// When alg is "" the algorithm follows from the key: RS256 for RSA, ES256,
// ES384 or ES512 for an EC key on P-256, P-384 or P-521, EdDSA for Ed25519.
// An explicit alg must be one of SigningAlgorithms and fit the key: RS* and
// PS* need RSA, each ES* its own curve, EdDSA Ed25519. RSA keys must have at
// least 2048 bits.
//
// kid, when not empty, is sent as the JWS "kid" header so the server can
// pick the matching public key from the client's JWK set.
//
// Errors say what is wrong and what to do, and never include key material.
func ParseSigningKey(pemText, alg, kid string) (*SigningKey, error) {
	if alg != "" {
		if err := checkAlgorithmName(alg); err != nil {
			return nil, err
		}
	}
	key, err := parsePrivateKeyPEM(pemText, "the signing key")
	if err != nil {
		return nil, err
	}
	fits, err := algorithmsFor(key)
	if err != nil {
		return nil, err
	}
	if alg == "" {
		alg = fits[0]
	} else if !slices.Contains(fits, alg) {
		return nil, fmt.Errorf("signing_algorithm %q does not fit the signing key: it is %s, which signs with %s; "+
			"set signing_algorithm to one of those, or leave it unset to use %s",
			alg, describePrivateKey(key), strings.Join(fits, ", "), fits[0])
	}
	return &SigningKey{key: key, alg: jose.SignatureAlgorithm(alg), kid: kid}, nil
}

// Algorithm is the JWS "alg" this key signs with, such as "RS256".
func (k *SigningKey) Algorithm() string { return string(k.alg) }

// KeyID is the "kid" header sent with each signature, or "" when none is.
func (k *SigningKey) KeyID() string { return k.kid }

// String describes the key without revealing it. It has a value receiver so
// that a SigningKey printed by value is covered too.
func (k SigningKey) String() string {
	return fmt.Sprintf("SigningKey(alg=%s, kid=%q)", k.alg, k.kid)
}

// GoString keeps %#v from printing the private key.
func (k SigningKey) GoString() string { return k.String() }

// Sign signs claims as a compact JWS (RFC 7515 section 7.1) whose header
// carries alg, typ "JWT" and, when the key has one, kid. The claims are
// encoded with encoding/json as given; Sign adds none.
func (k *SigningKey) Sign(claims map[string]any) (string, error) {
	return signJWT(jose.SigningKey{Algorithm: k.alg, Key: k.key}, k.kid, k.headers, claims)
}

// ClientAssertion builds a client assertion for private_key_jwt client
// authentication (RFC 7523 section 2.2 and section 3, OpenID Connect Core
// section 9): iss and sub are clientID, aud is audience (the token endpoint
// URL, which OpenID Connect requires), jti is 128 random bits in hex, iat
// and nbf are now and exp is now plus ClientAssertionLifetime. It is sent as
// client_assertion, with client_assertion_type set to ClientAssertionType.
func (k *SigningKey) ClientAssertion(clientID, audience string, now time.Time) (string, error) {
	claims, err := clientAssertionClaims(clientID, audience, now)
	if err != nil {
		return "", err
	}
	return k.Sign(claims)
}

// SecretAssertion builds the same client assertion as ClientAssertion,
// signed HS256 with the client secret as the HMAC key (client_secret_jwt,
// OpenID Connect Core section 9; the key is the secret's UTF-8 octets, as
// section 10.1 says). The JWS header carries alg HS256 and typ "JWT".
//
// RFC 7518 section 3.2 requires an HS256 key of at least 32 bytes, and
// go-jose enforces it when signing and verifying, so a shorter secret is
// refused with an error that says so. Servers that support
// client_secret_jwt issue secrets at least that long.
func SecretAssertion(clientID, secret, audience string, now time.Time) (string, error) {
	if secret == "" {
		return "", errors.New("client_secret_jwt signs the assertion with the client secret, and there is no " +
			"client secret")
	}
	if len(secret) < minHMACKeyBytes {
		return "", shortSecretError(len(secret))
	}
	claims, err := clientAssertionClaims(clientID, audience, now)
	if err != nil {
		return "", err
	}
	token, err := signJWT(jose.SigningKey{Algorithm: jose.HS256, Key: []byte(secret)}, "", nil, claims)
	if errors.Is(err, jose.ErrInvalidKeySize) {
		return "", shortSecretError(len(secret))
	}
	return token, err
}

func shortSecretError(n int) error {
	return fmt.Errorf("client_secret_jwt signs the assertion with HS256, which needs a client secret of at least "+
		"%d bytes (RFC 7518 section 3.2, enforced by the JOSE library), and this client secret is %d bytes: "+
		"have the server issue a longer secret, or use client_secret_basic, client_secret_post or "+
		"private_key_jwt instead", minHMACKeyBytes, n)
}

// BearerAssertion builds a JWT authorization grant (RFC 7523 section 2.1),
// sent as the assertion parameter with grant_type
// urn:ietf:params:oauth:grant-type:jwt-bearer. The claims
// are taken as given and completed with what is missing: iss is clientID
// and aud is audience (the token endpoint URL) when those are not empty,
// iat is now, exp is now plus BearerAssertionLifetime, and jti is 128 random
// bits in hex. A claim present in claims always wins, even with a nil
// value. Time claims given should be JSON numbers (seconds since the epoch),
// as RFC 7519 section 2 requires. claims is not modified.
func (k *SigningKey) BearerAssertion(claims map[string]any, clientID, audience string, now time.Time) (string, error) {
	out := maps.Clone(claims)
	if out == nil {
		out = map[string]any{}
	}
	setDefault := func(name string, value any) {
		if _, ok := out[name]; !ok {
			out[name] = value
		}
	}
	if clientID != "" {
		setDefault("iss", clientID)
	}
	if audience != "" {
		setDefault("aud", audience)
	}
	setDefault("iat", now.Unix())
	setDefault("exp", now.Add(BearerAssertionLifetime).Unix())
	if _, ok := out["jti"]; !ok {
		jti, err := newJTI()
		if err != nil {
			return "", err
		}
		out["jti"] = jti
	}
	return k.Sign(out)
}

// clientAssertionClaims are the claims of a client assertion (RFC 7523
// section 3, OpenID Connect Core section 9).
func clientAssertionClaims(clientID, audience string, now time.Time) (map[string]any, error) {
	if clientID == "" {
		return nil, errors.New("a client assertion names the client in its iss and sub claims, and there is no " +
			"client ID")
	}
	if audience == "" {
		return nil, errors.New("a client assertion needs an audience (the token endpoint URL), and none was given")
	}
	jti, err := newJTI()
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"iss": clientID,
		"sub": clientID,
		"aud": audience,
		"jti": jti,
		"iat": now.Unix(),
		"nbf": now.Unix(),
		"exp": now.Add(ClientAssertionLifetime).Unix(),
	}, nil
}

// newJTI returns 128 random bits in hex: a JWT ID no server has seen, so
// that a replayed assertion can be recognised (RFC 7523 section 3, item 7).
func newJTI() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("cannot generate a random JWT ID: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// signJWT signs claims as a compact JWS with typ "JWT" and, when set, kid.
func signJWT(key jose.SigningKey, kid string, headers map[jose.HeaderKey]string, claims map[string]any) (string, error) {
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	for name, value := range headers {
		opts = opts.WithHeader(name, value)
	}
	signer, err := jose.NewSigner(key, opts)
	if err != nil {
		return "", fmt.Errorf("cannot sign the assertion with %s: %w", key.Algorithm, err)
	}
	if claims == nil {
		claims = map[string]any{}
	}
	token, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		return "", fmt.Errorf("cannot sign the assertion with %s: %w", key.Algorithm, err)
	}
	return token, nil
}

// checkAlgorithmName says what is wrong with a signing_algorithm that is
// not one of SigningAlgorithms.
func checkAlgorithmName(alg string) error {
	if slices.Contains(SigningAlgorithms, alg) {
		return nil
	}
	for _, known := range SigningAlgorithms {
		if strings.EqualFold(known, alg) {
			return fmt.Errorf("signing_algorithm %q is not supported: algorithm names are case-sensitive; "+
				"did you mean %q?", alg, known)
		}
	}
	if strings.HasPrefix(strings.ToUpper(alg), "HS") {
		return fmt.Errorf("signing_algorithm %q is an HMAC algorithm, which signs with a shared secret, not a "+
			"private key: use client_secret_jwt to sign with the client secret, or pick one of %s",
			alg, strings.Join(SigningAlgorithms, ", "))
	}
	return fmt.Errorf("signing_algorithm %q is not supported: use one of %s, or leave it unset to pick the "+
		"algorithm from the key", alg, strings.Join(SigningAlgorithms, ", "))
}

// algorithmsFor lists the algorithms a key can sign with, the default first.
func algorithmsFor(key crypto.Signer) ([]string, error) {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if bits := k.N.BitLen(); bits < minRSABits {
			return nil, fmt.Errorf("the signing key is a %d-bit RSA key, and JWT signatures need at least %d bits "+
				"(RFC 7518 section 3.3): generate a new key, for example with "+
				"`openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048`, and register its public key "+
				"with the server", bits, minRSABits)
		}
		return []string{AlgRS256, AlgRS384, AlgRS512, AlgPS256, AlgPS384, AlgPS512}, nil
	case *ecdsa.PrivateKey:
		switch k.Curve {
		case elliptic.P256():
			return []string{AlgES256}, nil
		case elliptic.P384():
			return []string{AlgES384}, nil
		case elliptic.P521():
			return []string{AlgES512}, nil
		}
		return nil, fmt.Errorf("the signing key is %s, and JWS signs only with the P-256, P-384 and P-521 curves "+
			"(ES256, ES384, ES512): generate a key on one of those, for example with "+
			"`openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`", describePrivateKey(key))
	case ed25519.PrivateKey:
		return []string{AlgEdDSA}, nil
	}
	return nil, fmt.Errorf("the signing key is %s, which cannot sign JWTs: use an RSA, EC (P-256, P-384, P-521) "+
		"or Ed25519 key", describePrivateKey(key))
}

// describePrivateKey names a key's type and size, for error messages.
func describePrivateKey(key any) string {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return fmt.Sprintf("a %d-bit RSA key", k.N.BitLen())
	case *ecdsa.PrivateKey:
		return fmt.Sprintf("an EC key on curve %s", k.Curve.Params().Name)
	case ed25519.PrivateKey:
		return "an Ed25519 key"
	case *ecdh.PrivateKey:
		return fmt.Sprintf("an ECDH key on %v (for key agreement only)", k.Curve())
	}
	return fmt.Sprintf("a key of type %T", key)
}

// PEM block types of private keys this package reads.
const (
	pemPKCS8 = "PRIVATE KEY"
	pemPKCS1 = "RSA PRIVATE KEY"
	pemSEC1  = "EC PRIVATE KEY"
)

// parsePrivateKeyPEM reads the one private key in a PEM text. what names
// the input in errors ("the signing key", "the client key"). Blocks that are
// not private keys are skipped, so a key bundled with its certificate reads.
// Errors never quote the input.
func parsePrivateKeyPEM(text, what string) (crypto.Signer, error) {
	rest := normalizePEM(text)
	if len(rest) == 0 {
		return nil, fmt.Errorf("%s is empty: give a PEM-encoded private key, the text that starts with "+
			"-----BEGIN PRIVATE KEY-----", what)
	}
	var keys []*pem.Block
	var skipped []string
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		switch block.Type {
		case pemPKCS8, pemPKCS1, pemSEC1:
			keys = append(keys, block)
		case "ENCRYPTED PRIVATE KEY":
			return nil, encryptedKeyError(what)
		default:
			skipped = append(skipped, block.Type)
		}
	}
	switch {
	case len(keys) > 1:
		return nil, fmt.Errorf("%s holds %d private keys: give exactly one", what, len(keys))
	case len(keys) == 0 && len(skipped) > 0:
		return nil, fmt.Errorf("%s holds no private key, only PEM blocks of type %s: give the private key, the "+
			"block that starts with -----BEGIN PRIVATE KEY----- (or RSA PRIVATE KEY, EC PRIVATE KEY)",
			what, quotePEMTypes(skipped))
	case len(keys) == 0:
		return nil, notPEMError(text, what, "-----BEGIN PRIVATE KEY-----")
	}
	block := keys[0]
	if strings.Contains(block.Headers["Proc-Type"], "ENCRYPTED") {
		return nil, encryptedKeyError(what)
	}
	key, err := parsePrivateKeyDER(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s is a PEM block of type %q whose content is not a PKCS#8, PKCS#1 or SEC 1 "+
			"private key: the key is damaged (check that it was copied whole) or in a format this provider "+
			"does not read; convert it with `openssl pkcs8 -topk8 -nocrypt -in key.pem`", what, block.Type)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%s is %s and cannot sign: use an RSA, EC or Ed25519 key", what, describePrivateKey(key))
	}
	return signer, nil
}

// parsePrivateKeyDER tries each private key syntax in turn, since PEM
// labels are not always right.
func parsePrivateKeyDER(der []byte) (any, error) {
	if key, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		return key, nil
	}
	if key, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return key, nil
	}
	return x509.ParseECPrivateKey(der)
}

// normalizePEM undoes what configuration languages and environment
// variables do to PEM text: it turns literal "\n" sequences back into line
// breaks (when the text has no real ones) and strips the indentation of
// each line. Neither can occur in valid PEM, so a valid text is unchanged.
func normalizePEM(text string) []byte {
	text = strings.TrimSpace(text)
	if !strings.Contains(text, "\n") && strings.Contains(text, `\n`) {
		text = strings.ReplaceAll(text, `\n`, "\n")
	}
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		lines[i] = strings.TrimSpace(line)
	}
	return []byte(strings.Join(lines, "\n"))
}

// notPEMError says why text holds no PEM block at all; begin is the line a
// valid input starts with. It never quotes the text.
func notPEMError(text, what, begin string) error {
	trimmed := strings.TrimSpace(text)
	switch {
	case strings.HasPrefix(trimmed, "{"):
		return fmt.Errorf("%s looks like JSON (a JSON Web Key?), which this provider does not read: give it in "+
			"PEM form, the text that starts with %s", what, begin)
	case strings.Contains(trimmed, "-----BEGIN"):
		return fmt.Errorf("%s has a -----BEGIN line but is not valid PEM: check that the BEGIN and END lines "+
			"match and that the base64 lines between them were copied whole", what)
	case looksLikePath(trimmed):
		return fmt.Errorf("%s is not PEM-encoded; it looks like a file name: give the file's contents, not its "+
			"path (in Terraform, file(\"path\") reads a file)", what)
	}
	return fmt.Errorf("%s is not PEM-encoded: give the text that starts with %s", what, begin)
}

// looksLikePath reports whether a one-line value is probably a file name.
func looksLikePath(s string) bool {
	if strings.ContainsAny(s, "\n") || len(s) > 1024 {
		return false
	}
	for _, suffix := range []string{".pem", ".key", ".crt", ".cer", ".p8"} {
		if strings.HasSuffix(strings.ToLower(s), suffix) {
			return true
		}
	}
	return strings.HasPrefix(s, "/") || strings.HasPrefix(s, "./") || strings.HasPrefix(s, "~/")
}

func encryptedKeyError(what string) error {
	return fmt.Errorf("%s is encrypted, and the provider has no passphrase to open it: decrypt it first, for "+
		"example with `openssl pkey -in encrypted.pem -out key.pem`, and keep the result in a secret store", what)
}

func quotePEMTypes(items []string) string {
	quoted := make([]string, len(items))
	for i, s := range items {
		quoted[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(quoted, ", ")
}

// fingerprint identifies the key by a digest of its public half, for cache
// keys: two keys with one kid must not share tokens.
func (k *SigningKey) fingerprint() string {
	der, err := x509.MarshalPKIXPublicKey(k.key.Public())
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// cacheKey identifies the key and what it puts in the JWTs it signs, for
// CacheKey, without the private key itself.
func (k *SigningKey) cacheKey() string {
	return fmt.Sprint(k.Algorithm(), "/", k.kid, "/", k.fingerprint(), "/", k.headers)
}
