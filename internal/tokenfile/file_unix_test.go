//go:build unix

package tokenfile

import (
	"errors"
	"io/fs"
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

// otherOwner is fs.FileInfo of a real file, said to belong to another user.
type otherOwner struct{ fs.FileInfo }

func (o otherOwner) Sys() any {
	sys, ok := o.FileInfo.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	st := *sys
	st.Uid = uint32(os.Geteuid() + 1)
	return &st
}

// The owner rule without root: a file whose Stat_t names another user is
// refused, for writing and for removing.
func TestAcceptable_otherOwner(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(path, []byte("someone's"), Mode); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := acceptable("write", path, fi); err != nil {
		t.Fatalf("the user's own file: %v", err)
	}
	err = acceptable("remove", path, otherOwner{fi})
	var e *Error
	if !errors.As(err, &e) || e.Problem != ProblemOwner || e.Owner != os.Geteuid()+1 || e.User != os.Geteuid() {
		t.Fatalf("error %v, want problem %q naming both users", err, ProblemOwner)
	}
}
