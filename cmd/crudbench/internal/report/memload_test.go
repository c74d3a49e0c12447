package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMemoryAndLoadSections(t *testing.T) {
	dir := t.TempDir()
	written, err := Generate(dir, filepath.Join(synthetic, "full-base.txt"), filepath.Join("testdata", "memory-load.txt"))
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(dir, MarkdownFile))
	if err != nil {
		t.Fatalf("reading report: %v", err)
	}
	md := string(b)
	for _, want := range []string{
		"## Process memory\n",
		"## Throughput, CPU and memory\n",
		"### Latency under open-loop load, arm by arm\n",
		"**Highest rate held.**",
		"p99 ≤ 20ms (the study's bound)",
		// idle RSS is the median of ent's two idle runs: 28 and 29 MiB.
		"| ent | bulk-create n=1000 | 28.5 MiB | 60.0 MiB | 40.0 MiB | 20.0 MiB | 300.0 |",
		"| pgx | read | 27.0 MiB | 35.0 MiB | 32.0 MiB | 8.0 MiB | 1.5 |",
		"| read | pgx | 3000 req/s | 2700 req/s |",
		"| read | ent | 2000 req/s | 1000 req/s |",  // 1800/s achieved 1400/s
		"| create | pgx | 1000 req/s | 500 req/s |", // 900/s had errors
		"| create | ent | 800 req/s | 400 req/s |",  // 720/s: p99 25 ms > 20 ms
		"![Peak RSS per workload and arm](memory-peak-rss.png)",
		"![p99 latency against offered rate](load-p99.png)",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	if strings.Index(md, "## Process memory") > strings.Index(md, "## Warnings") {
		t.Error("the memory section comes after the warnings")
	}
	for _, name := range []string{"memory-peak-rss", "load-p99"} {
		checkPNG(t, filepath.Join(dir, name+".png"))
		checkSVG(t, filepath.Join(dir, name+".svg"))
		found := false
		for _, p := range written {
			found = found || p == filepath.Join(dir, name+".png")
		}
		if !found {
			t.Errorf("Generate did not report writing %s.png", name)
		}
	}
	if strings.Contains(md, "pooled results differ") {
		t.Error("open-loop rates of one arm and op were pooled")
	}
}

func TestNoMemoryOrLoadSectionsWithoutThoseStudies(t *testing.T) {
	dir := t.TempDir()
	if _, err := Generate(dir, filepath.Join(synthetic, "full-base.txt")); err != nil {
		t.Fatalf("Generate: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(dir, MarkdownFile))
	if err != nil {
		t.Fatalf("reading report: %v", err)
	}
	for _, section := range []string{"## Process memory", "## Throughput, CPU and memory"} {
		if strings.Contains(string(b), section) {
			t.Errorf("report.md has %q without such results", section)
		}
	}
}

func TestDefaultP99BoundIsStated(t *testing.T) {
	_, md := generateFrom(t, "BenchmarkLoad/arm=pgx/op=read/rate=100\t500\t1000000 p99-ns/op\t0 errors\t100.0 req/s\n")
	wantInReport(t, md, "p99 ≤ 10ms (the study's default", "| read | pgx | – | 100 req/s |")
}
