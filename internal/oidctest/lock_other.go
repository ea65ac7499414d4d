//go:build !unix

package oidctest

import (
	"errors"
	"io/fs"
	"os"
	"time"
)

// errLockTimeout is returned when the lock stays taken for too long.
var errLockTimeout = errors.New("timed out waiting for the lock")

// lockPath takes a lock by creating path+".excl" exclusively, waiting while
// another process holds it; a lock older than 15 minutes is taken as left by
// a dead process and broken.
func lockPath(path string) (unlock func(), err error) {
	excl := path + ".excl"
	deadline := time.Now().Add(20 * time.Minute)
	for {
		f, err := os.OpenFile(excl, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err == nil {
			_ = f.Close()
			return func() { _ = os.Remove(excl) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		if fi, statErr := os.Stat(excl); statErr == nil && time.Since(fi.ModTime()) > 15*time.Minute {
			_ = os.Remove(excl)
			continue
		}
		if time.Now().After(deadline) {
			return nil, errLockTimeout
		}
		time.Sleep(250 * time.Millisecond)
	}
}
