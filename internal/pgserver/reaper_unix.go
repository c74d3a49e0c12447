//go:build !windows

package pgserver

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

// credential is the user a process runs as.
type credential = syscall.Credential

// reaper is a detached shell that runs a cleanup script once this process
// is gone, however it ended (panic, SIGINT, SIGKILL), unless dismissed.
type reaper struct {
	cmd *exec.Cmd
	w   *os.File // the write end of its stdin, held by this process only
}

// startReaper starts cleanup, a sh script, in a session of its own (signals
// sent to this process group do not reach it) as cred (nil: this user).
// The shell waits on its stdin, a pipe whose write end only this process
// holds: the kernel closes it when this process ends, and end of file makes
// the shell run cleanup; a "dismiss" line makes it exit without. Unlike
// polling a pid (/proc is Linux's, and kill -0 fails across users), this
// works on every Unix and under any credentials.
func startReaper(cleanup string, cred *credential) (*reaper, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("starting reaper: %w", err)
	}
	cmd := exec.Command("/bin/sh", "-c", "read -r line\n[ \"$line\" = dismiss ] && exit 0\n"+cleanup)
	cmd.Stdin = r
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Credential: cred}
	err = cmd.Start()
	r.Close()
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("starting reaper: %w", err)
	}
	return &reaper{cmd: cmd, w: w}, nil
}

// dismiss tells the reaper that it is not needed and waits for it to exit.
func (r *reaper) dismiss() {
	if r == nil || r.w == nil {
		return
	}
	_, _ = r.w.WriteString("dismiss\n")
	r.w.Close()
	r.w = nil
	_ = r.cmd.Wait()
}
