//go:build !linux

package testproc

import (
	"os"
	"os/exec"
)

// Interrupt, which Go delivers as SIGINT on Unix; on Windows it cannot be
// sent, and stop falls back to killing the process.
var terminate = os.Interrupt

// setDeathSignal does nothing here: only Linux can tie a child's life to
// its parent's this simply.
func setDeathSignal(*exec.Cmd) {}
