package oauth2client

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// tlsTestCA is a certificate authority made for one test.
type tlsTestCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  string
}

func newTLSTestCA(t *testing.T, name string) *tlsTestCA {
	t.Helper()
	key := jwtTestECKey(t, elliptic.P256())
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &tlsTestCA{cert: cert, key: key, pem: pemText("CERTIFICATE", der)}
}

func (ca *tlsTestCA) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// issueClient returns a client certificate for commonName and its key, both
// PEM-encoded.
func (ca *tlsTestCA) issueClient(t *testing.T, commonName string) (certPEM, keyPEM string) {
	t.Helper()
	key := jwtTestECKey(t, elliptic.P256())
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: commonName},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return pemText("CERTIFICATE", der), sec1PEM(t, key)
}

// peerNameHandler answers with the common name of the client certificate,
// or "anonymous".
var peerNameHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		_, _ = io.WriteString(w, "anonymous")
		return
	}
	_, _ = io.WriteString(w, r.TLS.PeerCertificates[0].Subject.CommonName)
})

// startTLSTestServer starts an HTTPS server with the given client
// authentication and returns it with its certificate in PEM.
func startTLSTestServer(t *testing.T, clientAuth tls.ClientAuthType, clientCAs *x509.CertPool) (*httptest.Server, string) {
	t.Helper()
	srv := httptest.NewUnstartedServer(peerNameHandler)
	srv.TLS = &tls.Config{ClientAuth: clientAuth, ClientCAs: clientCAs}
	// Failed handshakes are the point of some tests; keep them off stderr.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, pemText("CERTIFICATE", srv.Certificate().Raw)
}

// tlsTestGet requests url through a transport using opts, as the provider
// would, and returns the body.
func tlsTestGet(t *testing.T, opts TLSOptions, url string) (string, error) {
	t.Helper()
	cfg, err := opts.TLSConfig()
	if err != nil {
		t.Fatalf("TLSConfig: %v", err)
	}
	base, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		t.Fatalf("http.DefaultTransport is a %T", http.DefaultTransport)
	}
	transport := base.Clone()
	transport.TLSClientConfig = cfg
	t.Cleanup(transport.CloseIdleConnections)
	client := &http.Client{Transport: transport, Timeout: 10 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return string(body), err
}

func TestTLSConfig_mutualTLS(t *testing.T) {
	ca := newTLSTestCA(t, "Test Client CA")
	certPEM, keyPEM := ca.issueClient(t, "client-123")
	srv, serverCA := startTLSTestServer(t, tls.RequireAndVerifyClientCert, ca.pool())

	t.Run("client certificate and server CA", func(t *testing.T) {
		body, err := tlsTestGet(t, TLSOptions{ClientCertificatePEM: certPEM, ClientKeyPEM: keyPEM, CACertificatePEM: serverCA}, srv.URL)
		if err != nil {
			t.Fatalf("request failed: %v", err)
		}
		if body != "client-123" {
			t.Fatalf("server saw client %q, want client-123", body)
		}
	})

	t.Run("PKCS#8 key and chain with CA", func(t *testing.T) {
		key, err := parsePrivateKeyPEM(keyPEM, "test key")
		if err != nil {
			t.Fatal(err)
		}
		opts := TLSOptions{ClientCertificatePEM: certPEM + ca.pem, ClientKeyPEM: pkcs8PEM(t, key), CACertificatePEM: serverCA}
		body, err := tlsTestGet(t, opts, srv.URL)
		if err != nil || body != "client-123" {
			t.Fatalf("body = %q, err = %v", body, err)
		}
	})

	t.Run("without client certificate the handshake fails", func(t *testing.T) {
		_, err := tlsTestGet(t, TLSOptions{CACertificatePEM: serverCA}, srv.URL)
		if err == nil || !strings.Contains(err.Error(), "certificate required") {
			t.Fatalf("err = %v, want the server's certificate required alert", err)
		}
	})

	t.Run("certificate from another CA is refused", func(t *testing.T) {
		otherCert, otherKey := newTLSTestCA(t, "Other CA").issueClient(t, "intruder")
		_, err := tlsTestGet(t, TLSOptions{ClientCertificatePEM: otherCert, ClientKeyPEM: otherKey, CACertificatePEM: serverCA}, srv.URL)
		if err == nil || !strings.Contains(err.Error(), "unknown certificate authority") {
			t.Fatalf("err = %v, want the server's unknown certificate authority alert (the certificate was sent and refused)", err)
		}
	})

	t.Run("insecure skip verify without CA connects", func(t *testing.T) {
		body, err := tlsTestGet(t, TLSOptions{ClientCertificatePEM: certPEM, ClientKeyPEM: keyPEM, InsecureSkipVerify: true}, srv.URL)
		if err != nil || body != "client-123" {
			t.Fatalf("body = %q, err = %v", body, err)
		}
	})

	t.Run("without CA the server is not trusted", func(t *testing.T) {
		_, err := tlsTestGet(t, TLSOptions{ClientCertificatePEM: certPEM, ClientKeyPEM: keyPEM}, srv.URL)
		if err == nil || !strings.Contains(err.Error(), "x509: certificate signed by unknown authority") {
			t.Fatalf("err = %v, want a certificate verification failure", err)
		}
	})
}

func TestTLSConfig_insecureSkipVerifyAlone(t *testing.T) {
	srv, _ := startTLSTestServer(t, tls.NoClientCert, nil)
	body, err := tlsTestGet(t, TLSOptions{InsecureSkipVerify: true}, srv.URL)
	if err != nil || body != "anonymous" {
		t.Fatalf("body = %q, err = %v", body, err)
	}
}

// A server may name acceptable CAs that do not match the client's issuer
// (a proxy, an intermediate); the certificate is sent anyway, as curl does.
func TestTLSConfig_sendsCertificateWhateverCAsServerLists(t *testing.T) {
	ca := newTLSTestCA(t, "Client CA")
	certPEM, keyPEM := ca.issueClient(t, "client-xyz")
	srv, serverCA := startTLSTestServer(t, tls.RequestClientCert, newTLSTestCA(t, "Unrelated CA").pool())

	body, err := tlsTestGet(t, TLSOptions{ClientCertificatePEM: certPEM, ClientKeyPEM: keyPEM, CACertificatePEM: serverCA}, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if body != "client-xyz" {
		t.Fatalf("server saw %q: the certificate was not sent", body)
	}
}

func TestTLSConfig_nothingSet(t *testing.T) {
	cfg, err := TLSOptions{}.TLSConfig()
	if cfg != nil || err != nil {
		t.Fatalf("TLSConfig() = %v, %v; want nil, nil", cfg, err)
	}
}

func TestTLSConfig_settings(t *testing.T) {
	ca := newTLSTestCA(t, "CA")
	certPEM, keyPEM := ca.issueClient(t, "c")

	cfg, err := TLSOptions{InsecureSkipVerify: true}.TLSConfig()
	if err != nil || cfg == nil || !cfg.InsecureSkipVerify || cfg.RootCAs != nil || cfg.GetClientCertificate != nil {
		t.Fatalf("insecure only: %+v, %v", cfg, err)
	}

	cfg, err = TLSOptions{CACertificatePEM: ca.pem}.TLSConfig()
	if err != nil || cfg == nil || cfg.InsecureSkipVerify || cfg.RootCAs == nil {
		t.Fatalf("CA only: %+v, %v", cfg, err)
	}
	if _, err := ca.cert.Verify(x509.VerifyOptions{Roots: cfg.RootCAs}); err != nil {
		t.Fatalf("the CA is not trusted by RootCAs: %v", err)
	}

	cfg, err = TLSOptions{ClientCertificatePEM: certPEM, ClientKeyPEM: keyPEM}.TLSConfig()
	if err != nil || cfg == nil || cfg.GetClientCertificate == nil || cfg.RootCAs != nil {
		t.Fatalf("client pair only: %+v, %v", cfg, err)
	}
	pair, err := cfg.GetClientCertificate(&tls.CertificateRequestInfo{})
	if err != nil || len(pair.Certificate) != 1 || pair.Leaf == nil || pair.Leaf.Subject.CommonName != "c" {
		t.Fatalf("client certificate = %+v, %v", pair, err)
	}
	if _, ok := pair.PrivateKey.(crypto.Signer); !ok {
		t.Fatalf("private key is %T", pair.PrivateKey)
	}
}

func TestTLSConfig_errors(t *testing.T) {
	ca := newTLSTestCA(t, "CA")
	certPEM, keyPEM := ca.issueClient(t, "client")
	_, otherKeyPEM := ca.issueClient(t, "other")

	tests := []struct {
		name string
		opts TLSOptions
		want []string
	}{
		{"certificate without key", TLSOptions{ClientCertificatePEM: certPEM}, []string{"client certificate is set", "private key is not"}},
		{"key without certificate", TLSOptions{ClientKeyPEM: keyPEM}, []string{"client key is set", "client certificate it belongs to is not"}},
		{"mismatched pair", TLSOptions{ClientCertificatePEM: certPEM, ClientKeyPEM: otherKeyPEM}, []string{"does not belong to the client certificate", `"CN=client"`}},
		{"swapped pair", TLSOptions{ClientCertificatePEM: keyPEM, ClientKeyPEM: certPEM}, []string{"swapped", "exchange them"}},
		{"key as certificate", TLSOptions{ClientCertificatePEM: keyPEM, ClientKeyPEM: keyPEM}, []string{"the client certificate holds a private key"}},
		{"garbage key", TLSOptions{ClientCertificatePEM: certPEM, ClientKeyPEM: "not a key"}, []string{"the client key is not PEM-encoded"}},
		{"key path", TLSOptions{ClientCertificatePEM: certPEM, ClientKeyPEM: "./client.key"}, []string{"the client key", "file name"}},
		{"garbage CA", TLSOptions{CACertificatePEM: "hello"}, []string{"the CA certificate is not PEM-encoded", "-----BEGIN CERTIFICATE-----"}},
		{"key as CA", TLSOptions{CACertificatePEM: keyPEM}, []string{"the CA certificate holds a private key"}},
		{"damaged CA", TLSOptions{CACertificatePEM: pemText("CERTIFICATE", []byte("nope"))}, []string{"certificate 1 of the CA certificate cannot be read"}},
		{"public key as CA", TLSOptions{CACertificatePEM: pemText("PUBLIC KEY", []byte("nope"))}, []string{`type "PUBLIC KEY"`, "only CERTIFICATE blocks"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := tt.opts.TLSConfig()
			if err == nil {
				t.Fatalf("TLSConfig succeeded: %+v", cfg)
			}
			t.Log(err)
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%s", w, err)
				}
			}
			assertNoPEM(t, err, keyPEM, otherKeyPEM)
		})
	}
}

func TestTLSOptions_printsNoKey(t *testing.T) {
	ca := newTLSTestCA(t, "CA")
	certPEM, keyPEM := ca.issueClient(t, "c")
	opts := TLSOptions{ClientCertificatePEM: certPEM, ClientKeyPEM: keyPEM}
	for _, s := range []string{fmt.Sprint(opts), fmt.Sprintf("%+v", opts), fmt.Sprintf("%#v", opts), fmt.Sprintf("%v", &opts)} {
		if strings.Contains(s, "PRIVATE KEY") || strings.Contains(s, strings.Split(keyPEM, "\n")[1]) {
			t.Fatalf("formatting TLSOptions shows the key: %s", s)
		}
		if !strings.Contains(s, "client_key=set") || !strings.Contains(s, "ca_certificate=unset") {
			t.Fatalf("formatting TLSOptions gives %q", s)
		}
	}
}
