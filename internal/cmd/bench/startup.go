package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/devcli"
)

// The go-plugin handshake settings of terraform-plugin-go's tf6server.
const (
	magicCookieKey   = "TF_PLUGIN_MAGIC_COOKIE"
	magicCookieValue = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
)

// providerStartup starts the provider binary k times the way the CLI does
// (magic cookie, protocol 6, a client certificate for go-plugin's automatic
// mutual TLS) and returns the median time from exec to its handshake line
// on stdout: the fixed cost of every provider process the CLI starts.
func providerStartup(ctx context.Context, bin, tmp string, k int) (time.Duration, error) {
	cert, err := clientCertPEM()
	if err != nil {
		return 0, err
	}
	env := append(devcli.ScrubbedEnviron(dropFromEnv),
		magicCookieKey+"="+magicCookieValue,
		"PLUGIN_PROTOCOL_VERSIONS=6",
		"PLUGIN_CLIENT_CERT="+cert,
		// The unix socket the provider listens on goes where the
		// deferred cleanup finds it.
		"PLUGIN_UNIX_SOCKET_DIR="+tmp,
		"TMPDIR="+tmp,
	)
	var times []time.Duration
	for range k {
		d, err := startOnce(ctx, bin, env)
		if err != nil {
			return 0, err
		}
		times = append(times, d)
	}
	slices.Sort(times)
	return times[len(times)/2], nil
}

func startOnce(ctx context.Context, bin string, env []string) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = env
	cmd.Stderr = io.Discard
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	d := time.Since(start)
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if err != nil {
		return 0, fmt.Errorf("no handshake from the provider: %w", err)
	}
	if fields := strings.Split(line, "|"); len(fields) < 5 || fields[1] != "6" {
		return 0, fmt.Errorf("unexpected handshake line %q", strings.TrimSpace(line))
	}
	return d, nil
}

// clientCertPEM is a throwaway self-signed certificate like the one the CLI
// hands to its plugins.
func clientCertPEM() (string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "localhost"},
		DNSNames:              []string{"localhost"},
		NotBefore:             time.Now().Add(-time.Minute),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), nil
}
