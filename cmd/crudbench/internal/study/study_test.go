package study

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/crudbench/crudbench/cmd/crudbench/internal/serve"
	"github.com/crudbench/crudbench/internal/suite"
	"golang.org/x/perf/benchfmt"
)

// childEnv makes this test binary run the serve command instead of tests,
// so that it can stand in for crudbench as the studies' child.
const childEnv = "CRUDBENCH_STUDY_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" && len(os.Args) > 1 && os.Args[1] == "serve" {
		os.Exit(serve.Main(os.Args[2:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// logFile returns a file for the logs of a study and its children, safe
// for their concurrent writes; its contents are logged at the end of t.
func logFile(t *testing.T) *os.File {
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		f.Close()
		if t.Failed() {
			b, _ := os.ReadFile(f.Name())
			t.Logf("logs:\n%s", b)
		}
	})
	return f
}

// results parses out as Go benchmark results and returns them by name.
func results(t *testing.T, out []byte) map[string]*benchfmt.Result {
	t.Helper()
	got := map[string]*benchfmt.Result{}
	r := benchfmt.NewReader(bytes.NewReader(out), "out")
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.Result:
			got["Benchmark"+string(rec.Name.Full())] = rec.Clone()
		case *benchfmt.SyntaxError:
			t.Errorf("not the benchmark format: %v", rec)
		}
	}
	return got
}

func value(r *benchfmt.Result, unit string) float64 {
	v, _ := r.Value(unit)
	return v
}

// TestMemorySmoke runs the memory study at tiny sizes on every arm: one row
// per arm and workload, in the benchmark format, with the figures of the
// arm's own process.
func TestMemorySmoke(t *testing.T) {
	t.Setenv(childEnv, "1")
	var out bytes.Buffer
	logs := logFile(t)
	rows, err := Memory(t.Context(), MemoryConfig{Arms: suite.Arms, Rows: 200, Requests: 50, BulkRequests: 2, Workers: 4,
		Exe: Exe{os.Args[0]}, Out: &out, ChildLog: logs, Log: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	got := results(t, out.Bytes())
	if want := len(suite.Arms) * (1 + len(memoryOps)); len(rows) != want || len(got) != want {
		t.Fatalf("%d rows, %d results, want %d:\n%s", len(rows), len(got), want, out.String())
	}
	for _, arm := range suite.Arms {
		idle := got["BenchmarkMemory/arm="+arm+"/op=idle"]
		bulk := got["BenchmarkMemory/arm="+arm+"/op=bulk-create/n=1000"]
		if idle == nil || bulk == nil {
			t.Fatalf("arm %s: missing idle or bulk-create row:\n%s", arm, out.String())
		}
		if value(idle, "heap-bytes") == 0 || value(bulk, "heap-bytes") == 0 {
			t.Errorf("arm %s: no heap figures: %v / %v", arm, idle.Values, bulk.Values)
		}
		if runtime.GOOS == "linux" && (value(idle, "rss-bytes") == 0 || value(bulk, "peak-rss-bytes") < value(bulk, "rss-after-gc-bytes")/2) {
			t.Errorf("arm %s: RSS figures: %v / %v", arm, idle.Values, bulk.Values)
		}
	}
	for _, u := range MemoryUnits {
		if !strings.Contains(out.String(), u+"\n") {
			t.Errorf("no %q line", u)
		}
	}
	var sum bytes.Buffer
	WriteMemorySummary(&sum, rows)
	t.Logf("\n%s", sum.String())
}

// TestLoadSmoke runs the load study briefly on one arm and one operation.
func TestLoadSmoke(t *testing.T) {
	t.Setenv(childEnv, "1")
	var out bytes.Buffer
	logs := logFile(t)
	fr := []float64{0.25, 0.75}
	sums, err := Load(t.Context(), LoadConfig{Arms: []string{"sql"}, Ops: []string{"read"}, Rows: 200, Workers: 4,
		Capacity: 500 * time.Millisecond, Fractions: fr, Step: 500 * time.Millisecond, P99Bound: time.Second,
		Exe: Exe{os.Args[0]}, Out: &out, ChildLog: logs, Log: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	got := results(t, out.Bytes())
	if len(sums) != 1 || len(sums[0].Open) != len(fr) || len(got) != 1+len(fr) {
		t.Fatalf("%d summaries, %d results, want 1 and %d:\n%s", len(sums), len(got), 1+len(fr), out.String())
	}
	capacity := sums[0].Closed.Throughput()
	closed := got["BenchmarkLoadClosed/arm=sql/op=read/conc=4"]
	if closed == nil {
		t.Fatalf("no closed-loop result:\n%s", out.String())
	}
	if capacity <= 0 || value(got["BenchmarkLoadClosed/arm=sql/op=read/conc=4"], "req/s") != float64(int(capacity*10+0.5))/10 {
		t.Errorf("capacity %.1f req/s, results:\n%s", capacity, out.String())
	}
	for i, r := range sums[0].Open {
		if want := max(1, int(fr[i]*capacity)); r.Rate != want || r.Errors != 0 {
			t.Errorf("open loop %d: rate %d, %d errors; want rate %d and none", i, r.Rate, r.Errors, want)
		}
	}
	var sum bytes.Buffer
	WriteLoadSummary(&sum, sums, fr, time.Second)
	t.Logf("\n%s", sum.String())
}
