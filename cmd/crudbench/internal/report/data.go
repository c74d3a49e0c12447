package report

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchproc"

	"github.com/crudbench/crudbench/cmd/crudbench/internal/gate"
)

// Key identifies a benchmark of the suite by the parts of its name:
// CRUD/arm=pgx/op=read is {Family: "CRUD", Arm: "pgx", Op: "read"}.
type Key struct {
	Family string // CRUD, Bulk, Relation, Parallel, Floor
	Arm    string // pgx, sql, ent; "" for Floor
	Op     string // create, read, ...; "" for Relation
	N      string // Bulk batch size
	Posts  string // Relation posts per user
	Conc   string // Parallel concurrency
}

// ConfigEntry is a file configuration key ("postgres: 15.18") with every
// distinct value it had across the inputs.
type ConfigEntry struct {
	Key    string
	Values []string
}

// Data is the parsed content of one or more result files.
type Data struct {
	// Files are the input paths.
	Files []string
	// Config is the file configuration, in order of first appearance.
	Config []ConfigEntry
	// Units is the unit metadata (better=, assume=) of the inputs.
	Units benchfmt.UnitMetadataMap
	// Warnings are problems found while reading.
	Warnings []string

	keys   []Key
	values map[Key]map[string][]float64 // by unit as written in the file
}

// Load reads result files. Samples of the same benchmark from several
// files, or from concatenated runs in one file, are pooled.
func Load(paths ...string) (*Data, error) {
	if len(paths) == 0 {
		return nil, errors.New("loading results: no input files")
	}
	d := &Data{Files: paths, values: make(map[Key]map[string][]float64)}
	var pp benchproc.ProjectionParser
	proj, err := pp.Parse(".name,/arm,/op,/n,/posts,/conc", nil)
	if err != nil {
		return nil, fmt.Errorf("building the name projection: %w", err)
	}
	if _, err := pp.Parse(".file", nil); err != nil { // files are pooled on purpose
		return nil, fmt.Errorf("building the file projection: %w", err)
	}
	residue := pp.Residue()
	fields := proj.Fields()
	residues := make(map[Key][]benchproc.Key)
	files := benchfmt.Files{Paths: paths}
	var syntaxErrs []error
	for files.Scan() {
		switch rec := files.Result().(type) {
		case *benchfmt.SyntaxError:
			syntaxErrs = append(syntaxErrs, rec)
		case *benchfmt.Result:
			pk := proj.Project(rec)
			k := Key{pk.Get(fields[0]), pk.Get(fields[1]), pk.Get(fields[2]), pk.Get(fields[3]), pk.Get(fields[4]), pk.Get(fields[5])}
			d.add(k, rec)
			residues[k] = append(residues[k], residue.Project(rec))
		}
	}
	if err := files.Err(); err != nil {
		return nil, fmt.Errorf("reading benchmark results: %w", err)
	}
	if len(syntaxErrs) > 0 {
		return nil, fmt.Errorf("parsing benchmark results: %w", errors.Join(syntaxErrs[:min(len(syntaxErrs), 5)]...))
	}
	if len(d.keys) == 0 {
		return nil, fmt.Errorf("reading %v: no benchmark results in them (are they go test -bench output?)", paths)
	}
	d.Units = files.Units()
	for _, k := range d.keys {
		if f := benchproc.NonSingularFields(residues[k]); len(f) > 0 {
			d.Warnings = append(d.Warnings, fmt.Sprintf("%s: pooled results differ in %v", k, f))
		}
	}
	return d, nil
}

func (d *Data) add(k Key, rec *benchfmt.Result) {
	byUnit, ok := d.values[k]
	if !ok {
		byUnit = make(map[string][]float64)
		d.values[k] = byUnit
		d.keys = append(d.keys, k)
	}
	for _, v := range rec.Values {
		unit, val := v.Unit, v.Value
		if v.OrigUnit != "" {
			unit, val = v.OrigUnit, v.OrigValue
		}
		byUnit[unit] = append(byUnit[unit], val)
	}
	for _, c := range rec.Config {
		if !c.File {
			continue
		}
		i := slices.IndexFunc(d.Config, func(e ConfigEntry) bool { return e.Key == c.Key })
		if i < 0 {
			d.Config = append(d.Config, ConfigEntry{Key: c.Key})
			i = len(d.Config) - 1
		}
		if !slices.Contains(d.Config[i].Values, string(c.Value)) {
			d.Config[i].Values = append(d.Config[i].Values, string(c.Value))
		}
	}
}

// String returns the benchmark name without GOMAXPROCS, e.g.
// CRUD/arm=pgx/op=read.
func (k Key) String() string {
	s := k.Family
	for _, kv := range [][2]string{{"arm", k.Arm}, {"op", k.Op}, {"n", k.N}, {"posts", k.Posts}, {"conc", k.Conc}} {
		if kv[1] != "" {
			s += "/" + kv[0] + "=" + kv[1]
		}
	}
	return s
}

// Values returns the samples of a benchmark in a unit as written in the
// file (ns/op, not sec/op), or nil.
func (d *Data) Values(k Key, unit string) []float64 {
	return d.values[k][unit]
}

// Summary summarizes a benchmark's unit the way benchstat does: the
// median with its 95% confidence interval, or the exact value for exact
// units (assume=exact, and queries/op unless declared otherwise, as the
// gate has it). ok is false if there are no samples.
func (d *Data) Summary(k Key, unit string) (s benchmath.Summary, ok bool) {
	vs := d.Values(k, unit)
	if len(vs) == 0 {
		return s, false
	}
	sample := benchmath.NewSample(slices.Clone(vs), &benchmath.DefaultThresholds)
	return gate.Assumption(d.Units, unit).Summary(sample, confidence), true
}

// confidence is the confidence level of every interval in the report.
const confidence = 0.95

// Keys returns the benchmarks of a family in suite order: arms pgx, sql,
// ent, then ops and sizes in their natural order.
func (d *Data) Keys(family string) []Key {
	var ks []Key
	for _, k := range d.keys {
		if k.Family == family {
			ks = append(ks, k)
		}
	}
	return ks
}

// Arms returns the arms present, pgx, sql and ent first.
func (d *Data) Arms() []string {
	var arms []string
	for _, k := range d.keys {
		if k.Arm != "" && !slices.Contains(arms, k.Arm) {
			arms = append(arms, k.Arm)
		}
	}
	return ordered(arms, "pgx", "sql", "ent")
}

// Ops returns the ops of a family present, in the suite's order.
func (d *Data) Ops(family string) []string {
	var ops []string
	for _, k := range d.Keys(family) {
		if k.Op != "" && !slices.Contains(ops, k.Op) {
			ops = append(ops, k.Op)
		}
	}
	return ordered(ops, "create", "read", "update", "delete", "list", "http-noop", "select", "insert")
}

// Sizes returns the distinct numeric values of a name key (N, Posts or
// Conc) in a family, sorted.
func (d *Data) Sizes(family string, get func(Key) string) []string {
	var out []string
	for _, k := range d.Keys(family) {
		if v := get(k); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b string) int {
		x, _ := strconv.ParseFloat(a, 64)
		y, _ := strconv.ParseFloat(b, 64)
		return cmp.Compare(x, y)
	})
	return out
}

// ordered sorts xs with the known values first, in their given order.
func ordered(xs []string, known ...string) []string {
	rank := func(x string) int {
		if i := slices.Index(known, x); i >= 0 {
			return i
		}
		return len(known)
	}
	slices.SortStableFunc(xs, func(a, b string) int { return rank(a) - rank(b) })
	return xs
}

// has reports whether benchmark k was measured.
func (d *Data) has(k Key) bool {
	_, ok := d.values[k]
	return ok
}

// hasUnit reports whether any benchmark of a family was measured in unit.
func (d *Data) hasUnit(family, unit string) bool {
	for _, k := range d.Keys(family) {
		if len(d.values[k][unit]) > 0 {
			return true
		}
	}
	return false
}
