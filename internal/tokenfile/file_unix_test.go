//go:build unix

package tokenfile

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Whatever the umask, the file is 0600 exactly.
func TestWrite_modeDespiteUmask(t *testing.T) {
	needUnix(t)
	old := syscall.Umask(0o277)
	defer syscall.Umask(old)
	path := filepath.Join(t.TempDir(), "token")
	if err := Write(path, []byte(secret)); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Lstat(path); fi.Mode() != Mode {
		t.Errorf("file mode %s under umask 0277, want %s", fi.Mode(), Mode)
	}
}

func TestWrite_refusesPipe(t *testing.T) {
	needUnix(t)
	path := filepath.Join(t.TempDir(), "token")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	if p := problemOf(t, Write(path, []byte(secret))); p != ProblemNotRegular {
		t.Errorf("problem %q, want %q", p, ProblemNotRegular)
	}
}
