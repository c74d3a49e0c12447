package crudbench_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"

	"github.com/crudbench/crudbench/internal/cpus"
	"github.com/crudbench/crudbench/internal/pgserver"
	"github.com/crudbench/crudbench/internal/pgtest"
	"github.com/crudbench/crudbench/internal/suite"
)

func TestMain(m *testing.M) { pgtest.Main(m, splitCPUs, printConfig, raiseParallel) }

// cpuSplit is what splitCPUs did, for the configuration line "cpus".
var cpuSplit string

// splitCPUs, when benchmarks run, keeps PostgreSQL on the upper half of
// this process's CPUs and this process (client, server, and the peers it
// starts) on the rest, unless cpus.Env says "shared"; see package cpus for
// why. Go's GOMAXPROCS follows, as under taskset. Without -bench (the
// tests alone) every CPU stays shared.
func splitCPUs(s *pgserver.Server) error {
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		return nil
	}
	avail, err := cpus.Available()
	if errors.Is(err, cpus.ErrUnsupported) {
		cpuSplit = "shared (CPU affinity is Linux's)"
		return nil
	}
	if err != nil {
		return err
	}
	split, err := cpus.Plan(os.Getenv(cpus.Env), avail)
	if err != nil {
		return err
	}
	if split.Shared() {
		cpuSplit = fmt.Sprintf("shared (%d CPUs: %s)", len(avail), cpus.List(avail))
		return nil
	}
	if err := s.PinCPUs(context.Background(), split.Postgres); errors.Is(err, pgserver.ErrNotSupported) {
		cpuSplit = fmt.Sprintf("shared (%s: PostgreSQL's CPUs are not this process's to set)", s.Provider())
		return nil
	} else if err != nil {
		return err
	}
	if err := cpus.PinSelf(split.Go); err != nil {
		return err
	}
	runtime.GOMAXPROCS(len(split.Go))
	cpuSplit = split.String()
	return nil
}

// raiseParallel lets, unless -parallel is given, as many parallel
// subtests run at once as there are arms: those of the conformance suite
// (one per arm, each on its own database) spend their time waiting on
// PostgreSQL and on connecting, not on the CPU, whose count is the
// default (kept where it is larger).
func raiseParallel(*pgserver.Server) error {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if set {
		return nil
	}
	return flag.Set("test.parallel", strconv.Itoa(max(len(suite.Arms), runtime.GOMAXPROCS(0))))
}
