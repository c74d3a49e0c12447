package pgserver

import "errors"

// credential is the user a process runs as; not used on Windows.
type credential struct{}

// reaper stands for the Unix reaper, which Windows does not have.
type reaper struct{}

// startReaper fails: there is no sh to run cleanup on Windows.
func startReaper(string, *credential) (*reaper, error) {
	return nil, errors.New("no reaper on Windows: a server is left behind if this process dies before stopping it")
}

// dismiss does nothing.
func (*reaper) dismiss() {}
