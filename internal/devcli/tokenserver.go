package devcli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// StartTokenServer serves h, the bundled token server
// (internal/tokenserver) or a handler wrapping it, on a free loopback port
// (127.0.0.1:0). It returns the token endpoint's URL
// ("http://127.0.0.1:<port>/token") and a function that shuts the server
// down, waiting up to 5 seconds for requests in flight.
func StartTokenServer(h http.Handler) (tokenURL string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("starting the local token server: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			Logf("token server: %v", err)
		}
	}()
	stop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}
	return "http://" + ln.Addr().String() + "/token", stop, nil
}
