package gate

import (
	"fmt"
	"slices"
	"strings"
)

// noteSet collects warnings, grouping identical messages so that a
// warning hitting a hundred metrics is one line.
type noteSet struct {
	order []string
	where map[string][]string
}

func newNoteSet() *noteSet { return &noteSet{where: make(map[string][]string)} }

func (n *noteSet) add(where string, errs ...error) {
	for _, err := range errs {
		msg := err.Error()
		if _, ok := n.where[msg]; !ok {
			n.order = append(n.order, msg)
		}
		n.where[msg] = append(n.where[msg], where)
	}
}

func (n *noteSet) list() []string {
	var out []string
	for _, msg := range n.order {
		w := n.where[msg]
		out = append(out, fmt.Sprintf("%s: %s (%d)", sampleNames(w), msg, len(w)))
	}
	return out
}

// configNotes reports configuration keys whose values differ between
// base and head, such as a different postgres or pgx version.
func configNotes(in *Input) []string {
	var keys []string
	for _, e := range in.Base.Config {
		keys = append(keys, e.Key)
	}
	slices.Sort(keys)
	var out []string
	for _, k := range keys {
		b, h := in.Base.ConfigValues(k), in.Head.ConfigValues(k)
		if h != nil && !slices.Equal(b, h) {
			out = append(out, fmt.Sprintf("configuration %q differs: base %s, head %s", k, strings.Join(b, " | "), strings.Join(h, " | ")))
		}
	}
	return out
}
