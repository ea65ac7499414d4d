package tokenfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

const secret = "token-abc.def"

func problemOf(t *testing.T, err error) Problem {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T), want a *tokenfile.Error", err, err)
	}
	if strings.Contains(e.Error(), secret) {
		t.Errorf("the error shows the token: %s", e)
	}
	return e.Problem
}

func needUnix(t *testing.T) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("permission bits and owners are Unix rules")
	}
}

// entries lists dir, so tests see stray temporary files.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

func TestWrite_createsFileAndDirectory(t *testing.T) {
	needUnix(t)
	root := t.TempDir()
	path := filepath.Join(root, "a", "b", "token")
	if err := Write(path, []byte(secret)); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil || string(data) != secret {
		t.Fatalf("file holds %q (%v), want the token with no newline", data, err)
	}
	fi, _ := os.Lstat(path)
	if fi.Mode() != Mode {
		t.Errorf("file mode %s, want %s", fi.Mode(), Mode)
	}
	for _, dir := range []string{filepath.Join(root, "a"), filepath.Join(root, "a", "b")} {
		di, _ := os.Stat(dir)
		if di.Mode().Perm() != DirMode {
			t.Errorf("%s created with mode %s, want %s", dir, di.Mode().Perm(), DirMode)
		}
	}
	if names := entries(t, filepath.Dir(path)); len(names) != 1 {
		t.Errorf("the directory holds %v, want the token file alone", names)
	}
}

// A file left by an earlier run (the user's, 0600) is replaced, and the
// directory keeps no temporary file.
func TestWrite_replacesLeftoverFile(t *testing.T) {
	needUnix(t)
	path := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(path, []byte("old-token"), Mode); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Lstat(path)
	if err := Write(path, []byte(secret)); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); string(data) != secret {
		t.Fatalf("file holds %q, want the new token", data)
	}
	after, _ := os.Lstat(path)
	if os.SameFile(before, after) {
		t.Error("the file was rewritten in place, not replaced by a rename")
	}
	if names := entries(t, filepath.Dir(path)); len(names) != 1 {
		t.Errorf("the directory holds %v, want the token file alone", names)
	}
}

// A symbolic link at the path is refused, whether it points at a file or
// nowhere, and its target is left untouched.
func TestWrite_refusesSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, []byte("precious"), Mode); err != nil {
		t.Fatal(err)
	}
	for _, to := range []string{target, filepath.Join(dir, "nowhere")} {
		link := filepath.Join(dir, "link-"+filepath.Base(to))
		if err := os.Symlink(to, link); err != nil {
			t.Skipf("cannot make a symbolic link here: %v", err)
		}
		if p := problemOf(t, Write(link, []byte(secret))); p != ProblemSymlink {
			t.Errorf("link to %s: problem %q, want %q", to, p, ProblemSymlink)
		}
		if p := problemOf(t, Remove(link)); p != ProblemSymlink {
			t.Errorf("removing a link to %s: problem %q, want %q", to, p, ProblemSymlink)
		}
		if _, err := os.Lstat(link); err != nil {
			t.Errorf("the link was removed: %v", err)
		}
	}
	if data, _ := os.ReadFile(target); string(data) != "precious" {
		t.Errorf("the link's target now holds %q", data)
	}
	if _, err := os.Stat(filepath.Join(dir, "nowhere")); !errors.Is(err, fs.ErrNotExist) {
		t.Error("a file was created where the dangling link points")
	}
}

func TestWrite_refusesDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	if p := problemOf(t, Write(path, []byte(secret))); p != ProblemNotRegular {
		t.Errorf("problem %q, want %q", p, ProblemNotRegular)
	}
	if p := problemOf(t, Remove(path)); p != ProblemNotRegular {
		t.Errorf("remove: problem %q, want %q", p, ProblemNotRegular)
	}
}

// A file with any other mode is refused, not re-moded: neither a wider one
// (the token would be readable by others) nor a narrower one.
func TestWrite_refusesOtherModes(t *testing.T) {
	needUnix(t)
	for _, mode := range []fs.FileMode{0o644, 0o640, 0o400, 0o700} {
		path := filepath.Join(t.TempDir(), "token")
		if err := os.WriteFile(path, []byte("someone's"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		if p := problemOf(t, Write(path, []byte(secret))); p != ProblemMode {
			t.Errorf("mode %04o: problem %q, want %q", mode, p, ProblemMode)
		}
		if p := problemOf(t, Remove(path)); p != ProblemMode {
			t.Errorf("remove, mode %04o: problem %q, want %q", mode, p, ProblemMode)
		}
		fi, _ := os.Lstat(path)
		data, _ := os.ReadFile(path)
		if fi.Mode().Perm() != mode || string(data) != "someone's" {
			t.Errorf("mode %04o: the file was changed (mode %04o, %q)", mode, fi.Mode().Perm(), data)
		}
	}
}

// A file of another user is refused. Making one takes root; as anyone else,
// the check is exercised through the function that reads the owner.
func TestWrite_refusesOtherOwner(t *testing.T) {
	needUnix(t)
	path := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(path, []byte("someone's"), Mode); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		t.Skip("giving a file to another user needs root")
	}
	if err := os.Chown(path, 65534, -1); err != nil {
		t.Fatal(err)
	}
	var e *Error
	if err := Write(path, []byte(secret)); !errors.As(err, &e) || e.Problem != ProblemOwner {
		t.Fatalf("error %v, want problem %q", err, ProblemOwner)
	}
	if e.Owner != 65534 || e.User != 0 || !strings.Contains(e.Error(), "65534") {
		t.Errorf("error %q (owner %d, user %d) does not say whose the file is", e, e.Owner, e.User)
	}
	if p := problemOf(t, Remove(path)); p != ProblemOwner {
		t.Errorf("remove: problem %q, want %q", p, ProblemOwner)
	}
	if data, _ := os.ReadFile(path); string(data) != "someone's" {
		t.Errorf("the other user's file now holds %q", data)
	}
}

func TestWrite_refusesRelativePath(t *testing.T) {
	if p := problemOf(t, Write("token", []byte(secret))); p != ProblemRelative {
		t.Errorf("problem %q, want %q", p, ProblemRelative)
	}
	if p := problemOf(t, Check("dir/token")); p != ProblemRelative {
		t.Errorf("check: problem %q, want %q", p, ProblemRelative)
	}
}

// A failed write leaves the old file in place and no temporary file.
func TestWrite_failureKeepsOldFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	path := filepath.Join(dir, "token")
	if err := Write(path, []byte("old-token")); err != nil {
		t.Fatal(err)
	}
	rename = func(string, string) error { return errors.New("disk on fire") }
	defer func() { rename = os.Rename }()
	err := Write(path, []byte(secret))
	if p := problemOf(t, err); p != ProblemIO || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("error %v (problem %q), want the file system's error", err, p)
	}
	if data, _ := os.ReadFile(path); string(data) != "old-token" {
		t.Errorf("file holds %q, want the old token", data)
	}
	if names := entries(t, dir); len(names) != 1 {
		t.Errorf("the directory holds %v, want the token file alone", names)
	}
}

func TestRemove(t *testing.T) {
	needUnix(t)
	path := filepath.Join(t.TempDir(), "token")
	if err := Remove(path); err != nil {
		t.Errorf("removing nothing: %v", err)
	}
	if err := Write(path, []byte(secret)); err != nil {
		t.Fatal(err)
	}
	if err := Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the file is still there: %v", err)
	}
}

// Check passes what Write would replace and refuses what it would refuse,
// creating nothing.
func TestCheck(t *testing.T) {
	needUnix(t)
	dir := t.TempDir()
	missing := filepath.Join(dir, "no", "such", "token")
	if err := Check(missing); err != nil {
		t.Errorf("a path in a missing directory: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "no")); !errors.Is(err, fs.ErrNotExist) {
		t.Error("Check created the directory")
	}
	wide := filepath.Join(dir, "wide")
	if err := os.WriteFile(wide, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_ = os.Chmod(wide, 0o666)
	if p := problemOf(t, Check(wide)); p != ProblemMode {
		t.Errorf("problem %q, want %q", p, ProblemMode)
	}
}
