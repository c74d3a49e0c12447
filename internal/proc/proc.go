// Package proc reads the process table of Linux's /proc: a process and
// its descendants, which both pinning PostgreSQL to CPUs and measuring a
// server's CPU time need.
package proc
