//go:build linux

package compare

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/crudbench/crudbench/internal/proc"
	"golang.org/x/sys/unix"
)

// userHZ is the unit of utime and stime in /proc/PID/stat: USER_HZ, which
// is 100 on every Linux architecture Go supports.
const userHZ = 100

// procAvailable reports whether this system has /proc to measure with.
func procAvailable() bool {
	_, err := os.Stat("/proc/self/stat")
	return err == nil
}

// treePIDs returns root and every process descended from it, except
// PostgreSQL's: a server that started its own PostgreSQL has that
// counted with the backends.
func treePIDs(root int) ([]int, error) {
	return proc.Tree(root, func(pid int) bool { return proc.Comm(pid) == "postgres" })
}

// processCPU sets into[PID] to the CPU time of each process of pids, in ns:
// its CPU-time clock (clock_gettime on MAKE_PROCESS_CPUCLOCK), which also
// holds the time of its threads that have ended (a server that starts a
// thread per connection ends most of them between two readings). Where the
// kernel refuses that clock, the sum over its live threads of
// /proc/PID/task/TID/schedstat (ns), or of utime+stime (clock ticks) where
// there is no schedstat. A process that has ended is skipped.
func processCPU(pids []int, into map[int]int64) {
	for _, pid := range pids {
		var ts unix.Timespec
		if err := unix.ClockGettime(processClock(pid), &ts); err == nil {
			into[pid] = ts.Nano()
			continue
		}
		if ns, ok := liveThreadsCPU(pid); ok {
			into[pid] = ns
		}
	}
}

// processClock is the clock id of the CPU time of process pid, as glibc's
// clock_getcpuclockid makes it: (^pid << 3) | CPUCLOCK_SCHED.
func processClock(pid int) int32 { return int32(^pid<<3 | 2) }

// liveThreadsCPU sums the CPU time of pid's live threads, in ns.
func liveThreadsCPU(pid int) (int64, bool) {
	dir := fmt.Sprintf("/proc/%d/task", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0, false
	}
	var sum int64
	for _, e := range ents {
		if ns, ok := schedstat(filepath.Join(dir, e.Name(), "schedstat")); ok {
			sum += ns
			continue
		}
		if f, err := proc.Stat(filepath.Join(dir, e.Name(), "stat")); err == nil {
			u, _ := strconv.ParseInt(f[11], 10, 64)
			s, _ := strconv.ParseInt(f[12], 10, 64)
			sum += (u + s) * (1e9 / userHZ)
		}
	}
	return sum, true
}

// schedstat reads the time a thread ran on a CPU, in ns.
func schedstat(path string) (int64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0, false
	}
	ns, err := strconv.ParseInt(f[0], 10, 64)
	return ns, err == nil
}

// cgroupCPU reads usage_usec of a cgroup v2 directory's cpu.stat, in ns.
func cgroupCPU(dir string) (int64, error) {
	b, err := os.ReadFile(filepath.Join(dir, "cpu.stat"))
	if err != nil {
		return 0, fmt.Errorf("reading cgroup CPU: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "usage_usec "); ok {
			us, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("cgroup %s: usage_usec %q: %w", dir, v, err)
			}
			return us * 1000, nil
		}
	}
	return 0, fmt.Errorf("cgroup %s: no usage_usec in cpu.stat", dir)
}

// treeMem sums PSS and RSS from /proc/PID/smaps_rollup over pids.
func treeMem(pids []int) (Mem, error) {
	var m Mem
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
		if err != nil {
			if os.IsNotExist(err) {
				continue // ended meanwhile
			}
			return m, fmt.Errorf("reading memory of process %d: %w", pid, err)
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), ":")
			if !ok || (k != "Pss" && k != "Rss") {
				continue
			}
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return m, fmt.Errorf("process %d: %s %q: %w", pid, k, v, err)
			}
			if k == "Pss" {
				m.PSS += kb << 10
			} else {
				m.RSS += kb << 10
			}
		}
		m.Procs++
	}
	return m, nil
}

// hostPID returns the PID on this host of a process that is pid in its
// own PID namespace and runs command comm: itself if /proc shows such a
// process outside any nested namespace, else the one process whose NSpid
// ends in pid (a PostgreSQL in a container on this host). ok is false if
// there is none or more than one.
func hostPID(pid int, comm string) (int, bool) {
	if proc.Comm(pid) == comm {
		if ns := nsPIDs(pid); len(ns) <= 1 {
			return pid, true
		}
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0, false
	}
	found := 0
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		ns := nsPIDs(p)
		if len(ns) < 2 || ns[len(ns)-1] != pid {
			continue
		}
		if proc.Comm(p) == comm {
			if found != 0 {
				return 0, false
			}
			found = p
		}
	}
	return found, found != 0
}

// nsPIDs returns the NSpid line of a process: its PID in each namespace
// from this host's inwards.
func nsPIDs(pid int) []int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "NSpid:"); ok {
			var out []int
			for _, f := range strings.Fields(v) {
				n, _ := strconv.Atoi(f)
				out = append(out, n)
			}
			return out
		}
	}
	return nil
}

// cpuModel returns the first "model name" of /proc/cpuinfo, or "" when
// there is none (as on some ARM kernels).
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for l := range strings.Lines(string(b)) {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// loadAvg returns the 1-, 5- and 15-minute load averages of
// /proc/loadavg, or "" when it cannot be read.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
