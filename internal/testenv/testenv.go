// Package testenv decides what a test does when something it needs from the
// machine (a Terraform or OpenTofu CLI, Node.js, a built authorization
// server) is not there. Plain `go test ./...` skips such a test with one line
// saying what it needs; `make test` sets OAUTH2_TEST_NO_SKIP=1, which turns
// every such skip into a failure, so CI cannot pass with a test left out.
package testenv

import (
	"os"
	"testing"
)

// NoSkipVar is the environment variable `make test` sets.
const NoSkipVar = "OAUTH2_TEST_NO_SKIP"

// Strict reports whether missing requirements fail tests instead of
// skipping them.
func Strict() bool { return os.Getenv(NoSkipVar) != "" }

// Need skips t (or fails it, under NoSkipVar) when ok is false. need says
// in one line what the test needs and how to get it.
func Need(t testing.TB, ok bool, need string) {
	t.Helper()
	if ok {
		return
	}
	if Strict() {
		t.Fatalf("%s (%s is set, so this is a failure, not a skip)", need, NoSkipVar)
	}
	t.Skip(need)
}

// CLI skips t unless TF_ACC_TERRAFORM_PATH names a Terraform or OpenTofu
// binary, which the GNUmakefile sets; terraform-plugin-testing would
// otherwise try to download Terraform, which this project never does.
func CLI(t testing.TB) {
	t.Helper()
	path := os.Getenv("TF_ACC_TERRAFORM_PATH")
	ok := path != ""
	if ok {
		if _, err := os.Stat(path); err != nil {
			ok = false
		}
	}
	Need(t, ok, "needs a Terraform or OpenTofu CLI in TF_ACC_TERRAFORM_PATH: run `make testacc` (or `make test`), which finds or builds one")
}
