package oauth2client

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// ErrInsecureHTTP is the error of a request refused because it would send
// credentials or tokens over plain HTTP to a host that is not loopback.
var ErrInsecureHTTP = errors.New("refused to send credentials over plain http:// to a host that is not " +
	"loopback (RFC 6749 section 3.2 requires TLS)")

// isLoopback says whether host (without port) is this machine: localhost or
// a loopback IP address. A name that merely ends in .localhost is not
// trusted: resolvers and proxies may send it elsewhere.
func isLoopback(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// InsecureHTTP says whether sending credentials to raw would cross the
// network in clear: a plain http:// URL to a host that is not loopback.
func InsecureHTTP(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && strings.EqualFold(u.Scheme, "http") && !isLoopback(u.Hostname())
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

// userAgent sets the User-Agent of requests that have none.
type userAgent struct {
	base  http.RoundTripper
	value string
}

func (t userAgent) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Header.Get("User-Agent") == "" {
		r = r.Clone(r.Context())
		r.Header.Set("User-Agent", t.value)
	}
	return t.base.RoundTrip(r)
}
