//go:build !windows

package peer

import (
	"fmt"
	"os"
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

// reaper is a detached shell that kills a process group once this process
// is gone, however it ended (panic, SIGINT, SIGKILL), unless dismissed: it
// waits on its stdin, a pipe whose write end only this process holds, and
// end of file makes it act. A "dismiss" line makes it exit without.
type reaper struct {
	cmd *exec.Cmd
	w   *os.File
}

// startReaper starts a reaper of process group pgid, in a session of its
// own so that signals sent to this process group do not reach it.
func startReaper(pgid int) (*reaper, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("starting the reaper: %w", err)
	}
	script := fmt.Sprintf("read -r line\n[ \"$line\" = dismiss ] && exit 0\nkill -TERM -%d 2>/dev/null; sleep 2; kill -KILL -%d 2>/dev/null\n", pgid, pgid)
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Stdin = r
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	r.Close()
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("starting the reaper: %w", err)
	}
	return &reaper{cmd: cmd, w: w}, nil
}

// dismiss tells the reaper it is not needed and waits for it to exit.
func (r *reaper) dismiss() {
	if r == nil || r.w == nil {
		return
	}
	_, _ = r.w.WriteString("dismiss\n")
	r.w.Close()
	r.w = nil
	_ = r.cmd.Wait()
}
