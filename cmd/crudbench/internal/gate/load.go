package gate

import (
	"errors"
	"fmt"
	"slices"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchproc"
)

// Side holds the samples of one input file, grouped by benchmark full
// name (as benchproc's .fullname, e.g. "CRUD/arm=pgx/op=read-2") and by
// tidied unit (as benchfmt produces it, e.g. "sec/op" for "ns/op").
type Side struct {
	// Path is the file the samples were read from.
	Path string
	// Benchmarks lists benchmark full names in order of first appearance.
	Benchmarks []string
	// Units lists, per benchmark, its units in order of first appearance.
	Units map[string][]string
	// Values holds the samples of each benchmark and unit.
	Values map[string]map[string][]float64
	// Config holds the distinct values of each file configuration key
	// (goos, postgres, pgx, ...), in order of appearance.
	Config map[string][]string
}

// Input is a base and a head result set ready to be compared.
type Input struct {
	Base, Head *Side
	// Units is the unit metadata (better=, assume=) of both files.
	Units benchfmt.UnitMetadataMap
}

// maxSyntaxErrors bounds how many syntax errors Load reports.
const maxSyntaxErrors = 5

// Load reads the base and head result files. Like benchstat it reads them
// as one benchfmt.Files stream, so unit metadata is shared and
// conflicting metadata is reported. Any syntax error, an unreadable file
// or a file without results is an error.
func Load(basePath, headPath string) (*Input, error) {
	files := benchfmt.Files{Paths: []string{"base=" + basePath, "head=" + headPath}, AllowLabels: true}
	var pp benchproc.ProjectionParser
	byName, err := pp.Parse(".fullname", nil)
	if err != nil {
		return nil, fmt.Errorf("building the .fullname projection: %w", err)
	}
	nameField := byName.Fields()[0]
	sides := map[string]*Side{"base": newSide(basePath), "head": newSide(headPath)}
	var syntaxErrs []error
	for files.Scan() {
		switch rec := files.Result().(type) {
		case *benchfmt.SyntaxError:
			syntaxErrs = append(syntaxErrs, rec)
		case *benchfmt.Result:
			side := sides[rec.GetConfig(".file")]
			name := byName.Project(rec).Get(nameField)
			for _, v := range rec.Values {
				side.add(name, v.Unit, v.Value)
			}
			side.addConfig(rec)
		}
	}
	if err := files.Err(); err != nil {
		return nil, fmt.Errorf("reading benchmark results: %w", err)
	}
	if len(syntaxErrs) > 0 {
		n := len(syntaxErrs)
		syntaxErrs = syntaxErrs[:min(n, maxSyntaxErrors)]
		if n > maxSyntaxErrors {
			syntaxErrs = append(syntaxErrs, fmt.Errorf("... and %d more syntax errors", n-maxSyntaxErrors))
		}
		return nil, fmt.Errorf("parsing benchmark results: %w", errors.Join(syntaxErrs...))
	}
	for _, s := range []*Side{sides["base"], sides["head"]} {
		if len(s.Benchmarks) == 0 {
			return nil, fmt.Errorf("reading %s: no benchmark results in it (is it go test -bench output?)", s.Path)
		}
	}
	return &Input{Base: sides["base"], Head: sides["head"], Units: files.Units()}, nil
}

func newSide(path string) *Side {
	return &Side{
		Path:   path,
		Units:  make(map[string][]string),
		Values: make(map[string]map[string][]float64),
		Config: make(map[string][]string),
	}
}

// add records one measurement of benchmark name in unit.
func (s *Side) add(name, unit string, v float64) {
	byUnit, ok := s.Values[name]
	if !ok {
		byUnit = make(map[string][]float64)
		s.Values[name] = byUnit
		s.Benchmarks = append(s.Benchmarks, name)
	}
	if _, ok := byUnit[unit]; !ok {
		s.Units[name] = append(s.Units[name], unit)
	}
	byUnit[unit] = append(byUnit[unit], v)
}

func (s *Side) addConfig(res *benchfmt.Result) {
	for _, c := range res.Config {
		if !c.File {
			continue
		}
		if vals := s.Config[c.Key]; !slices.Contains(vals, string(c.Value)) {
			s.Config[c.Key] = append(vals, string(c.Value))
		}
	}
}
