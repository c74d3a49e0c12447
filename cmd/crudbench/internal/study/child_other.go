//go:build !linux

package study

import "syscall"

// childAttr has nothing to set outside Linux: a child outlives a killed
// study, and its PostgreSQL's reaper removes the server once it ends.
func childAttr() *syscall.SysProcAttr { return nil }
