//go:build !unix

package tokenfile

import "io/fs"

// noFollow is 0 where the system has no O_NOFOLLOW: the temporary file is
// created exclusively (O_EXCL), which never opens an existing link, and
// the path itself is checked with Lstat before it is replaced or removed.
const noFollow = 0

// modesApply is false: on Windows permission bits say only whether a file
// is read-only, and a file's access is its access control list, inherited
// from the directory. Keep token files in a directory only the running
// user can read, such as one under the user's profile.
const modesApply = false

// owners cannot tell a file's owner from fs.FileInfo here.
func owners(fs.FileInfo) (owner, user int, ok bool) { return 0, 0, false }
