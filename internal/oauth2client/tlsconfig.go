package oauth2client

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// TLSOptions are the provider's TLS settings, applied to every request it
// makes. Empty strings mean "not set". Printing TLSOptions with fmt shows
// which settings are set, never the key.
type TLSOptions struct {
	// ClientCertificatePEM is the client certificate for mutual TLS
	// (RFC 8705), optionally followed by the intermediate certificates
	// that chain it to a CA the server trusts.
	ClientCertificatePEM string
	// ClientKeyPEM is the private key of the client certificate: PKCS#8,
	// PKCS#1 (RSA) or SEC 1 (EC), unencrypted.
	ClientKeyPEM string
	// CACertificatePEM holds one or more certificates trusted to issue the
	// server's certificate, in addition to the system's roots.
	CACertificatePEM string
	// InsecureSkipVerify turns off verification of the server's
	// certificate. For tests against servers with throwaway certificates
	// only: anyone on the path can then read the credentials.
	InsecureSkipVerify bool
}

// String says which settings are set, without their values.
func (o TLSOptions) String() string {
	set := func(v string) string {
		if v == "" {
			return "unset"
		}
		return "set"
	}
	return fmt.Sprintf("TLSOptions(client_certificate=%s, client_key=%s, ca_certificate=%s, insecure_skip_verify=%t)",
		set(o.ClientCertificatePEM), set(o.ClientKeyPEM), set(o.CACertificatePEM), o.InsecureSkipVerify)
}

// GoString keeps %#v from printing the client key.
func (o TLSOptions) GoString() string { return o.String() }

// TLSConfig builds the client TLS configuration these options describe, or
// returns nil, nil when none is set, so that the transport keeps its
// defaults.
//
// CACertificatePEM is added to the system's roots (or used alone where the
// system has none that Go can read), so public servers stay reachable. The
// client certificate and key must be set together and belong together; the
// certificate is then sent whenever the server asks for one, even when the
// certificate authorities the server lists do not seem to match (as curl
// does), so that a mismatch shows as the server's refusal rather than as a
// certificate silently left out. InsecureSkipVerify is passed through.
//
// The configuration sets no NextProtos, so a transport cloned from
// http.DefaultTransport still negotiates HTTP/2 through
// ForceAttemptHTTP2. Errors say which setting is wrong and never include
// key material.
func (o TLSOptions) TLSConfig() (*tls.Config, error) {
	if o.ClientCertificatePEM == "" && o.ClientKeyPEM == "" && o.CACertificatePEM == "" && !o.InsecureSkipVerify {
		return nil, nil
	}
	cfg := &tls.Config{
		MinVersion: tls.VersionTLS12,
		// Only when the configuration asks for it; see InsecureSkipVerify.
		InsecureSkipVerify: o.InsecureSkipVerify,
	}

	if o.CACertificatePEM != "" {
		cas, err := parseCertificatesPEM(o.CACertificatePEM, "the CA certificate")
		if err != nil {
			return nil, err
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		for _, ca := range cas {
			pool.AddCert(ca)
		}
		cfg.RootCAs = pool
	}

	switch {
	case o.ClientCertificatePEM != "" && o.ClientKeyPEM == "":
		return nil, errors.New("a client certificate is set but its private key is not: set the client key " +
			"too, or remove the client certificate")
	case o.ClientCertificatePEM == "" && o.ClientKeyPEM != "":
		return nil, errors.New("a client key is set but the client certificate it belongs to is not: set the " +
			"client certificate too, or remove the client key")
	case o.ClientCertificatePEM != "":
		pair, err := clientCertificate(o.ClientCertificatePEM, o.ClientKeyPEM)
		if err != nil {
			return nil, err
		}
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return pair, nil
		}
	}
	return cfg, nil
}

// clientCertificate pairs a certificate chain with its private key.
func clientCertificate(certPEM, keyPEM string) (*tls.Certificate, error) {
	chain, err := parseCertificatesPEM(certPEM, "the client certificate")
	if err != nil {
		if _, keyIsCert := parseCertificatesPEM(keyPEM, ""); keyIsCert == nil {
			return nil, errors.New("the client certificate and the client key are swapped: the certificate " +
				"setting holds no certificate and the key setting holds one; exchange them")
		}
		return nil, err
	}
	key, err := parsePrivateKeyPEM(keyPEM, "the client key")
	if err != nil {
		return nil, err
	}
	leaf := chain[0]
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(leaf.PublicKey) {
		return nil, fmt.Errorf("the client key does not belong to the client certificate (subject %q): give the "+
			"private key the certificate was issued for, and put the client's own certificate first when the "+
			"certificate text also holds intermediates", leaf.Subject.String())
	}
	pair := &tls.Certificate{PrivateKey: key, Leaf: leaf}
	for _, c := range chain {
		pair.Certificate = append(pair.Certificate, c.Raw)
	}
	return pair, nil
}

// parseCertificatesPEM reads every certificate of a PEM text; what names
// the input in errors. A private key in it is an error (a certificate
// setting is no place for one, and it would be shown in plan output), other
// blocks are refused by type.
func parseCertificatesPEM(text, what string) ([]*x509.Certificate, error) {
	rest := normalizePEM(text)
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		switch block.Type {
		case "CERTIFICATE":
			cert, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("certificate %d of %s cannot be read: %w; check that it was copied whole",
					len(certs)+1, what, err)
			}
			certs = append(certs, cert)
		case pemPKCS8, pemPKCS1, pemSEC1, "ENCRYPTED PRIVATE KEY":
			return nil, fmt.Errorf("%s holds a private key, which does not belong there: give only "+
				"certificates, the text that starts with -----BEGIN CERTIFICATE-----", what)
		default:
			return nil, fmt.Errorf("%s holds a PEM block of type %q, where only CERTIFICATE blocks are read: "+
				"give the certificate in PEM form, the text that starts with -----BEGIN CERTIFICATE-----",
				what, block.Type)
		}
	}
	if len(certs) == 0 {
		return nil, notPEMError(text, what, "-----BEGIN CERTIFICATE-----")
	}
	return certs, nil
}
