package testproc

import (
	"os/exec"
	"syscall"
)

var terminate = syscall.SIGTERM

// setDeathSignal kills the server when the test binary dies (a timeout
// panic, a kill), before its cleanups could stop it.
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
