// Command server runs the bundled token server (internal/tokenserver) on
// an address of your choice until it is interrupted, so that you can point
// your own configuration at it. `make server` runs it.
//
// Usage:
//
//	go run ./internal/cmd/server [-addr 127.0.0.1:8080]
//
// It serves two token endpoints in different dialects, the JWK Set of the
// JWT access tokens one client gets, and metadata for issuer_url (see
// endpoints.go), then prints the OAUTH2_* variables to export and every
// client with its secret and settings on standard output. Each request is
// logged on standard error, without secrets or tokens. An interrupt
// (Ctrl-C) or SIGTERM shuts it down cleanly, letting requests in flight
// finish.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/devcli"
)

// defaultAddr is loopback only: the server hands out tokens to anyone
// with the secrets it prints.
const defaultAddr = "127.0.0.1:8080"

func main() {
	devcli.Main("server", func(ctx context.Context) error {
		return run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	})
}

// run serves until ctx is done, then shuts the server down. The banner
// goes to stdout, the request log to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("server", flag.ContinueOnError)
	flags.SetOutput(stderr)
	addr := flags.String("addr", defaultAddr, "`host:port` to listen on; port 0 picks a free port")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q; the only flag is -addr", flags.Args())
	}

	eps := endpoints()
	srv, err := devcli.Serve(*addr, newHandler(eps, stderr))
	if err != nil {
		return fmt.Errorf("cannot listen on %s (choose another address, e.g. make server ADDR=127.0.0.1:8081): %w", *addr, err)
	}
	base, note := clientURL(srv.Addr)
	writeBanner(stdout, base, eps, note)

	select {
	case err := <-srv.Done():
		return fmt.Errorf("the token server stopped: %w", err)
	case <-ctx.Done():
	}
	fmt.Fprintln(stderr, "==> shutting down")
	if err := srv.Shutdown(); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-srv.Done(); err != nil {
		return err
	}
	fmt.Fprintln(stderr, "==> token server stopped")
	return nil
}

// clientURL is the URL a client on this machine uses for the server
// listening at addr, and a note when that address is not loopback only.
func clientURL(addr net.Addr) (string, string) {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return "http://" + addr.String(), ""
	}
	switch {
	case tcp.IP.IsLoopback():
		return "http://" + tcp.String(), ""
	case tcp.IP.IsUnspecified():
		local := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: tcp.Port}
		return "http://" + local.String(), fmt.Sprintf("listening on every interface (%s): other machines can get tokens "+
			"with the secrets above. From them, the provider needs allow_insecure_http = true, since this is plain http://.", tcp)
	default:
		return "http://" + tcp.String(), fmt.Sprintf("%s is not a loopback address: the provider refuses plain http:// "+
			"to it unless allow_insecure_http = true, and other machines can get tokens with the secrets above.", tcp.IP)
	}
}
