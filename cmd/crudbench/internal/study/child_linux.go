package study

import "syscall"

// childAttr makes the kernel send SIGTERM to a child when this process
// dies, so that it drains and removes its PostgreSQL as on a normal stop.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
