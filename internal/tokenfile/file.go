// Package tokenfile keeps a token in a file on disk for the programs that
// read their credentials from one (client-go's tokenFile, the AWS SDK's
// web_identity_token_file, Google's credential_source.file, a script), and
// says when to replace it with a fresh one (schedule.go).
//
// A token file holds a secret, so every write follows the same rules:
//
//   - the file is written whole or not at all: a temporary file in the same
//     directory, created exclusively with mode 0600, then renamed over the
//     path, so a reader never sees half a token;
//   - the path itself is never followed as a symbolic link, and nothing is
//     written or removed where the path is not a regular file of the running
//     user with mode 0600 (a file left by an earlier run is one, and is
//     replaced); no file's permissions are ever widened;
//   - a missing directory is created with mode 0700.
//
// Symbolic links among the directories above the file are followed, as any
// program's paths are (on macOS, /tmp is one).
//
// It knows nothing of Terraform: the provider words what the errors mean
// for its attributes.
package tokenfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Mode is the only mode a token file has, and the only one an existing file
// at the path may have.
const Mode fs.FileMode = 0o600

// DirMode is the mode of a directory created for a token file.
const DirMode fs.FileMode = 0o700

// Problem says why a path is refused.
type Problem string

const (
	// ProblemRelative: the path is not absolute (callers resolve it first).
	ProblemRelative Problem = "relative"
	// ProblemSymlink: the path is a symbolic link.
	ProblemSymlink Problem = "symlink"
	// ProblemNotRegular: the path is a directory, a device, a socket or a
	// pipe.
	ProblemNotRegular Problem = "not-regular"
	// ProblemOwner: the file belongs to another user.
	ProblemOwner Problem = "owner"
	// ProblemMode: the file's mode is not 0600.
	ProblemMode Problem = "mode"
	// ProblemIO: the file system refused an operation; Err says why.
	ProblemIO Problem = "io"
)

// Error is a refused or failed operation on a token file. It never holds
// the token.
type Error struct {
	// Op is what was attempted: "check", "write" or "remove".
	Op      string
	Path    string
	Problem Problem
	// Mode is the existing file's mode, for ProblemMode and
	// ProblemNotRegular.
	Mode fs.FileMode
	// Owner is the existing file's owner's user ID, for ProblemOwner, and
	// User the running user's.
	Owner, User int
	Err         error
}

func (e *Error) Unwrap() error { return e.Err }

func (e *Error) Error() string {
	switch e.Problem {
	case ProblemRelative:
		return fmt.Sprintf("%s is not an absolute path", e.Path)
	case ProblemSymlink:
		return fmt.Sprintf("%s is a symbolic link, which a token file is never written through", e.Path)
	case ProblemNotRegular:
		return fmt.Sprintf("%s exists and is not a regular file (mode %s)", e.Path, e.Mode)
	case ProblemOwner:
		return fmt.Sprintf("%s belongs to user ID %d, not to the user running the provider (user ID %d)",
			e.Path, e.Owner, e.User)
	case ProblemMode:
		return fmt.Sprintf("%s has mode %04o, not %04o", e.Path, e.Mode.Perm(), Mode)
	}
	return fmt.Sprintf("%s %s: %v", e.Op, e.Path, e.Err)
}

// Check says whether a token file may be written at path: nothing is there,
// or a regular file of the running user with mode 0600. It creates nothing.
func Check(path string) error {
	return check("check", path)
}

func check(op, path string) error {
	if !filepath.IsAbs(path) {
		return &Error{Op: op, Path: path, Problem: ProblemRelative}
	}
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return &Error{Op: op, Path: path, Problem: ProblemIO, Err: err}
	}
	return acceptable(op, path, fi)
}

// acceptable says whether fi, from Lstat of path, is a file a token file
// may replace or remove.
func acceptable(op, path string, fi fs.FileInfo) error {
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return &Error{Op: op, Path: path, Problem: ProblemSymlink}
	case !fi.Mode().IsRegular():
		return &Error{Op: op, Path: path, Problem: ProblemNotRegular, Mode: fi.Mode()}
	}
	if owner, user, ok := owners(fi); ok && owner != user {
		return &Error{Op: op, Path: path, Problem: ProblemOwner, Owner: owner, User: user}
	}
	if modesApply && fi.Mode().Perm() != Mode {
		return &Error{Op: op, Path: path, Problem: ProblemMode, Mode: fi.Mode()}
	}
	return nil
}

// Write puts data in the file at path, atomically: in a temporary file of
// the same directory, created exclusively with mode 0600 and synced, which
// is then renamed over path. The directory is created with mode 0700 when
// it is missing. path must be absolute, and what is there must pass Check;
// a rename never follows a symbolic link, so one put there after the check
// is replaced, not written through.
func Write(path string, data []byte) error {
	if err := check("write", path); err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, DirMode); err != nil {
		return &Error{Op: "write", Path: path, Problem: ProblemIO, Err: err}
	}
	tmp, err := createTemp(dir, filepath.Base(path))
	if err != nil {
		return &Error{Op: "write", Path: path, Problem: ProblemIO, Err: err}
	}
	name := tmp.Name()
	fail := func(err error) error {
		_ = tmp.Close()
		_ = os.Remove(name)
		return &Error{Op: "write", Path: path, Problem: ProblemIO, Err: err}
	}
	// The umask may have taken bits away; the file is 0600, no more and no
	// less, whatever it is.
	if err := tmp.Chmod(Mode); err != nil && modesApply {
		return fail(err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		_ = os.Remove(name)
		return &Error{Op: "write", Path: path, Problem: ProblemIO, Err: err}
	}
	if err := rename(name, path); err != nil {
		_ = os.Remove(name)
		return &Error{Op: "write", Path: path, Problem: ProblemIO, Err: err}
	}
	return nil
}

// rename is os.Rename; tests make it fail.
var rename = os.Rename

// createTemp creates a new file in dir for base, exclusively, never through
// a symbolic link.
func createTemp(dir, base string) (*os.File, error) {
	for range 10 {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, err
		}
		name := filepath.Join(dir, "."+base+".tmp-"+hex.EncodeToString(b[:]))
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|noFollow, Mode)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, errors.New("no unused name for a temporary file")
}

// Remove deletes the token file at path. It removes only what a token file
// may be (see Check) and reports anything else there as an *Error, leaving
// it alone; a path with nothing there is no error.
func Remove(path string) error {
	if !filepath.IsAbs(path) {
		return &Error{Op: "remove", Path: path, Problem: ProblemRelative}
	}
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return &Error{Op: "remove", Path: path, Problem: ProblemIO, Err: err}
	}
	if err := acceptable("remove", path, fi); err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return &Error{Op: "remove", Path: path, Problem: ProblemIO, Err: err}
	}
	return nil
}
