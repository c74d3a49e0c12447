package peer

import (
	"errors"
	"os/exec"
)

// startGroup fails: peers are started on Unix only.
func startGroup(*exec.Cmd) error {
	return errors.New("peers run on Unix only: there are no process groups to stop them by on Windows")
}

// killGroup kills the process itself.
func killGroup(cmd *exec.Cmd, _ bool) { _ = cmd.Process.Kill() }

// reaper stands for the Unix reaper, which Windows does not have.
type reaper struct{}

// startReaper does nothing on Windows.
func startReaper(int) (*reaper, error) { return nil, nil }

// dismiss does nothing.
func (*reaper) dismiss() {}
