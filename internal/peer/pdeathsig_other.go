//go:build !linux && !windows

package peer

import "syscall"

// setPdeathsig does nothing: only Linux has Pdeathsig; the reaper covers
// the other systems.
func setPdeathsig(*syscall.SysProcAttr) {}
