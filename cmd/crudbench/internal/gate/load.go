package gate

import (
	"github.com/crudbench/crudbench/cmd/crudbench/internal/results"
)

// Input is a base and a head result set ready to be compared, and the
// paired ratios of crudbench compare. Base and head share the unit metadata
// (better=, assume=) of the two files. Base and Head are nil when only
// Pair is gated; Pair is nil without paired ratios.
type Input struct {
	Base, Head *results.Set
	Pair       *results.Set
}

// sets returns the non-nil sets of in.
func (in *Input) sets() []*results.Set {
	var out []*results.Set
	for _, s := range []*results.Set{in.Base, in.Head, in.Pair} {
		if s != nil {
			out = append(out, s)
		}
	}
	return out
}

// Load reads the base and head result files. Like benchstat it reads them
// as one stream, so unit metadata is shared and conflicting metadata is
// reported; benchmarks are told apart by full name, GOMAXPROCS included.
// Any syntax error, an unreadable file or a file without results is an
// error.
func Load(basePath, headPath string) (*Input, error) {
	sets, err := results.Load(results.ByFullName, []string{basePath}, []string{headPath})
	if err != nil {
		return nil, err
	}
	return &Input{Base: sets[0], Head: sets[1]}, nil
}
