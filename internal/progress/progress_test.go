package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"golang.org/x/perf/benchfmt"
)

type name string

func (n name) Name() string { return string(n) }

// fakeClock advances by step on every reading.
func fakeClock(step time.Duration) func() time.Time {
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return func() time.Time {
		now := t
		t = t.Add(step)
		return now
	}
}

func TestLeafCountsEachLeafOnceWithinItsFamily(t *testing.T) {
	var out bytes.Buffer
	r := New(&out, fakeClock(20*time.Second), nil)
	r.Step("seeding 10000 users…")
	r.Family(name("BenchmarkCRUD"), "arm=pgx/op=read", "arm=ent/op=read")
	r.Leaf(name("BenchmarkCRUD/arm=pgx/op=read"))
	r.Leaf(name("BenchmarkCRUD/arm=pgx/op=read")) // b.N rises: no new line
	r.Leaf(name("BenchmarkCRUD/arm=ent/op=read"))
	r.Leaf(name("BenchmarkFloor/op=select")) // no family declared
	want := `[crudbench 0:20] seeding 10000 users…
[crudbench 0:40] leaf 1, 1 of 2 in BenchmarkCRUD: BenchmarkCRUD/arm=pgx/op=read
[crudbench 1:00] leaf 2, 2 of 2 in BenchmarkCRUD: BenchmarkCRUD/arm=ent/op=read
[crudbench 1:20] leaf 3: BenchmarkFloor/op=select
`
	if got := out.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestFamilyCountsOnlySelectedLeaves(t *testing.T) {
	sel, err := Matcher("CRUD/arm=ent")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	r := New(&out, fakeClock(time.Second), sel)
	r.Family(name("BenchmarkCRUD"), "arm=pgx/op=read", "arm=ent/op=read", "arm=ent/op=list")
	r.Leaf(name("BenchmarkCRUD/arm=ent/op=read"))
	if !strings.Contains(out.String(), "1 of 2 in BenchmarkCRUD") {
		t.Errorf("want 1 of 2 selected leaves, got %q", out.String())
	}
}

func TestMatcherSplitsLikeGoTest(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{".", "BenchmarkCRUD/arm=pgx/op=read", true},
		{"CRUD", "BenchmarkCRUD/arm=pgx/op=read", true},
		{"Bulk", "BenchmarkCRUD/arm=pgx/op=read", false},
		{"CRUD/arm=ent", "BenchmarkCRUD/arm=pgx/op=read", false},
		{"CRUD/arm=ent", "BenchmarkCRUD/arm=ent/op=read", true},
		{"CRUD//op=(read|list)", "BenchmarkCRUD/arm=sql/op=list", true},
		{"CRUD//op=(read|list)", "BenchmarkCRUD/arm=sql/op=create", false},
		{"Floor|CRUD/arm=pgx", "BenchmarkFloor/op=select", true},
		{"Floor|CRUD/arm=pgx", "BenchmarkCRUD/arm=pgx/op=read", true},
		{"Floor|CRUD/arm=pgx", "BenchmarkCRUD/arm=ent/op=read", false},
		{"Parallel/arm=pgx/op=read/conc=[1/6]+", "BenchmarkParallel/arm=pgx/op=read/conc=16", true},
	}
	for _, tt := range tests {
		m, err := Matcher(tt.pattern)
		if err != nil {
			t.Fatalf("%q: %v", tt.pattern, err)
		}
		if got := m(tt.name); got != tt.want {
			t.Errorf("-bench %q selects %s = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
	if _, err := Matcher("CRUD/("); err == nil {
		t.Error("an invalid pattern compiled")
	}
}

// TestLinesAreNotResults checks that progress lines that land in a
// results file are neither results nor configuration to benchstat.
func TestLinesAreNotResults(t *testing.T) {
	var out bytes.Buffer
	r := New(&out, fakeClock(time.Hour), nil)
	r.Family(name("BenchmarkCRUD"), "arm=pgx/op=read")
	r.Leaf(name("BenchmarkCRUD/arm=pgx/op=read"))
	r.Step("pool: 16")
	r.Step("Benchmark: seeding\nBenchmarkX 1 2 ns/op")
	file := "goos: linux\n" + out.String() + "BenchmarkFloor/op=select-2 \t 100\t 70000 ns/op\n"
	rd := benchfmt.NewReader(strings.NewReader(file), "new.txt")
	results := 0
	for rd.Scan() {
		switch rec := rd.Result().(type) {
		case *benchfmt.Result:
			results++
			if string(rec.Name) != "Floor/op=select-2" {
				t.Errorf("progress parsed as result %s", rec.Name)
			}
			for _, c := range rec.Config {
				if c.Key != "goos" {
					t.Errorf("progress parsed as configuration %s: %s", c.Key, c.Value)
				}
			}
		case *benchfmt.SyntaxError:
			t.Errorf("progress line is a syntax error to benchstat: %v", rec)
		}
	}
	if results != 1 {
		t.Errorf("%d results, want 1:\n%s", results, file)
	}
	if !strings.Contains(out.String(), "[crudbench 3:00:00]") {
		t.Errorf("elapsed time not h:mm:ss after three hours:\n%s", out.String())
	}
}

func TestNilWriterWritesNothing(t *testing.T) {
	r := New(nil, time.Now, nil)
	r.Step("seeding")
	r.Leaf(name("BenchmarkCRUD/arm=pgx/op=read"))
	if r.leaves != 1 {
		t.Errorf("leaves = %d, want 1 counted even when silent", r.leaves)
	}
}

func TestParseMode(t *testing.T) {
	for v, want := range map[string]Mode{"": Auto, "auto": Auto, "1": On, "ON": On, "stderr": Stderr, "0": Off, "off": Off, "maybe": Auto} {
		if got := ParseMode(v); got != want {
			t.Errorf("ParseMode(%q) = %v, want %v", v, got, want)
		}
	}
	if output("off") != nil {
		t.Error("CRUDBENCH_PROGRESS=off writes")
	}
}
