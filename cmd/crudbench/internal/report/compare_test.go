package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestThroughputCPUMemorySection(t *testing.T) {
	dir := t.TempDir()
	if _, err := Generate(dir, filepath.Join("testdata", "compare.txt")); err != nil {
		t.Fatalf("Generate: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(dir, MarkdownFile))
	if err != nil {
		t.Fatal(err)
	}
	md := string(b)
	for _, want := range []string{
		"## Throughput, CPU and memory\n",
		"    crudbench compare -arms pgx,ent -ops read,create -seed 1\n",
		"| pgx | 4000 | reference | 100µs | 50µs | 150µs | 60µs | reference | 2ms | – |",
		"| pgx' | 4000 | 1.000 [0.998, 1.002] |",
		"| ent | 3200 | 0.800 [0.775, 0.825] | 140µs | 50µs | 190µs | 60µs |",
		"| 3ms | 1.500 [1.400, 1.600] |",
		"Open-loop rate: 1600 req/s for every target.",
		"CPU per request at equal load, all servers at once: in each slice every server got open-loop load at the same time and the same rate (533 req/s each;",
		"| pgx | 100µs | 50µs | 150µs | reference | reference | reference |",
		"| pgx' | 100µs | 50µs | 150µs | 1.000 [0.998, 1.002] | 1.001 [0.997, 1.004] |",
		"| ent | 140µs | 50µs | 190µs | 1.267 [1.267, 1.267] | 1.400 [1.400, 1.400] | 1.000 [1.000, 1.000] |",
		"![CPU per request: server and PostgreSQL, stacked](compare-cpu.png)",
		"| ent | 40.0 MiB | 12.0 MiB | 24.0 MiB | 16.0 MiB | 32.0 MiB |",
		// create's control spreads ±10 %: flagged; read's is not.
		"the control's capacity interval",
		"CompareCapacity/arm=pgx'/op=create",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	if strings.Contains(md, "CompareCapacity/arm=pgx'/op=read\n") || strings.Contains(md, "## ORM vs raw SQL\n\nEach arm") && strings.Contains(md, "pgx'/pgx") {
		t.Errorf("read's control flagged, or the targets taken for arms:\n%s", md)
	}
}
