//go:build !windows

package peer

import (
	"os/exec"
	"syscall"
)

// startGroup starts cmd as the leader of a new process group, which dies
// with this process where the system offers that (Pdeathsig on Linux).
func startGroup(cmd *exec.Cmd) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	setPdeathsig(cmd.SysProcAttr)
	return cmd.Start()
}

// killGroup sends SIGTERM (or SIGKILL when hard) to cmd's process group.
func killGroup(cmd *exec.Cmd, hard bool) {
	sig := syscall.SIGTERM
	if hard {
		sig = syscall.SIGKILL
	}
	_ = syscall.Kill(-cmd.Process.Pid, sig)
}
