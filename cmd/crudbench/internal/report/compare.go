package report

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"gonum.org/v1/plot"

	"github.com/crudbench/crudbench/internal/paired"
)

// The families crudbench compare writes with N targets (package compare
// names them too; the report reads files, not that package).
const (
	compareCapFamily  = "CompareCapacity"
	compareTailFamily = "CompareTail"
	compareMemFamily  = "CompareMemory"
	compareCPUFamily  = "CompareCPU"
)

// throughputCPUMemory writes the Throughput, CPU and memory section from
// crudbench compare's results, and under it the arm-by-arm load study's
// results if any.
func (w *doc) throughputCPUMemory() {
	hasCompare := len(w.data.Keys(compareCapFamily)) > 0 || len(w.data.Keys(compareMemFamily)) > 0
	if !hasCompare && len(w.data.Keys(loadFamily)) == 0 {
		return
	}
	w.h2("Throughput, CPU and memory")
	if !hasCompare {
		w.missing("side-by-side comparison (crudbench compare -arms …)")
		w.openLoad()
		return
	}
	targets := w.data.ConfigValues("crudbench-compare-targets")
	var names []string
	if len(targets) > 0 {
		names = strings.Split(targets[0], ",")
	}
	for _, k := range append(w.data.Keys(compareCapFamily), w.data.Keys(compareMemFamily)...) {
		if !slices.Contains(names, k.Arm) {
			names = append(names, k.Arm)
		}
	}
	ref := names[0]
	if r := w.data.ConfigValues("crudbench-compare-reference"); len(r) > 0 {
		ref = r[0]
	}
	w.para("Every server ran in its own process, each on its own clone of one seeded database on one PostgreSQL, and the servers " +
		"took turns in short slices, in an order shuffled afresh every round (crudbench compare). Capacity: closed-loop " +
		"throughput per slice at saturation, each target's ratio to " + ref + " in the same round, geometric mean and 95 % interval " +
		"over rounds. CPU per request over the same slices: the server's process tree (app), the PostgreSQL backends serving " +
		"its database (pg) and the load generator (client), divided by the requests answered. p95 at equal load: open loop " +
		"at one rate for every target, latency from the intended send time, pooled over slices, bootstrap interval over rounds. " +
		"The control, " + ref + "' (" + ref + " a second time), shows the harness's own bias: trust a ratio only where it lies " +
		"outside the control's interval.")
	if cmds := w.data.ConfigValues("crudbench-compare-command"); len(cmds) > 0 {
		var b strings.Builder
		for _, c := range cmds {
			fmt.Fprintf(&b, "    %s\n", c)
		}
		w.para("Measured with:\n\n" + b.String())
	}
	ciOf := func(vs []float64) (string, paired.Summary) {
		if len(vs) < 2 {
			return "–", paired.Summary{}
		}
		s := paired.Summarize(vs, confidence)
		return fmt.Sprintf("%.3f [%.3f, %.3f]", s.Mean, s.Lo, s.Hi), s
	}
	ci := func(k Key, unit string) (string, paired.Summary) { return ciOf(w.data.Values(k, unit)) }
	medOf := func(vs []float64) float64 {
		vs = slices.Clone(vs)
		if len(vs) == 0 {
			return math.NaN()
		}
		slices.Sort(vs)
		return vs[len(vs)/2]
	}
	med := func(k Key, unit string) float64 { return medOf(w.data.Values(k, unit)) }
	dur := func(ns float64) string {
		if math.IsNaN(ns) {
			return "n/a"
		}
		return time.Duration(ns).Round(100 * time.Nanosecond).String()
	}
	for _, op := range w.data.Ops(compareCapFamily) {
		w.h3("op " + op)
		var rows [][]string
		tails := map[string]Key{}
		for _, k := range w.data.Keys(compareTailFamily) {
			if k.Op == op {
				tails[k.Arm] = k
			}
		}
		for _, name := range names {
			k := Key{Family: compareCapFamily, Arm: name, Op: op}
			if !w.data.has(k) {
				continue
			}
			capRatio, cpuRatio, p95, p95Ratio := "reference", "reference", "–", "–"
			if name != ref {
				var cs, us paired.Summary
				capRatio, cs = ci(k, "cap-ratio")
				cpuRatio, us = ci(k, "cpu-ratio")
				if name == paired.ControlName(ref) {
					if cs.N > 1 && (cs.Lo < 0.98 || cs.Hi > 1.02) {
						w.warn.add(fmt.Sprintf("the control's capacity interval [%.3f, %.3f] is not within 1.00 ± 0.02: capacity ratios closer to 1 than that mean nothing", cs.Lo, cs.Hi), k.String())
					}
					if us.N > 1 && (us.Lo < 0.99 || us.Hi > 1.01) {
						w.warn.add(fmt.Sprintf("the control's CPU-per-request interval [%.3f, %.3f] is not within 1.00 ± 0.01", us.Lo, us.Hi), k.String())
					}
				}
			}
			if tk, ok := tails[name]; ok {
				if v := med(tk, "p95-ns/op"); !math.IsNaN(v) {
					p95 = dur(v)
					if lo, hi := med(tk, "p95-lo-ns/op"), med(tk, "p95-hi-ns/op"); !math.IsNaN(lo) {
						p95 += fmt.Sprintf(" [%s, %s]", dur(lo), dur(hi))
					}
				}
				if v := med(tk, "p95-ratio"); !math.IsNaN(v) {
					p95Ratio = fmt.Sprintf("%.3f [%.3f, %.3f]", v, med(tk, "p95-ratio-lo"), med(tk, "p95-ratio-hi"))
				}
			}
			app, pg := med(k, "app-cpu-ns/op"), med(k, "pg-cpu-ns/op")
			stack := "n/a"
			if !math.IsNaN(app) && !math.IsNaN(pg) {
				stack = dur(app + pg)
			}
			rows = append(rows, []string{name, fmt.Sprintf("%.0f", med(k, "req/s")), capRatio,
				dur(app), dur(pg), stack, dur(med(k, "client-cpu-ns/op")), cpuRatio, p95, p95Ratio})
		}
		w.table(mdTable([]string{"target", "req/s (median slice)", "capacity ratio", "app CPU/req", "pg CPU/req", "app+pg", "client CPU/req", "CPU ratio (app+pg)", "p95 at equal load", "p95 ratio"}, 1, rows))
		for _, k := range tails {
			w.para("Open-loop rate: " + k.Rate + " req/s for every target.")
			break
		}
		w.cpuAtOnce(op, ref, names, ciOf, medOf, dur)
	}
	w.cpuChart(names, med)
	var rows [][]string
	for _, name := range names {
		idle, loaded := Key{Family: compareMemFamily, Arm: name, Op: "idle"}, Key{Family: compareMemFamily, Arm: name, Op: "loaded"}
		if !w.data.has(idle) {
			continue
		}
		mib := func(k Key, unit string) string {
			if v := med(k, unit); !math.IsNaN(v) {
				return fmt.Sprintf("%.1f MiB", v/mebi)
			}
			return "–"
		}
		rows = append(rows, []string{name, mib(idle, "binary-bytes"), mib(idle, "pss-bytes"), mib(idle, "rss-bytes"), mib(loaded, "pss-bytes"), mib(loaded, "rss-bytes")})
	}
	if len(rows) > 0 {
		w.h3("Memory")
		w.para("PSS summed over each server's process tree (a shared page split among its sharers), RSS beside it, at idle " +
			"before the ops and after them; the size of the binary each server ran. Per-arm binaries " +
			"(go build -tags crudbench_onearm,crudbench_ARM) link one library each; one binary of all arms links them all.")
		w.table(mdTable([]string{"target", "binary", "PSS idle", "RSS idle", "PSS after the ops", "RSS after the ops"}, 1, rows))
	}
	if len(w.data.Keys(loadFamily)) > 0 {
		w.openLoad()
	}
}

// cpuAtOnce writes op's table of CPU per request at equal load with all
// servers at once, the control's row after the reference's: medians over
// slices, and the ratios to ref taken within each slice, pooled over the
// files and rates.
func (w *doc) cpuAtOnce(op, ref string, names []string, ciOf func([]float64) (string, paired.Summary), medOf func([]float64) float64, dur func(float64) string) {
	keys := map[string][]Key{}
	var rates []string
	for _, k := range w.data.Keys(compareCPUFamily) {
		if k.Op != op {
			continue
		}
		keys[k.Arm] = append(keys[k.Arm], k)
		if !slices.Contains(rates, k.Rate) {
			rates = append(rates, k.Rate)
		}
	}
	if len(keys) == 0 {
		return
	}
	values := func(name, unit string) []float64 {
		var vs []float64
		for _, k := range keys[name] {
			vs = append(vs, w.data.Values(k, unit)...)
		}
		return vs
	}
	order := []string{ref}
	if slices.Contains(names, paired.ControlName(ref)) {
		order = append(order, paired.ControlName(ref))
	}
	for _, name := range names {
		if !slices.Contains(order, name) {
			order = append(order, name)
		}
	}
	var rows [][]string
	for _, name := range order {
		if len(keys[name]) == 0 {
			continue
		}
		app, pg := medOf(values(name, "app-cpu-ns/op")), medOf(values(name, "pg-cpu-ns/op"))
		stack := "n/a"
		if !math.IsNaN(app) && !math.IsNaN(pg) {
			stack = dur(app + pg)
		}
		cpuRatio, appRatio, pgRatio := "reference", "reference", "reference"
		if name != ref {
			var us paired.Summary
			cpuRatio, us = ciOf(values(name, "cpu-ratio"))
			appRatio, _ = ciOf(values(name, "app-cpu-ratio"))
			pgRatio, _ = ciOf(values(name, "pg-cpu-ratio"))
			if name == paired.ControlName(ref) && us.N > 1 && (us.Lo < 0.99 || us.Hi > 1.01) {
				w.warn.add(fmt.Sprintf("the control's CPU-per-request interval at equal load, all servers at once, [%.3f, %.3f] is not within 1.00 ± 0.01", us.Lo, us.Hi), keys[name][0].String())
			}
		}
		rows = append(rows, []string{name, dur(app), dur(pg), stack, cpuRatio, appRatio, pgRatio})
	}
	w.para("CPU per request at equal load, all servers at once: in each slice every server got open-loop load at the same " +
		"time and the same rate (" + strings.Join(rates, ", ") + " req/s each; together a fraction of the slowest server's capacity); each server's " +
		"CPU and its PostgreSQL backends' over the slice, divided by the requests it answered (medians over slices). The ratios to " +
		ref + " are taken within each slice, where the machine's speed, which varies from one moment to the next, is the same for " +
		"all of them; geometric mean and 95 % interval over slices. The load generator's CPU is not split among the servers here.")
	w.table(mdTable([]string{"target", "app CPU/req", "pg CPU/req", "app+pg", "CPU ratio (app+pg)", "app ratio", "pg ratio"}, 1, rows))
}

// cpuChart draws CPU per request per op, a bar per target: the server's
// share with PostgreSQL's stacked on it (medians over slices).
func (w *doc) cpuChart(names []string, med func(Key, string) float64) {
	ops := w.data.Ops(compareCapFamily)
	top := 0.0
	for _, op := range ops {
		for _, name := range names {
			k := Key{Family: compareCapFamily, Arm: name, Op: op}
			if v := med(k, "app-cpu-ns/op") + med(k, "pg-cpu-ns/op"); v > top {
				top = v
			}
		}
	}
	if top <= 0 || math.IsNaN(top) {
		return
	}
	div, axis := axisScale("ns/op", top)
	g, cols := newGrid(len(ops))
	var all []*plot.Plot
	for i, op := range ops {
		app, sum := nans(len(names)), nans(len(names))
		for j, name := range names {
			k := Key{Family: compareCapFamily, Arm: name, Op: op}
			a, p := med(k, "app-cpu-ns/op"), med(k, "pg-cpu-ns/op")
			app[j], sum[j] = a/div, (a+p)/div
		}
		p := barChart("CPU per request, "+op, "", withUnit("CPU time", axis), names, []series{
			{Label: "server", Color: rgb(0x4c72b0), Y: app},
			{Label: "PostgreSQL", Color: rgb(0xdd8452), Y: sum, Base: app},
		})
		g[i/cols][i%cols] = p
		all = append(all, p)
	}
	shareY(all...)
	w.figure(g.named("compare-cpu", "CPU per request: server and PostgreSQL, stacked"))
}
