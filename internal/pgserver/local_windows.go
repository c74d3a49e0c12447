package pgserver

import (
	"context"
	"errors"
)

// errLocalWindows says why the local provider is missing on Windows and
// what to use instead.
var errLocalWindows = errors.New("the local provider is not supported on Windows (it runs initdb and pg_ctl " +
	"under a Unix reaper); use " + EnvProvider + "=docker with a Docker engine, or " +
	EnvProvider + "=postgres://user:pass@host:port/db for a server of your own")

// startLocal fails on Windows with errLocalWindows.
func startLocal(context.Context, Options) (*Server, error) {
	return nil, errLocalWindows
}
