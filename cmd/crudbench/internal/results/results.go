// Package results reads crudbench result files, the output of go test
// -bench in the Go benchmark format, with benchfmt: the samples of each
// benchmark and unit, the unit metadata (better=, assume=), the file
// configuration lines and the benchmark names split into the suite's
// keys (family, arm, op, n, posts, conc, rate).
package results

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchproc"
	"golang.org/x/perf/benchunit"
)

// Key identifies a benchmark of the suite by the parts of its name:
// CRUD/arm=pgx/op=read is {Family: "CRUD", Arm: "pgx", Op: "read"}.
type Key struct {
	Family string // CRUD, Bulk, Relation, Parallel, Floor, Memory, Load, LoadClosed
	Arm    string // an arm or variant of package arms; "" for Floor
	Op     string // create, read, ...; "" for Relation
	N      string // Bulk batch size
	Posts  string // Relation posts per user
	Conc   string // Parallel concurrency
	Rate   string // Load offered rate, requests per second
}

// String returns the benchmark name without GOMAXPROCS, e.g.
// CRUD/arm=pgx/op=read.
func (k Key) String() string {
	s := k.Family
	for _, kv := range [][2]string{{"arm", k.Arm}, {"op", k.Op}, {"n", k.N}, {"posts", k.Posts}, {"conc", k.Conc}, {"rate", k.Rate}} {
		if kv[1] != "" {
			s += "/" + kv[0] + "=" + kv[1]
		}
	}
	return s
}

// Metric holds the samples of one benchmark in one unit.
type Metric struct {
	// Unit is the unit as benchfmt tidies it: sec/op for ns/op.
	Unit string
	// FileUnit is the unit as written in the file: ns/op.
	FileUnit string
	// Values are the samples in Unit; FileValues the same in FileUnit.
	Values, FileValues []float64
	// Files holds, for each sample, the index in the Set's Paths of the
	// file it was read from: of the process that ran it.
	Files []int
}

// Bench holds the samples of one benchmark.
type Bench struct {
	// Name is the benchmark's name: its full name with the GOMAXPROCS
	// suffix (CRUD/arm=pgx/op=read-2) when grouped ByFullName, the
	// Key's String when grouped ByKey.
	Name string
	// Key is the name split into the suite's keys.
	Key Key
	// Metrics are the units measured, in order of first appearance.
	Metrics []*Metric
}

// Metric returns the samples in unit, tidied (sec/op) or as written in
// the file (ns/op), or nil.
func (b *Bench) Metric(unit string) *Metric {
	for _, m := range b.Metrics {
		if m.Unit == unit || m.FileUnit == unit {
			return m
		}
	}
	return nil
}

// ConfigEntry is a file configuration key ("postgres: 15.18") with every
// distinct value it had across the files of a Set.
type ConfigEntry struct {
	Key    string
	Values []string
}

// Set is the pooled content of one or more result files.
type Set struct {
	// Paths are the files read.
	Paths []string
	// Benchmarks are in order of first appearance.
	Benchmarks []*Bench
	// Config is the file configuration, in order of first appearance.
	Config []ConfigEntry
	// Units is the unit metadata (better=, assume=) of all files read
	// together.
	Units benchfmt.UnitMetadataMap
	// Warnings are problems found while reading: pooled samples of a
	// benchmark that differ in configuration or GOMAXPROCS.
	Warnings []string

	byName map[string]*Bench
	byKey  map[Key]*Bench
}

// Bench returns the benchmark of that name, or nil.
func (s *Set) Bench(name string) *Bench { return s.byName[name] }

// ByKey returns the benchmark with that key, or nil. If several have
// it (GOMAXPROCS differs, grouped ByFullName) it returns the first.
func (s *Set) ByKey(k Key) *Bench { return s.byKey[k] }

// ConfigValues returns the distinct values of a configuration key.
func (s *Set) ConfigValues(key string) []string {
	if i := slices.IndexFunc(s.Config, func(e ConfigEntry) bool { return e.Key == key }); i >= 0 {
		return s.Config[i].Values
	}
	return nil
}

// Grouping says which results are samples of the same benchmark.
type Grouping int

const (
	// ByFullName keeps benchmarks with different GOMAXPROCS apart, as
	// benchstat does.
	ByFullName Grouping = iota
	// ByKey pools every result with the same Key, whatever its
	// GOMAXPROCS, and warns if they differ.
	ByKey
)

// maxSyntaxErrors bounds how many syntax errors Load reports.
const maxSyntaxErrors = 5

// Load reads groups of result files as one benchfmt stream, so unit
// metadata is shared and conflicting metadata is an error, and returns
// one Set per group; the samples of a group's files are pooled. Any
// syntax error, an unreadable file or a group without results is an
// error.
func Load(g Grouping, groups ...[]string) ([]*Set, error) {
	files := benchfmt.Files{AllowLabels: true}
	sets := make([]*Set, len(groups))
	for i, paths := range groups {
		if len(paths) == 0 {
			return nil, errors.New("loading results: no input files")
		}
		sets[i] = &Set{Paths: paths, byName: make(map[string]*Bench), byKey: make(map[Key]*Bench)}
		for j, p := range paths {
			files.Paths = append(files.Paths, fmt.Sprintf("%d.%d=%s", i, j, p))
		}
	}
	var pp benchproc.ProjectionParser
	keyProj, err := pp.Parse(".name,/arm,/op,/n,/posts,/conc,/rate", nil)
	if err != nil {
		return nil, fmt.Errorf("building the name projection: %w", err)
	}
	if _, err := pp.Parse(".file", nil); err != nil { // the files of a group are pooled
		return nil, fmt.Errorf("building the file projection: %w", err)
	}
	residue := pp.Residue()
	kf := keyProj.Fields()
	residues := make(map[*Bench][]benchproc.Key)
	var syntaxErrs []error
	for files.Scan() {
		switch rec := files.Result().(type) {
		case *benchfmt.SyntaxError:
			syntaxErrs = append(syntaxErrs, rec)
		case *benchfmt.Result:
			i, j, err := fileLabel(rec.GetConfig(".file"))
			if err != nil || i >= len(sets) || j >= len(sets[i].Paths) {
				return nil, fmt.Errorf("reading benchmark results: unexpected file label %q", rec.GetConfig(".file"))
			}
			set := sets[i]
			pk := keyProj.Project(rec)
			k := Key{pk.Get(kf[0]), pk.Get(kf[1]), pk.Get(kf[2]), pk.Get(kf[3]), pk.Get(kf[4]), pk.Get(kf[5]), pk.Get(kf[6])}
			name := k.String()
			if g == ByFullName {
				name = rec.Name.String()
			}
			b := set.add(name, k, rec, j)
			if g == ByKey {
				residues[b] = append(residues[b], residue.Project(rec))
			}
		}
	}
	if err := files.Err(); err != nil {
		return nil, fmt.Errorf("reading benchmark results: %w", err)
	}
	if n := len(syntaxErrs); n > 0 {
		syntaxErrs = syntaxErrs[:min(n, maxSyntaxErrors)]
		if n > maxSyntaxErrors {
			syntaxErrs = append(syntaxErrs, fmt.Errorf("... and %d more syntax errors", n-maxSyntaxErrors))
		}
		return nil, fmt.Errorf("parsing benchmark results: %w", errors.Join(syntaxErrs...))
	}
	for _, s := range sets {
		if len(s.Benchmarks) == 0 {
			if len(s.Paths) == 1 {
				return nil, fmt.Errorf("reading %s: no benchmark results in it (is it go test -bench output?)", s.Paths[0])
			}
			return nil, fmt.Errorf("reading %s: no benchmark results in them (are they go test -bench output?)", strings.Join(s.Paths, ", "))
		}
		s.Units = files.Units()
		for _, b := range s.Benchmarks {
			if f := benchproc.NonSingularFields(residues[b]); len(f) > 0 {
				s.Warnings = append(s.Warnings, fmt.Sprintf("%s: pooled results differ in %v", b.Name, f))
			}
		}
	}
	return sets, nil
}

// fileLabel splits a file label "i.j" into the group i and the file j
// within it.
func fileLabel(label string) (i, j int, err error) {
	a, b, ok := strings.Cut(label, ".")
	if !ok {
		return 0, 0, fmt.Errorf("file label %q is not group.file", label)
	}
	if i, err = strconv.Atoi(a); err != nil {
		return 0, 0, err
	}
	j, err = strconv.Atoi(b)
	return i, j, err
}

// add records the values and file configuration of one result line, read
// from the file of index file in s.Paths.
func (s *Set) add(name string, k Key, rec *benchfmt.Result, file int) *Bench {
	b, ok := s.byName[name]
	if !ok {
		b = &Bench{Name: name, Key: k}
		s.byName[name] = b
		s.Benchmarks = append(s.Benchmarks, b)
		if _, ok := s.byKey[k]; !ok {
			s.byKey[k] = b
		}
	}
	for _, v := range rec.Values {
		fileUnit, fileValue := v.Unit, v.Value
		if v.OrigUnit != "" {
			fileUnit, fileValue = v.OrigUnit, v.OrigValue
		}
		m := b.Metric(v.Unit)
		if m == nil {
			m = &Metric{Unit: v.Unit, FileUnit: fileUnit}
			b.Metrics = append(b.Metrics, m)
		}
		m.Values = append(m.Values, v.Value)
		m.FileValues = append(m.FileValues, fileValue)
		m.Files = append(m.Files, file)
	}
	for _, c := range rec.Config {
		if !c.File {
			continue
		}
		i := slices.IndexFunc(s.Config, func(e ConfigEntry) bool { return e.Key == c.Key })
		if i < 0 {
			s.Config = append(s.Config, ConfigEntry{Key: c.Key})
			i = len(s.Config) - 1
		}
		if !slices.Contains(s.Config[i].Values, string(c.Value)) {
			s.Config[i].Values = append(s.Config[i].Values, string(c.Value))
		}
	}
	return b
}

// Tidy returns unit as benchfmt tidies it: sec/op for ns/op.
func Tidy(unit string) string {
	_, u := benchunit.Tidy(1, unit)
	return u
}
