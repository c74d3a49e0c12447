//go:build !windows

package peer_test

import (
	"os"
	"os/signal"
	"syscall"
)

func notifyTerm(c chan os.Signal) { signal.Notify(c, syscall.SIGTERM) }
