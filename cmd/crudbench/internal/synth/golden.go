package synth

import "math"

// Golden is one committed synthetic results file in cmd/crudbench/testdata.
type Golden struct {
	Name    string // file name
	About   string // what the file is for
	Options Options
}

// Seeds keep every file's noise independent; the A/A files share the
// distribution of the base but not its draws.
const (
	seedBase = iota + 1
	seedAA
	seedHead
)

const noise = 0.01

func small(seed uint64, count int, adjust func(Bench, string, float64) float64) Options {
	return Options{Seed: seed, Count: count, Noise: noise, Benches: Small(), Adjust: adjust}
}

// scale returns an Adjust that multiplies unit of the benchmarks that
// match by f.
func scale(match func(Bench) bool, f float64, units ...string) func(Bench, string, float64) float64 {
	return func(b Bench, unit string, v float64) float64 {
		if !match(b) {
			return v
		}
		for _, u := range units {
			if u == unit {
				return v * f
			}
		}
		return v
	}
}

func is(name string) func(Bench) bool {
	return func(b Bench) bool { return b.Name() == name }
}

// GoldenFiles lists the committed synthetic files. TestGoldenFiles checks
// they match this list; go test ./cmd/crudbench/internal/synth -update rewrites
// them.
var GoldenFiles = []Golden{
	{"full-base.txt", "the whole suite, -count 10, written as two concatenated runs of 5", Options{Seed: seedBase, Count: 10, Blocks: 2, Noise: noise}},
	{"full-head.txt", "the whole suite again, with ent's read 12% slower and its update one query heavier",
		Options{Seed: seedHead, Count: 10, Noise: noise, Adjust: func(b Bench, unit string, v float64) float64 {
			if b.Family == "CRUD" && b.Arm == "ent" && b.Op == "read" && unit != "queries/op" && unit != "B/op" && unit != "allocs/op" {
				if unit == "req/s" {
					return v / 1.12
				}
				return v * 1.12
			}
			if b.Family == "CRUD" && b.Arm == "ent" && b.Op == "update" && unit == "queries/op" {
				return v + 1
			}
			return v
		}}},
	{"gate-base.txt", "the gate's base: a reduced suite, -count 10", small(seedBase, 10, nil)},
	{"gate-aa.txt", "A/A: same distribution as gate-base.txt, other draws", small(seedAA, 10, nil)},
	{"gate-slower-ns.txt", "CRUD/arm=ent/op=read ns/op 10% slower", small(seedHead, 10, scale(is("CRUD/arm=ent/op=read"), 1.10, "ns/op"))},
	{"gate-slightly-slower.txt", "CRUD/arm=ent/op=read ns/op 2% slower: significant but within 5%", small(seedHead, 10, scale(is("CRUD/arm=ent/op=read"), 1.02, "ns/op"))},
	{"gate-fewer-reqs.txt", "Parallel/arm=pgx/op=read/conc=16 req/s 10% lower", small(seedHead, 10, scale(is("Parallel/arm=pgx/op=read/conc=16"), 0.90, "req/s"))},
	{"gate-extra-query.txt", "CRUD/arm=ent/op=update does one more query per op (2 -> 3)",
		small(seedHead, 10, func(b Bench, unit string, v float64) float64 {
			if b.Name() == "CRUD/arm=ent/op=update" && unit == "queries/op" {
				return v + 1
			}
			return v
		})},
	{"gate-faster.txt", "every ent benchmark 20% faster, 25% more req/s, fewer allocations",
		small(seedHead, 10, func(b Bench, unit string, v float64) float64 {
			if b.Arm != "ent" {
				return v
			}
			switch unit {
			case "req/s":
				return v * 1.25
			case "allocs/op":
				return math.Round(v * 0.8)
			case "queries/op", "B/op":
				return v
			}
			return v * 0.8
		})},
	{"gate-missing.txt", "head run that stopped early: no Parallel or Floor benchmarks",
		Options{Seed: seedHead, Count: 10, Noise: noise, Benches: only(Small(), "CRUD")}},
	{"gate-renamed.txt", "no benchmark in common with gate-base.txt", Options{Seed: seedHead, Count: 10, Noise: noise, Benches: Small(), Prefix: "BenchmarkOld"}},
	{"gate-few-base.txt", "the reduced suite with -count 3", small(seedBase, 3, nil)},
	{"gate-few-head.txt", "the reduced suite with -count 3, other draws", small(seedAA, 3, nil)},
}

func only(bs []Bench, family string) []Bench {
	var out []Bench
	for _, b := range bs {
		if b.Family == family {
			out = append(out, b)
		}
	}
	return out
}
