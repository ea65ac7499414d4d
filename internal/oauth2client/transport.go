package oauth2client

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// ErrInsecureHTTP is the error of a request refused because it would send
// credentials or tokens over plain HTTP to a host that is not loopback.
var ErrInsecureHTTP = errors.New("refused to send credentials over plain http:// to a host that is not " +
	"loopback; use https:// (RFC 6749 section 3.2 requires TLS), or set allow_insecure_http = true")

// isLoopback says whether host (without port) is this machine: localhost,
// a name under .localhost (RFC 6761), or a loopback IP address.
func isLoopback(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// CheckTransport says what is wrong with sending credentials to raw, or ""
// when it is https, or http to loopback, or http anywhere with allowInsecure.
func CheckTransport(raw string, allowInsecure bool) string {
	u, err := url.Parse(raw)
	if err != nil || allowInsecure || !strings.EqualFold(u.Scheme, "http") || isLoopback(u.Hostname()) {
		return ""
	}
	return fmt.Sprintf("%s uses plain http:// to %s, which is not loopback. Client secrets and tokens would "+
		"cross the network unencrypted; use https:// (RFC 6749 section 3.2 requires TLS), or set "+
		"allow_insecure_http = true if this network is trusted.", u.Redacted(), u.Hostname())
}

// httpsOnly refuses plain-http requests to hosts other than loopback, for
// every request a Client makes: configured, discovered and revocation
// endpoints alike, before anything is sent.
type httpsOnly struct {
	base http.RoundTripper
}

func (t httpsOnly) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Scheme == "http" && !isLoopback(r.URL.Hostname()) {
		if r.Body != nil {
			_ = r.Body.Close()
		}
		return nil, ErrInsecureHTTP
	}
	return t.base.RoundTrip(r)
}

// RedactURL is raw without the password of its userinfo, for logs.
func RedactURL(raw string) string { return redactURL(raw) }
