package devcli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// HTTPServer is an HTTP server a development program runs on a TCP address
// of its own: the bundled token server, alone or with other endpoints.
type HTTPServer struct {
	// URL is the server's base URL, "http://<ip>:<port>", with the port
	// the system chose when the address asked for port 0.
	URL string
	// Addr is the address it listens on.
	Addr net.Addr

	srv  *http.Server
	done chan error
}

// Serve listens on addr (host:port, as net.Listen takes it) and serves h
// there in the background. An address that cannot be listened on is an
// error now, not later.
func Serve(addr string, h http.Handler) (*HTTPServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &HTTPServer{
		URL:  "http://" + ln.Addr().String(),
		Addr: ln.Addr(),
		srv:  &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second},
		done: make(chan error, 1),
	}
	go func() {
		err := s.srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
		close(s.done)
	}()
	return s, nil
}

// Done delivers the error that stopped the server, or nil after Shutdown,
// once, and is then closed.
func (s *HTTPServer) Done() <-chan error { return s.done }

// Shutdown stops accepting connections and waits up to 5 seconds for the
// requests in flight to finish.
func (s *HTTPServer) Shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.srv.Shutdown(ctx)
}

// StartTokenServer serves h, the bundled token server
// (internal/tokenserver) or a handler wrapping it, on a free loopback port
// (127.0.0.1:0). It returns the token endpoint's URL
// ("http://127.0.0.1:<port>/token") and a function that shuts the server
// down, waiting up to 5 seconds for requests in flight.
func StartTokenServer(h http.Handler) (tokenURL string, stop func(), err error) {
	s, err := Serve("127.0.0.1:0", h)
	if err != nil {
		return "", nil, fmt.Errorf("starting the local token server: %w", err)
	}
	go func() {
		if err := <-s.Done(); err != nil {
			Logf("token server: %v", err)
		}
	}()
	return s.URL + "/token", func() { _ = s.Shutdown() }, nil
}
