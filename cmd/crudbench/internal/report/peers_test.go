package report

import (
	"fmt"
	"strings"
	"testing"
)

// peerRuns returns two runs of BenchmarkPeers with pgx, its control and
// flask-raw-gunicorn on read and on bulk-create at n=10 and n=100, and
// crudbench compare's memory and capacity of flask-raw-gunicorn (and the
// memory of ent, an arm, which the section leaves out).
func peerRuns() string {
	var sb strings.Builder
	sb.WriteString("goos: linux\n")
	for _, r := range []float64{3.9, 4.1} {
		fmt.Fprintf(&sb, "BenchmarkPeers/op=read-2 300 1000000 ns/op 200000 pgx-ns/op 150000 pgx-p50-ns/op 400000 pgx-p95-ns/op "+
			"200000 pgx'-ns/op 1.0 pgx'/pgx 1.0 pgx'/pgx-p50 %.0f flask-raw-gunicorn-ns/op %.2f flask-raw-gunicorn/pgx 3 flask-raw-gunicorn/pgx-p50\n", 200000*r, r)
		for _, n := range []int{10, 100} {
			fmt.Fprintf(&sb, "BenchmarkPeers/op=bulk-create/n=%d-2 30 1000000 ns/op %d pgx-ns/op %d flask-raw-gunicorn-ns/op 5 flask-raw-gunicorn/pgx\n",
				n, 100000*n, 500000*n)
		}
	}
	for range 3 {
		sb.WriteString("BenchmarkCompareMemory/arm=flask-raw-gunicorn/op=idle 1 41943040 pss-bytes 52428800 rss-bytes\n")
		sb.WriteString("BenchmarkCompareMemory/arm=ent/op=idle 1 41943040 pss-bytes 52428800 rss-bytes\n")
		sb.WriteString("BenchmarkCompareCapacity/arm=flask-raw-gunicorn/op=read 1000 400 req/s 900000 app-cpu-ns/op 100000 pg-cpu-ns/op 60000 client-cpu-ns/op 0.10 cap-ratio 8 cpu-ratio\n")
	}
	return sb.String()
}

// TestSeedComparisonSection checks the seed's comparison: latency per
// target with ratios to pgx and their intervals, bulk scaling by n, the
// seed's bulk and memory figures beside ours.
func TestSeedComparisonSection(t *testing.T) {
	_, md := generateFrom(t, peerRuns())
	wantInReport(t, md,
		"## The seed's comparison\n",
		// flask-raw-gunicorn/pgx 3.9 and 4.1: geometric mean 3.999, a t
		// interval of one degree of freedom (12.71 standard errors).
		"| read | pgx | 2 | 200.0µs (CV 0.0 %) | 150.0µs (CV 0.0 %) | 400.0µs (CV 0.0 %) | reference | reference |",
		"| read | pgx' | 2 | 200.0µs (CV 0.0 %) | – | – | 1.000× [1.000, 1.000] | 1.000× [1.000, 1.000] |",
		"| read | flask-raw-gunicorn | 2 | 799.7µs (CV 3.5 %) | – | – | 3.999× [2.910, 5.494] | 3.000× [3.000, 3.000] |",
		"| bulk-create | pgx | 1.000ms (CV 0.0 %) | 10.00ms (CV 0.0 %) |",
		"| bulk-create | flask-raw-gunicorn | 5.000ms (CV 0.0 %), 5.00× | 50.00ms (CV 0.0 %), 5.00× |",
		"| create | Python Flask | 1396 ms | flask-raw-gunicorn: 50.00ms |",
		"| create | Rust Axum | 625 ms | not measured |",
		"| read | Python Flask | 255 ms | not measured |",
		"| flask-raw-gunicorn | Python Flask, raw SQL | 40–45 MB | 40.0 MiB | 50.0 MiB | – | – | 0.100× [0.100, 0.100] | 1.000ms |",
		"| not measured | Rust Axum, SeaORM | 58–62 MB |",
	)
	if i := strings.Index(md, "## The seed's comparison"); i >= 0 && strings.Contains(md[i:], "| ent |") {
		t.Error("the seed's memory table lists a Go arm besides the reference")
	}
	if t.Failed() {
		i := strings.Index(md, "## The seed's comparison")
		t.Logf("section:\n%s", md[max(i, 0):])
	}
}

// TestSeedFigures checks the embedded seed figures against the seed
// report's tables, and that a malformed line is refused.
func TestSeedFigures(t *testing.T) {
	figs, err := parseSeedFigures(seedFiguresTSV)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range figs {
		got = append(got, f.Table+" "+f.Row+" "+f.Server+": "+f.String())
	}
	want := []string{
		"bulk create Python Flask: 1396 ms", "bulk create Rust Axum: 625 ms", "bulk read Python Flask: 255 ms", "bulk read Rust Axum: 50.5 ms",
		"bulk update Python Flask: 822.9 ms", "bulk update Rust Axum: 283.54 ms", "bulk delete Python Flask: 1050.4 ms", "bulk delete Rust Axum: 35.05 ms",
		"memory raw Python Flask, raw SQL: 40–45 MB", "memory orm Python Flask, ORM: 71–75 MB",
		"memory raw Rust Axum, raw SQL: 25–32 MB", "memory orm Rust Axum, SeaORM: 58–62 MB",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("seed figures:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(seedFiguresTSV, `"Compare API endpoint:`) {
		t.Error("seed-figures.tsv does not cite the seed report")
	}
	for _, bad := range []string{"bulk\tcreate\tFlask\tflask-\t1\tms\n", "memory\traw\tX\t-\t5\t4\tMB\n", "bulk\tread\tX\t-\tmany\t1\tms\n"} {
		if _, err := parseSeedFigures(bad); err == nil {
			t.Errorf("%q: accepted", bad)
		}
	}
}

// TestNoSeedSectionWithoutPeers: results without BenchmarkPeers or
// crudbench compare get no seed section.
func TestNoSeedSectionWithoutPeers(t *testing.T) {
	_, md := generateFrom(t, "goos: linux\nBenchmarkPaired/op=read-2 300 1000000 ns/op 200000 pgx-ns/op\n")
	if strings.Contains(md, "The seed's comparison") {
		t.Error("a seed section without BenchmarkPeers or compare results")
	}
}
