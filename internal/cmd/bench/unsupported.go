//go:build !linux

// Command bench is Linux only; see main.go.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "bench: Linux only (it reads the provider's peak RSS from ru_maxrss, in KiB there, and relies on Pdeathsig)")
	os.Exit(2)
}
