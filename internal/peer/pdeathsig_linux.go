package peer

import "syscall"

// setPdeathsig has the kernel kill the group leader when this process dies.
func setPdeathsig(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
