package report

import (
	"fmt"
	"strings"
	"testing"
)

// TestPairedSection checks the paired section's ratios: the geometric
// mean of the runs' ratios, its interval, the CV, and the floor and ent
// update tables, against values worked out by hand.
func TestPairedSection(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("goos: linux\nUnit ent/pgx better=lower\nUnit pgx-queries/op assume=exact\nUnit ent-queries/op assume=exact\nUnit ent-lean-queries/op assume=exact\nUnit floor-queries/op assume=exact\n")
	for _, r := range []float64{1.98, 2.00, 2.02, 2.00} {
		fmt.Fprintf(&sb, "BenchmarkPaired/op=update-2 300 1000000 ns/op 200000 pgx-ns/op %.0f ent-ns/op 300000 ent-lean-ns/op 160000 floor-ns/op "+
			"1 pgx-queries/op 4 ent-queries/op 2 ent-lean-queries/op 1 floor-queries/op %.4f ent/pgx 1.1 sql/pgx 1.5 ent-lean/pgx 1.25 pgx/floor 1.3333 ent/ent-lean\n",
			200000*r, r)
		fmt.Fprintf(&sb, "BenchmarkPaired/op=bulk-read/n=10-2 300 1000000 ns/op 300000 pgx-ns/op 1.2 ent/pgx 1.05 sql/pgx\n")
	}
	_, md := generateFrom(t, sb.String())
	wantInReport(t, md,
		// ent/pgx 1.98, 2.00, 2.02, 2.00: geometric mean 2.000, t interval ±1.3 %, CV 0.8 %.
		"| update | 4 | 200.0µs (CV 0.0 %) | – | 400.0µs (CV 0.8 %) |",
		"| update | 4 | 1.100× [1.100, 1.100] | 0.0 % | 2.000× [1.974, 2.026] | 0.8 % |",
		"| bulk-read, n=10 | 4 | 1.050× [1.050, 1.050] | 0.0 % | 1.200× [1.200, 1.200] | 0.0 % |",
		"| update | 4 | 160.0µs (CV 0.0 %) | 1.250× [1.250, 1.250] | 0.0 % |",
		"| update | 4 | 200.0µs (CV 0.0 %) | 400.0µs (CV 0.8 %) | 300.0µs (CV 0.0 %) | 2.000× [1.974, 2.026] | 0.8 % | 1.500× [1.500, 1.500] | 0.0 % | 1.333× [1.333, 1.333] | 0.0 % |",
		"| update | 1 | – | 4 | 1 | 2 |",
		"![Paired latency relative to pgx](paired-ratio.png)",
	)
	if t.Failed() {
		i := strings.Index(md, "## Paired")
		t.Logf("paired section:\n%s", md[i:min(len(md), i+4000)])
	}
}
