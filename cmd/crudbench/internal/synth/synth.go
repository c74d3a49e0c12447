// Package synth writes deterministic, synthetic crudbench benchmark
// results in the Go benchmark format, for tests and examples of the gate
// and report commands. The numbers are plausible, not measured: pgx is the
// fastest arm, database/sql a little slower, ent slower still and heavier
// on allocations.
package synth

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/crudbench/crudbench/internal/arms"
	"github.com/crudbench/crudbench/internal/suite"
)

// Bench identifies one synthetic benchmark, e.g. CRUD/arm=pgx/op=read.
type Bench struct {
	Family string // CRUD, Bulk, Relation, Parallel or Floor
	Arm    string // one of Arms; empty for Floor
	Op     string // create, read, ...; empty for Relation
	N      int    // Bulk batch size
	Posts  int    // Relation posts per user
	Conc   int    // Parallel concurrency
}

// Name is the benchmark name as the testing package prints it, without
// the "Benchmark" prefix and the GOMAXPROCS suffix.
func (b Bench) Name() string {
	var sb strings.Builder
	sb.WriteString(b.Family)
	if b.Arm != "" {
		sb.WriteString("/arm=" + b.Arm)
	}
	if b.Op != "" {
		sb.WriteString("/op=" + b.Op)
	}
	if b.N != 0 {
		fmt.Fprintf(&sb, "/n=%d", b.N)
	}
	if b.Posts != 0 {
		fmt.Fprintf(&sb, "/posts=%d", b.Posts)
	}
	if b.Conc != 0 {
		fmt.Fprintf(&sb, "/conc=%d", b.Conc)
	}
	return sb.String()
}

// Options configures Write.
type Options struct {
	// Seed seeds the noise; the same options always give the same bytes.
	Seed uint64
	// Count is the number of lines per benchmark (go test -count).
	Count int
	// Blocks splits the Count lines into this many concatenated runs,
	// each with its own configuration header. Zero means one.
	Blocks int
	// Noise is the relative standard deviation of the timing metrics.
	Noise float64
	// Benches is the suite to write; nil means Full().
	Benches []Bench
	// Adjust, if set, may change the centre value of a metric before
	// noise is added, e.g. to simulate a regression.
	Adjust func(b Bench, unit string, v float64) float64
	// Prefix, if set, replaces "Benchmark" in every name.
	Prefix string
}

// Arms are the arms of package arms' table that the synthetic model
// prices (armCost), in the table's order. An arm the model does not price
// is left out, so that the synthetic files stay the same when the table
// gains an arm; give it a cost in armCost to include it.
var Arms = slices.DeleteFunc(arms.Arms(), func(a string) bool { _, ok := armCost[a]; return !ok })

// Full returns the whole crudbench suite, on the model's Arms.
func Full() []Bench {
	var bs []Bench
	// each adds a benchmark per arm, op and size, in that nesting.
	each := func(ops []string, sizes []int, bench func(arm, op string, size int) Bench) {
		for _, arm := range Arms {
			for _, op := range ops {
				for _, size := range sizes {
					bs = append(bs, bench(arm, op, size))
				}
			}
		}
	}
	each(suite.CRUDOps, []int{0}, func(arm, op string, _ int) Bench { return Bench{Family: "CRUD", Arm: arm, Op: op} })
	each(suite.BulkOps, suite.BulkSizes, func(arm, op string, n int) Bench { return Bench{Family: "Bulk", Arm: arm, Op: op, N: n} })
	each([]string{""}, suite.RelationPosts, func(arm, _ string, p int) Bench { return Bench{Family: "Relation", Arm: arm, Posts: p} })
	each(suite.ParallelOps, suite.ConcLevels, func(arm, op string, c int) Bench { return Bench{Family: "Parallel", Arm: arm, Op: op, Conc: c} })
	for _, op := range suite.FloorOps {
		bs = append(bs, Bench{Family: "Floor", Op: op})
	}
	return bs
}

// Small returns a reduced suite (CRUD, Floor and one Parallel level) that
// keeps gate test files short.
func Small() []Bench {
	var bs []Bench
	for _, b := range Full() {
		if b.Family == "CRUD" || b.Family == "Floor" || (b.Family == "Parallel" && b.Op == "read" && b.Conc == 16) {
			bs = append(bs, b)
		}
	}
	return bs
}

// header is the configuration block of every run.
const header = `goos: linux
goarch: amd64
pkg: github.com/crudbench/crudbench
cpu: Synthetic CPU @ 2.00GHz
provider: synthetic
postgres: 15.18
fsync: off
synchronous_commit: off
pool: 16
rows: 10000
pgx: v5.12.0
ent: v0.14.5
Unit req/s better=higher
Unit queries/op assume=exact
`

// Write writes the synthetic results described by o to w.
func Write(w io.Writer, o Options) error {
	if o.Count <= 0 {
		return fmt.Errorf("synth: Count must be positive, got %d", o.Count)
	}
	blocks := max(o.Blocks, 1)
	benches := o.Benches
	if benches == nil {
		benches = Full()
	}
	prefix := o.Prefix
	if prefix == "" {
		prefix = "Benchmark"
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x5eed))
	bw := bufio.NewWriter(w)
	for blk := range blocks {
		if blk > 0 {
			bw.WriteString("PASS\nok  \tgithub.com/crudbench/crudbench\t42.000s\n")
		}
		bw.WriteString(header)
		lines := o.Count / blocks
		if blk < o.Count%blocks {
			lines++
		}
		for _, b := range benches {
			m := centres(b)
			if o.Adjust != nil {
				for i := range m {
					m[i].v = o.Adjust(b, m[i].unit, m[i].v)
				}
			}
			for range lines {
				writeLine(bw, prefix+b.Name()+"-2", noisy(m, o.Noise, rng))
			}
		}
	}
	bw.WriteString("PASS\nok  \tgithub.com/crudbench/crudbench\t42.000s\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("synth: writing results: %w", err)
	}
	return nil
}

type metric struct {
	unit string
	v    float64
}

// noisy returns one sample of m: the timing metrics share one
// multiplicative noise factor, req/s follows ns/op, counts stay exact.
func noisy(m []metric, noise float64, rng *rand.Rand) []metric {
	f := math.Exp(rng.NormFloat64() * noise)
	out := make([]metric, len(m))
	for i, x := range m {
		switch x.unit {
		case "ns/op", "ns/row", "p50-ns/op", "p95-ns/op", "p99-ns/op":
			x.v *= f
		case "req/s":
			x.v /= f
		case "B/op":
			x.v = math.Round(x.v * math.Exp(rng.NormFloat64()*noise/4))
		}
		out[i] = x
	}
	return out
}

func writeLine(w *bufio.Writer, name string, m []metric) {
	iters := 1
	for _, x := range m {
		if x.unit == "ns/op" && x.v > 0 {
			iters = max(1, int(1e9/x.v))
		}
	}
	fmt.Fprintf(w, "%s \t%8d", name, iters)
	for _, x := range m {
		fmt.Fprintf(w, "\t%10s %s", format(x.unit, x.v), x.unit)
	}
	w.WriteString("\n")
}

func format(unit string, v float64) string {
	switch {
	case unit == "queries/op":
		return strconv.FormatFloat(v, 'f', 3, 64)
	case unit == "B/op" || unit == "allocs/op":
		return strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	case v >= 100:
		return strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}
