// Package cpus splits the machine's CPUs between PostgreSQL and the Go
// process that measures it.
//
// On a shared CPU set the scheduler decides, request by request, whether a
// client and its backend run on one CPU, where a round trip is a local
// wake-up, or on two, where it is a wake-up across CPUs, dearer by far on
// a VM. Which one it picks depends on how much work each
// side does between round trips, so it differs between arms and between
// runs, and a request of many round trips lands in one regime or the other
// as a whole. Kept apart, every round trip crosses, as it does when the
// database has its own machine.
package cpus

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Env selects the mode: "split" (the default) or "shared".
const Env = "CRUDBENCH_CPUS"

// ErrUnsupported is returned where CPU affinity cannot be read or set
// (anywhere but Linux).
var ErrUnsupported = errors.New("cpus: CPU affinity is supported on Linux only")

// Split is a division of CPUs: the Go process on Go, PostgreSQL on
// Postgres. The zero Split shares every CPU.
type Split struct {
	Go, Postgres []int
}

// Shared reports whether s leaves every CPU to both sides.
func (s Split) Shared() bool { return len(s.Go) == 0 || len(s.Postgres) == 0 }

// String returns "go=0 postgres=1", or "shared".
func (s Split) String() string {
	if s.Shared() {
		return "shared"
	}
	return "go=" + List(s.Go) + " postgres=" + List(s.Postgres)
}

// Plan divides avail, the CPUs this process may run on in ascending order,
// as mode (the value of Env) asks: "split" or "" gives PostgreSQL the upper
// half (rounded down) and the Go process the rest; "shared", or fewer than
// two CPUs, gives the zero Split.
func Plan(mode string, avail []int) (Split, error) {
	switch strings.TrimSpace(mode) {
	case "", "split":
		if len(avail) < 2 {
			return Split{}, nil
		}
		n := len(avail) - len(avail)/2
		return Split{Go: avail[:n:n], Postgres: avail[n:]}, nil
	case "shared":
		return Split{}, nil
	default:
		return Split{}, fmt.Errorf("cpus: %s=%q: want split or shared", Env, mode)
	}
}

// List formats cpus, in ascending order, as Linux writes a CPU list:
// "0-2,5".
func List(cpus []int) string {
	var b strings.Builder
	for i := 0; i < len(cpus); {
		j := i
		for j+1 < len(cpus) && cpus[j+1] == cpus[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(cpus[i]))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(cpus[j]))
		}
		i = j + 1
	}
	return b.String()
}
