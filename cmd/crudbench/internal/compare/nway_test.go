package compare

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crudbench/crudbench/cmd/crudbench/internal/results"
	"github.com/crudbench/crudbench/internal/paired"
)

func TestCPUMeter(t *testing.T) {
	var m cpuMeter
	if d := m.delta(map[int]int64{1: 100, 2: 50}); d != 0 {
		t.Errorf("first reading gave %d, want 0", d)
	}
	// Thread 2 ran 30 ns more, thread 3 is new with 20 ns, thread 1 ended.
	if d := m.delta(map[int]int64{2: 80, 3: 20}); d != 50 {
		t.Errorf("delta %d, want 50", d)
	}
}

func TestParseTarget(t *testing.T) {
	got, err := ParseTarget("name=flask,url=http://127.0.0.1:8000/,dsn=postgres://u@localhost/db,pid=42,cgroup=/sys/fs/cgroup/x,bin=/usr/bin/x")
	if err != nil {
		t.Fatal(err)
	}
	want := Target{Name: "flask", URL: "http://127.0.0.1:8000", DSN: "postgres://u@localhost/db", PID: 42, Cgroup: "/sys/fs/cgroup/x", Binary: "/usr/bin/x"}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	for _, bad := range []string{"url=http://a", "name=a", "name=a,url=ftp://b", "name=a b,url=http://b", "name=a,url=http://b,pid=x", "name=a,url=http://b,port=1", "name=a,url"} {
		if _, err := ParseTarget(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// delayed serves the ops like crudbench serve, after a delay.
func delayed(d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(d)
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusCreated)
		}
		w.Write([]byte(`{}`))
	})
}

func TestRunSeesASlowerTarget(t *testing.T) {
	var targets []Target
	for _, x := range []struct {
		name  string
		delay time.Duration
	}{{"ref", 0}, {"ref'", 0}, {"slow", 20 * time.Millisecond}} {
		s := httptest.NewServer(delayed(x.delay))
		defer s.Close()
		targets = append(targets, Target{Name: x.name, URL: s.URL, PID: os.Getpid()})
	}
	cfg := RunConfig{Targets: targets, Ops: []string{"read"}, Rows: 100, Clients: 4, Slice: 200 * time.Millisecond, Slices: 4,
		Discard: 0.2, TailSlice: 400 * time.Millisecond, TailSlices: 3, TailFraction: 1, Order: paired.Config{Design: paired.Shuffle, Seed: 3}}
	runs, av, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := runs[0]
	for i := range targets {
		if len(r.Cap[i]) != cfg.Slices || len(r.Tail[i]) != cfg.TailSlices {
			t.Fatalf("%s: %d capacity and %d tail slices, want %d and %d", targets[i].Name, len(r.Cap[i]), len(r.Tail[i]), cfg.Slices, cfg.TailSlices)
		}
	}
	if procAvailable() && (av.App[0] != "" || r.Cap[0][0].AppNs <= 0) {
		t.Errorf("server CPU not measured for a target with a PID: %q, %d ns", av.App[0], r.Cap[0][0].AppNs)
	}
	if !strings.Contains(av.PG[0], "no DSN") {
		t.Errorf("PostgreSQL CPU without a DSN: %q, want it said not available", av.PG[0])
	}
	// 20 ms more per request at 4 clients: at most 200 req/s against far
	// more. The median round, as a stalled slice on a busy machine can
	// swing one round either way.
	if s := ratiosBy(r.Cap, 2, tput); len(s) == 0 || quantile(s, 0.5) > 0.5 {
		t.Errorf("slow/ref capacity per round %.2f, want well below 1", s)
	}
	var out bytes.Buffer
	if err := WriteN(&out, [][2]string{{"paired-seed", "3"}, {"cpu", ""}}, []string{"ref", "ref'", "slow"}, runs, []MemRow{{Target: "ref", At: "idle", Mem: Mem{PSS: 1, RSS: 2}}}, 3); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "cpu:") || !strings.Contains(out.String(), "paired-seed: 3\n") {
		t.Errorf("config lines: want paired-seed and no empty cpu line in:\n%s", out.String())
	}
	path := filepath.Join(t.TempDir(), "compare.txt")
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	sets, err := results.Load(results.ByKey, []string{path})
	if err != nil {
		t.Fatal(err)
	}
	cap := sets[0].ByKey(results.Key{Family: CapacityFamily, Arm: "slow", Op: "read"})
	// A round where a slice counted no answer (a stall) has no ratio.
	if cap == nil || cap.Metric("cap-ratio") == nil || len(cap.Metric("cap-ratio").FileValues) > cfg.Slices {
		t.Fatalf("no cap-ratio samples, or more than %d, for slow in:\n%s", cfg.Slices, out.String())
	}
	// A percentile is written only with 10 samples beyond it.
	for _, tl := range []tail{tailOf(r.Tail, 0, 3), tailOf(r.Tail, 2, 3)} {
		for i, q := range []float64{0.5, 0.95, 0.99} {
			if tl.ok[i] != paired.Enough(tl.n, q) {
				t.Errorf("quantile %v of %d samples: named %v", q, tl.n, tl.ok[i])
			}
		}
	}
	var sum bytes.Buffer
	if err := WriteNSummary(&sum, []string{"ref", "ref'", "slow"}, runs, av, 3); err != nil || !strings.Contains(sum.String(), "capacity ratio") {
		t.Errorf("summary: %v\n%s", err, sum.String())
	}
}

func TestRunFailsOnAFailingTarget(t *testing.T) {
	good := httptest.NewServer(delayed(0))
	defer good.Close()
	bad := httptest.NewServer(http.NotFoundHandler())
	defer bad.Close()
	_, _, err := Run(context.Background(), RunConfig{Targets: []Target{{Name: "a", URL: good.URL}, {Name: "b", URL: bad.URL}},
		Ops: []string{"read"}, Rows: 10, Clients: 2, Slice: 20 * time.Millisecond, Slices: 2, Discard: 0.2})
	if err == nil || !strings.Contains(err.Error(), "status 404") {
		t.Errorf("err = %v, want the failing target's status", err)
	}
}

func TestRunConfigCheck(t *testing.T) {
	good := RunConfig{Targets: []Target{{Name: "a"}, {Name: "b"}}, Ops: []string{"read"}, Rows: 1, Clients: 1, Slice: time.Millisecond, Slices: 2}
	if err := good.check(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	for _, bad := range []func(*RunConfig){
		func(c *RunConfig) { c.Targets = c.Targets[:1] },
		func(c *RunConfig) { c.Targets = []Target{{Name: "a"}, {Name: "a"}} },
		func(c *RunConfig) { c.Ops = []string{"delete"} },
		func(c *RunConfig) { c.Slices = 1 },
		func(c *RunConfig) { c.Discard = 1 },
		func(c *RunConfig) { c.TailSlices, c.TailFraction = 2, 0 },
		func(c *RunConfig) { c.CPUSlices = -1 },
		func(c *RunConfig) { c.CPUSlices, c.CPUSlice, c.CPUFraction = 2, time.Millisecond, 0 },
		func(c *RunConfig) { c.CPUSlices, c.CPUSlice, c.CPUFraction = 2, 0, 0.5 },
	} {
		c := good
		bad(&c)
		if c.check() == nil {
			t.Errorf("%+v passed the check", c)
		}
	}
}

func TestRunCPUAllAtOnce(t *testing.T) {
	names := []string{"ref", "slow", "ref'"}
	var targets []Target
	for i, name := range names {
		s := httptest.NewServer(delayed(time.Duration(1+3*(i%2)) * time.Millisecond))
		defer s.Close()
		targets = append(targets, Target{Name: name, URL: s.URL, PID: os.Getpid()})
	}
	cfg := RunConfig{Targets: targets, Ops: []string{"read"}, Rows: 100, Clients: 4, Slice: 100 * time.Millisecond, Slices: 2,
		Discard: 0.2, CPUSlice: 300 * time.Millisecond, CPUSlices: 4, CPUFraction: 0.5, Order: paired.Config{Design: paired.Shuffle, Seed: 5}}
	runs, av, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := runs[0]
	slowest := min(meanThroughput(r.Cap[0]), meanThroughput(r.Cap[1]), meanThroughput(r.Cap[2]))
	if want := max(1, int(cfg.CPUFraction*slowest/3)); r.CPURate != want {
		t.Errorf("rate %d, want %d: half the slowest capacity %.0f/s shared by 3 targets", r.CPURate, want, slowest)
	}
	// Every target got the same requests, at the same rate, in every slice.
	want := int64(math.Round(float64(r.CPURate) * cfg.CPUSlice.Seconds()))
	for i, name := range names {
		if len(r.CPU[i]) != cfg.CPUSlices || len(r.Tail[i]) != 0 {
			t.Fatalf("%s: %d CPU and %d tail slices, want %d and 0", name, len(r.CPU[i]), len(r.Tail[i]), cfg.CPUSlices)
		}
		for k, s := range r.CPU[i] {
			if s.Answered != want || s.ClientNs >= 0 {
				t.Errorf("%s slice %d: %d answered, want %d; client CPU %d, want none", name, k, s.Answered, want, s.ClientNs)
			}
		}
	}
	if procAvailable() {
		// Every target is this process: read at once, each saw about the
		// same CPU in a slice.
		var x []float64
		for k := range cfg.CPUSlices {
			for i := 1; i < len(names); i++ {
				x = append(x, float64(r.CPU[i][k].AppNs)/float64(r.CPU[0][k].AppNs))
			}
		}
		if m := quantile(x, 0.5); av.App[0] != "" || !(m > 0.9 && m < 1.1) {
			t.Errorf("one process read for each target: median CPU over the reference's %.3f (%q), want about 1", m, av.App[0])
		}
	}
	var out, sum bytes.Buffer
	if err := WriteN(&out, nil, names, runs, nil, 5); err != nil {
		t.Fatal(err)
	}
	if err := WriteNSummary(&sum, names, runs, av, 5); err != nil {
		t.Fatal(err)
	}
	if procAvailable() {
		path := filepath.Join(t.TempDir(), "compare.txt")
		if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		sets, err := results.Load(results.ByKey, []string{path})
		if err != nil {
			t.Fatal(err)
		}
		k := results.Key{Family: CPUFamily, Arm: "ref'", Op: "read", Rate: fmt.Sprint(r.CPURate)}
		if b := sets[0].ByKey(k); b == nil || b.Metric("app-cpu-ratio") == nil || len(b.Metric("app-cpu-ratio").FileValues) != cfg.CPUSlices {
			t.Errorf("no %d app-cpu-ratio samples for %s in:\n%s", cfg.CPUSlices, k, out.String())
		}
	}
	s := sum.String()
	_, cpu, ok := strings.Cut(s, "all targets at once")
	if c, o := strings.Index(cpu, "\nref'"), strings.Index(cpu, "\nslow"); !ok || c < 0 || c > o {
		t.Errorf("summary lacks the all-at-once table with the control's row before the others:\n%s", s)
	}
}

func TestCPURatiosWithinSlices(t *testing.T) {
	// The reference's CPU per request swings from slice to slice; the
	// other target costs 10 % more in every slice.
	var ref, other []Slice
	for k, ns := range []int64{100, 150, 80, 120} {
		ns *= 1000
		ref = append(ref, Slice{Round: k, Answered: 10, AppNs: ns * 20, PGNs: ns * 10, ClientNs: -1})
		other = append(other, Slice{Round: k, Answered: 20, AppNs: ns * 44, PGNs: ns * 22, ClientNs: -1})
	}
	runs := []OpRun{{Op: "read", Cap: [][]Slice{ref, other}, Tail: [][]Slice{nil, nil}, CPU: [][]Slice{ref, other}, CPURate: 20}}
	for _, x := range ratiosBy(runs[0].CPU, 1, cpuOp) {
		if math.Abs(x-1.1) > 1e-9 {
			t.Errorf("ratio within a slice %v, want 1.1", x)
		}
	}
	var out, sum bytes.Buffer
	if err := WriteN(&out, nil, []string{"a", "b"}, runs, nil, 1); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "BenchmarkCompareCPU/arm=b/op=read/rate=20\t20\t"); n != 4 || !strings.Contains(out.String(), "\t1.1 cpu-ratio") {
		t.Errorf("%d CPU lines of b, want 4 with a cpu-ratio of 1.1:\n%s", n, out.String())
	}
	if err := WriteNSummary(&sum, []string{"a", "b"}, runs, Availability{App: []string{"", ""}, PG: []string{"", ""}}, 1); err != nil || !strings.Contains(sum.String(), "1.100 [1.100, 1.100]") {
		t.Errorf("summary: %v, want b's CPU ratio 1.100 with no spread:\n%s", err, sum.String())
	}
}

func TestRunCPUSlicesZeroSkips(t *testing.T) {
	var targets []Target
	for _, name := range []string{"a", "b"} {
		s := httptest.NewServer(delayed(time.Millisecond))
		defer s.Close()
		targets = append(targets, Target{Name: name, URL: s.URL})
	}
	runs, av, err := Run(context.Background(), RunConfig{Targets: targets, Ops: []string{"read"}, Rows: 10, Clients: 2,
		Slice: 50 * time.Millisecond, Slices: 2, CPUSlice: time.Second, CPUFraction: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	var out, sum bytes.Buffer
	if err := WriteN(&out, nil, []string{"a", "b"}, runs, nil, 1); err != nil {
		t.Fatal(err)
	}
	if err := WriteNSummary(&sum, []string{"a", "b"}, runs, av, 1); err != nil {
		t.Fatal(err)
	}
	if len(runs[0].CPU[1]) != 0 || runs[0].CPURate != 0 || strings.Contains(out.String(), CPUFamily) || strings.Contains(sum.String(), "all targets at once") {
		t.Errorf("0 CPU slices ran some, or wrote them:\n%s\n%s", out.String(), sum.String())
	}
}

func TestCPUSliceFailsOnAFailingTarget(t *testing.T) {
	good := httptest.NewServer(delayed(0))
	defer good.Close()
	bad := httptest.NewServer(http.NotFoundHandler())
	defer bad.Close()
	cfg := RunConfig{Rows: 10, CPUSlice: 100 * time.Millisecond}
	var probes []*probe
	for _, tg := range []Target{{Name: "a", URL: good.URL}, {Name: "b", URL: bad.URL}} {
		p := newProbe(context.Background(), tg, 2, time.Second)
		defer p.close(context.Background())
		probes = append(probes, p)
	}
	if _, err := cpuSlice(context.Background(), probes, "read", cfg, 50); err == nil || !strings.Contains(err.Error(), "b: ") || !strings.Contains(err.Error(), "404") {
		t.Errorf("err = %v, want b's failed requests", err)
	}
}
