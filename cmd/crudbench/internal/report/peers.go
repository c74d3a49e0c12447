package report

import (
	_ "embed"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/crudbench/crudbench/internal/paired"
	"github.com/crudbench/crudbench/internal/suite"
)

// peersFamily is the family of BenchmarkPeers: the peers beside the
// reference arm, every target out of process.
const peersFamily = "Peers"

// seedFiguresTSV holds the seed report's own figures; its comment lines
// cite where they come from.
//
//go:embed seed-figures.tsv
var seedFiguresTSV string

// seedFigure is one line of seed-figures.tsv.
type seedFigure struct {
	Table  string // "bulk" or "memory"
	Row    string // the op (bulk), or raw or orm (memory)
	Server string // the seed's server, as it names it
	Ours   string // the prefix of our targets that stand for Server, "" for none
	Low    float64
	High   float64
	Unit   string
}

// parseSeedFigures reads the seed figures' file: tab-separated lines of
// table, row, seed server, ours, low, high and unit; # starts a comment.
func parseSeedFigures(text string) ([]seedFigure, error) {
	var out []seedFigure
	for i, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 7 {
			return nil, fmt.Errorf("seed figures, line %d: %d fields, want 7 (table, row, seed server, ours, low, high, unit)", i+1, len(f))
		}
		lo, err := strconv.ParseFloat(f[4], 64)
		if err != nil {
			return nil, fmt.Errorf("seed figures, line %d: low: %w", i+1, err)
		}
		hi, err := strconv.ParseFloat(f[5], 64)
		if err != nil {
			return nil, fmt.Errorf("seed figures, line %d: high: %w", i+1, err)
		}
		if hi < lo {
			return nil, fmt.Errorf("seed figures, line %d: high %v below low %v", i+1, hi, lo)
		}
		ours := f[3]
		if ours == "-" {
			ours = ""
		}
		out = append(out, seedFigure{Table: f[0], Row: f[1], Server: f[2], Ours: ours, Low: lo, High: hi, Unit: f[6]})
	}
	return out, nil
}

// String formats the figure as the seed gives it: "1396 ms", "40–45 MB".
func (s seedFigure) String() string {
	if s.Low == s.High {
		return strconv.FormatFloat(s.Low, 'f', -1, 64) + " " + s.Unit
	}
	return strconv.FormatFloat(s.Low, 'f', -1, 64) + "–" + strconv.FormatFloat(s.High, 'f', -1, 64) + " " + s.Unit
}

// stands reports whether our target name stands for the seed's server.
func (s seedFigure) stands(name string) bool {
	return s.Ours != "" && strings.HasPrefix(name, s.Ours)
}

// peerTargets returns the targets BenchmarkPeers measured in keys: the
// reference, its control, then the others by name.
func (w *doc) peerTargets(keys []Key) []string {
	var out []string
	for _, k := range keys {
		b := w.data.ByKey(k)
		for _, m := range b.Metrics {
			name, ok := strings.CutSuffix(m.FileUnit, "-ns/op")
			if !ok || strings.HasSuffix(name, "-p50") || strings.HasSuffix(name, "-p95") || strings.HasSuffix(name, "-p99") || slices.Contains(out, name) {
				continue
			}
			out = append(out, name)
		}
	}
	ref, ctrl := pairedReference, paired.ControlName(pairedReference)
	rank := func(n string) int {
		switch n {
		case ref:
			return 0
		case ctrl:
			return 1
		}
		return 2
	}
	slices.SortFunc(out, func(a, b string) int {
		if d := rank(a) - rank(b); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	return out
}

// seedComparison writes the section that sets the peers beside the seed
// report: BenchmarkPeers' latency per op and bulk scaling, the seed's
// own figures beside ours, and, from crudbench compare, the peers'
// memory, capacity and CPU per request beside the seed's memory figures.
func (w *doc) seedComparison() {
	keys := w.data.Keys(peersFamily)
	hasCompare := len(w.data.Keys(compareMemFamily)) > 0 || len(w.data.Keys(compareCapFamily)) > 0
	if len(keys) == 0 && !hasCompare {
		return
	}
	w.h2("The seed's comparison")
	seed, err := parseSeedFigures(seedFiguresTSV)
	if err != nil {
		w.warn.add(err.Error(), "seed-figures.tsv")
	}
	if len(keys) == 0 {
		w.missing("BenchmarkPeers results")
	} else {
		targets := w.peerTargets(keys)
		var single, bulk []Key
		for _, k := range keys {
			if strings.HasPrefix(k.Op, "bulk-") {
				bulk = append(bulk, k)
			} else {
				single = append(single, k)
			}
		}
		w.peerLatency(single, targets)
		w.peerBulk(bulk, targets)
		w.seedBulk(bulk, targets, seed)
	}
	w.seedMemory(seed)
}

// peerLatency writes table (a): per op and target, the mean, p50 and p95
// latency and the ratios to the reference with their intervals.
func (w *doc) peerLatency(keys []Key, targets []string) {
	w.h3("Latency per request")
	var rows [][]string
	runs := 0
	for _, k := range keys {
		runs = max(runs, len(w.data.Values(k, "ns/op")))
		for _, t := range targets {
			mean, ok := w.pairedRatio(k, t+"-ns/op")
			if !ok {
				continue
			}
			p50, p50ok := w.pairedRatio(k, t+"-p50-ns/op")
			p95, p95ok := w.pairedRatio(k, t+"-p95-ns/op")
			row := []string{pairedLabel(k), t, fmt.Sprint(mean.N), fmtPairedTime("ns/op", mean, true),
				fmtPairedTime("ns/op", p50, p50ok), fmtPairedTime("ns/op", p95, p95ok)}
			for _, e := range paired.Estimators {
				if t == pairedReference {
					row = append(row, "reference")
				} else {
					row = append(row, fmtPaired(w.pairedRatio(k, t+"/"+pairedReference+e.Suffix)))
				}
			}
			rows = append(rows, row)
		}
	}
	if len(rows) == 0 {
		w.missing("single-request BenchmarkPeers results")
		return
	}
	w.para(fmt.Sprintf("BenchmarkPeers, %d run(s): every target a process of its own (pgx and its control pgx' as `crudbench serve` children), "+
		"the same requests in an order shuffled every round; times are geometric means over runs (CV across runs), ratios to %s "+
		"the geometric mean of the runs' ratios with a Student t 95 %% interval (– for a percentile too few requests support).", runs, pairedReference))
	header := []string{"benchmark", "target", "runs", "mean", "p50", "p95"}
	for _, e := range paired.Estimators {
		header = append(header, e.Name+" to "+pairedReference+" [95% CI]")
	}
	w.table(mdTable(header, 2, rows))
}

// peerBulk writes table (b): the mean time of one bulk request per op and
// target at every size measured, with its ratio to the reference.
func (w *doc) peerBulk(keys []Key, targets []string) {
	w.h3("Bulk scaling")
	sizes := w.data.Sizes(peersFamily, func(k Key) string { return k.N })
	if len(keys) == 0 || len(sizes) == 0 {
		w.missing("bulk BenchmarkPeers results")
		return
	}
	var rows [][]string
	for _, op := range w.data.Ops(peersFamily) {
		if !strings.HasPrefix(op, "bulk-") {
			continue
		}
		for _, t := range targets {
			row := []string{op, t}
			any := false
			for _, n := range sizes {
				k := Key{Family: peersFamily, Op: op, N: n}
				s, ok := w.pairedRatio(k, t+"-ns/op")
				cell := fmtPairedTime("ns/op", s, ok)
				if ok && t != pairedReference {
					if r, rok := w.pairedRatio(k, t+"/"+pairedReference); rok {
						cell += fmt.Sprintf(", %.2f×", r.Mean)
					}
				}
				any = any || ok
				row = append(row, cell)
			}
			if any {
				rows = append(rows, row)
			}
		}
	}
	header := []string{"op", "target"}
	for _, n := range sizes {
		header = append(header, "n="+n)
	}
	w.para("Time of one bulk request of n rows (geometric mean over runs, CV across runs), and its ratio to " + pairedReference + " in the same rounds.")
	w.table(mdTable(header, 2, rows))
}

// seedBulk writes table (c): the seed's bulk times beside ours at the
// largest size measured, for the targets that stand for its servers.
func (w *doc) seedBulk(keys []Key, targets []string, seed []seedFigure) {
	w.h3("The seed's bulk figures beside ours")
	sizes := w.data.Sizes(peersFamily, func(k Key) string { return k.N })
	var rows [][]string
	for _, f := range seed {
		if f.Table != "bulk" {
			continue
		}
		ours := []string{}
		if len(sizes) > 0 {
			n := sizes[len(sizes)-1]
			k := Key{Family: peersFamily, Op: "bulk-" + f.Row, N: n}
			for _, t := range targets {
				if s, ok := w.pairedRatio(k, t+"-ns/op"); ok && f.stands(t) {
					ours = append(ours, fmt.Sprintf("%s: %s", t, fmtValue("ns/op", s.Mean)))
				}
			}
		}
		cell := "not measured"
		if len(ours) > 0 {
			cell = strings.Join(ours, "; ")
		}
		rows = append(rows, []string{f.Row, f.Server, f.String(), cell})
	}
	n := "–"
	if len(sizes) > 0 {
		n = sizes[len(sizes)-1]
	}
	w.para(fmt.Sprintf("The seed's time per bulk operation (its n is not stated; from seed-figures.tsv) beside the mean time of one bulk request "+
		"of n=%s rows to each of our targets that stands for its server.", n))
	w.table(mdTable([]string{"op", "seed's server", "seed's figure", "ours (n=" + n + ")"}, 3, rows))
}

// seedMemory writes table (d): from crudbench compare's results, the
// reference's, its control's and each peer's memory, capacity ratio and CPU per request beside the seed's
// memory figure of the server it stands for.
func (w *doc) seedMemory(seed []seedFigure) {
	w.h3("The seed's memory figures beside ours")
	// The reference, its control and the peers: the Go arms have the
	// section "Throughput, CPU and memory".
	goArms := append(slices.Clone(suite.Arms), suite.VariantNames()...)
	var names []string
	for _, k := range append(w.data.Keys(compareMemFamily), w.data.Keys(compareCapFamily)...) {
		ref, _ := paired.ControlOf(k.Arm)
		if k.Arm != pairedReference && ref != pairedReference && slices.Contains(goArms, k.Arm) {
			continue
		}
		if !slices.Contains(names, k.Arm) {
			names = append(names, k.Arm)
		}
	}
	if len(names) == 0 {
		w.missing("crudbench compare results (CompareMemory, CompareCapacity) among the inputs")
		return
	}
	med := func(k Key, unit string) float64 {
		vs := slices.Clone(w.data.Values(k, unit))
		if len(vs) == 0 {
			return math.NaN()
		}
		slices.Sort(vs)
		return vs[len(vs)/2]
	}
	mib := func(k Key, unit string) string {
		if v := med(k, unit); !math.IsNaN(v) {
			return fmt.Sprintf("%.1f MiB", v/mebi)
		}
		return "–"
	}
	ops := w.data.Ops(compareCapFamily)
	var rows [][]string
	for _, name := range names {
		seedFig, seedServer := "–", "–"
		for _, f := range seed {
			if f.Table == "memory" && f.stands(name) {
				seedServer, seedFig = f.Server, f.String()
			}
		}
		idle, loaded := Key{Family: compareMemFamily, Arm: name, Op: "idle"}, Key{Family: compareMemFamily, Arm: name, Op: "loaded"}
		row := []string{name, seedServer, seedFig, mib(idle, "pss-bytes"), mib(idle, "rss-bytes"), mib(loaded, "pss-bytes"), mib(loaded, "rss-bytes")}
		for _, op := range ops {
			k := Key{Family: compareCapFamily, Arm: name, Op: op}
			capRatio := "–"
			if vs := w.data.Values(k, "cap-ratio"); len(vs) > 0 {
				capRatio = fmtPaired(paired.Summarize(vs, confidence), true)
			}
			cpu := "–"
			if app, pg := med(k, "app-cpu-ns/op"), med(k, "pg-cpu-ns/op"); !math.IsNaN(app) && !math.IsNaN(pg) {
				cpu = fmtValue("ns/op", app+pg)
			}
			row = append(row, capRatio, cpu)
		}
		rows = append(rows, row)
	}
	for _, f := range seed {
		if f.Table == "memory" && !slices.ContainsFunc(names, f.stands) {
			row := []string{"not measured", f.Server, f.String(), "–", "–", "–", "–"}
			for range ops {
				row = append(row, "–", "–")
			}
			rows = append(rows, row)
		}
	}
	header := []string{"target", "seed's server", "seed's memory", "PSS idle", "RSS idle", "PSS after the ops", "RSS after the ops"}
	for _, op := range ops {
		header = append(header, op+" capacity ratio [95% CI]", op+" app+pg CPU/req")
	}
	w.para("crudbench compare's figures for each target (PSS and RSS of its process tree; capacity ratio to its reference, geometric mean over rounds " +
		"with a 95 % interval; CPU of the server's tree and its PostgreSQL backends per request, median slice) beside the seed's memory range " +
		"for the server it stands for (the seed does not say whether it measured RSS or another figure).")
	w.table(mdTable(header, 3, rows))
}
