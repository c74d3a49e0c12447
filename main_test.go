package crudbench_test

import (
	"flag"
	"runtime"
	"strconv"
	"testing"

	"github.com/crudbench/crudbench/internal/pgserver"
	"github.com/crudbench/crudbench/internal/pgtest"
	"github.com/crudbench/crudbench/internal/suite"
)

func TestMain(m *testing.M) { pgtest.Main(m, printConfig, raiseParallel) }

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
