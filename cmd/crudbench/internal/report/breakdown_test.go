package report

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestBreakdownSection checks the "Where the time goes" section against
// figures worked out by hand: the parts as measured, the round trip as the
// paired time less the in-process call, the in-process share, the arm's
// ratio to its floor, and a dash where the paired leaf is missing.
func TestBreakdownSection(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("goos: linux\nUnit queries/op assume=exact\n")
	for range 6 {
		sb.WriteString("BenchmarkBreakdown/arm=sql/op=read-2 1000 6000 ns/op -50 build-ns/op 2800 dbsql-ns/op 250 scan-ns/op 3000 inproc-ns/op " +
			"0 build-allocs/op 7 dbsql-allocs/op 2 scan-allocs/op 9 inproc-allocs/op 1 queries/op\n")
		sb.WriteString("BenchmarkBreakdown/arm=ent/op=read-2 1000 40000 ns/op 20000 build-ns/op 3000 dbsql-ns/op 7000 scan-ns/op 30000 inproc-ns/op " +
			"76 build-allocs/op 7 dbsql-allocs/op 11 scan-allocs/op 94 inproc-allocs/op 1 queries/op\n")
		sb.WriteString("BenchmarkBreakdown/arm=ent/op=bulk-update/n=100-2 10 900000 ns/op 700000 build-ns/op 60000 dbsql-ns/op 40000 scan-ns/op 800000 inproc-ns/op " +
			"7003 build-allocs/op 319 dbsql-allocs/op 808 scan-allocs/op 8130 inproc-allocs/op 103 queries/op\n")
	}
	for _, r := range []float64{1.24, 1.25, 1.26, 1.24, 1.25, 1.26} {
		fmt.Fprintf(&sb, "BenchmarkPaired/op=read-2 300 1000000 ns/op 300000 sql-ns/op 360000 ent-ns/op 1.05 sql/floor %.2f ent/floor\n", r)
	}
	dir, md := generateFrom(t, sb.String())
	wantInReport(t, md,
		"## Where the time goes\n",
		// 300 µs paired less 3 µs in-process; 3/300 = 1.0 %; ent/floor 1.24,
		// 1.25, 1.26 twice: geometric mean 1.250, t interval ±0.75 %.
		"| read | sql | -50.00ns ± 0% | 2.800µs ± 0% | 250.0ns ± 0% | 3.000µs ± 0% | 297.0µs | 300.0µs | 1.0 % | 1.050× [1.050, 1.050] |",
		"| read | ent | 20.00µs ± 0% | 3.000µs ± 0% | 7.000µs ± 0% | 30.00µs ± 0% | 330.0µs | 360.0µs | 8.3 % | 1.250× [1.241, 1.259] |",
		"| bulk-update, n=100 | ent | 700.0µs ± 0% | 60.00µs ± 0% | 40.00µs ± 0% | 800.0µs ± 0% | – | – | – | – |",
		"| read | ent | 76.0 | 7.0 | 11.0 | 94.0 | 1 |",
		"| bulk-update, n=100 | ent | 7003.0 | 319.0 | 808.0 | 8130.0 | 103 |",
		"![Where the time goes, per op and arm](breakdown.png)",
	)
	checkPNG(t, filepath.Join(dir, "breakdown.png"))
	checkSVG(t, filepath.Join(dir, "breakdown.svg"))
	if t.Failed() {
		i := strings.Index(md, "## Where")
		t.Logf("section:\n%s", md[i:min(len(md), i+3000)])
	}
}
