package compare

import "errors"

// errNoProc is returned where /proc is not there to read: CPU time and
// memory of other processes are then not available.
var errNoProc = errors.New("not available: needs Linux /proc")

// cpuMeter turns readings of cumulative CPU time per thread (ns, keyed by
// thread id) into the CPU spent between two readings. A thread that
// appears between readings counts from zero, which is right because it
// started after the earlier reading; a thread that ended between readings
// loses what it ran since the earlier one.
type cpuMeter struct {
	last map[int]int64
}

// delta returns the CPU time spent since the previous reading and keeps
// now as the reference for the next one. The first reading returns 0.
func (m *cpuMeter) delta(now map[int]int64) int64 {
	first := m.last == nil
	var d int64
	for tid, ns := range now {
		if v := ns - m.last[tid]; v > 0 {
			d += v
		}
	}
	m.last = now
	if first {
		return 0
	}
	return d
}

// Mem is the memory of a process tree: PSS summed over its processes (a
// shared page counts once, split among its sharers) and RSS beside it.
type Mem struct {
	PSS, RSS uint64 // bytes
	Procs    int
}
