package proc

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Stat returns the fields of a /proc/PID/stat or /proc/PID/task/TID/stat
// file after the command name, which may hold spaces and parentheses:
// [0] is the state, [1] the parent's PID, [11] utime and [12] stime.
func Stat(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil, fmt.Errorf("%s: no command name", path)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return nil, fmt.Errorf("%s: %d fields", path, len(f))
	}
	return f, nil
}

// Tree returns root and every process descended from it, parents before
// their children. A process for which prune returns true is left out with
// its descendants; prune may be nil. Processes that end while /proc is
// read are skipped.
func Tree(root int, prune func(pid int) bool) ([]int, error) {
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", root)); err != nil {
		return nil, fmt.Errorf("process %d: %w", root, err)
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("listing processes: %w", err)
	}
	kids := make(map[int][]int)
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		f, err := Stat(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // ended meanwhile
		}
		if ppid, err := strconv.Atoi(f[1]); err == nil {
			kids[ppid] = append(kids[ppid], pid)
		}
	}
	out := []int{root}
	for i := 0; i < len(out); i++ {
		for _, k := range kids[out[i]] {
			if prune == nil || !prune(k) {
				out = append(out, k)
			}
		}
	}
	return out, nil
}

// Comm returns the command name of process pid, or "" if it has ended.
func Comm(pid int) string {
	c, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(c))
}
