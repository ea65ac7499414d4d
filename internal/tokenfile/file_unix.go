//go:build unix

package tokenfile

import (
	"io/fs"
	"os"
	"syscall"
)

// noFollow makes opening a symbolic link fail. The temporary file is
// created exclusively, which refuses a link already, so this is a second
// lock on the same door.
const noFollow = syscall.O_NOFOLLOW

// modesApply says whether permission bits mean what they say: on Unix they
// do, and a token file is 0600.
const modesApply = true

// owners returns the user ID that owns fi and the running user's.
func owners(fi fs.FileInfo) (owner, user int, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, false
	}
	return int(st.Uid), os.Geteuid(), true
}
