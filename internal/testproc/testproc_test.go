package testproc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/testenv"
)

var fake = Binary{Name: "no-such-server", Product: "Fake v1", EnvVar: "TESTPROC_FAKE_BINARY", Build: "`make fake`"}

// An explicit path that does not exist is never silently replaced by
// bin/<name>: the test skips, saying which variable points nowhere.
func TestNeed_missingExplicitPathSkips(t *testing.T) {
	t.Setenv(testenv.NoSkipVar, "")
	missing := filepath.Join(t.TempDir(), "hydra")
	t.Setenv(fake.EnvVar, missing)

	_, why := fake.find()
	if !strings.Contains(why, fake.EnvVar+"="+missing) || !strings.Contains(why, "no such file") {
		t.Fatalf("why = %q", why)
	}
	if !skips(t, fake) {
		t.Fatal("Need did not skip")
	}
}

func TestNeed_missingBinSkips(t *testing.T) {
	t.Setenv(testenv.NoSkipVar, "")
	t.Setenv(fake.EnvVar, "")
	_, why := fake.find()
	if !strings.Contains(why, "no bin/no-such-server") {
		t.Fatalf("why = %q", why)
	}
	if !skips(t, fake) {
		t.Fatal("Need did not skip")
	}
}

func TestNeed_notExecutable(t *testing.T) {
	t.Setenv(testenv.NoSkipVar, "")
	path := filepath.Join(t.TempDir(), "server")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(fake.EnvVar, path)
	if _, why := fake.find(); !strings.Contains(why, "not an executable") {
		t.Fatalf("why = %q", why)
	}
	if err := os.Chmod(path, 0o700); err != nil {
		t.Fatal(err)
	}
	if got, why := fake.find(); got != path || why != "" {
		t.Fatalf("find = %q, %q; want %q", got, why, path)
	}
}

// skips runs Need in a subtest and reports whether it skipped.
func skips(t *testing.T, b Binary) bool {
	t.Helper()
	skipped := false
	t.Run("need", func(t *testing.T) {
		defer func() { skipped = t.Skipped() }()
		Need(t, b)
	})
	return skipped
}

func TestRepoRoot(t *testing.T) {
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "internal", "testproc", "testproc.go")); err != nil {
		t.Fatalf("repo root %s: %v", root, err)
	}
}
