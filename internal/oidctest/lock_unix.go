//go:build unix

package oidctest

import (
	"os"
	"syscall"
)

// lockPath takes an exclusive flock(2) on path, creating it if needed, and
// returns the function that releases it. The kernel releases the lock if the
// process dies, so a killed test binary never leaves it stale.
func lockPath(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		_ = f.Close()
	}, nil
}
