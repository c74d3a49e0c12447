package arms

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

var (
	barList  = regexp.MustCompile(`[a-z][a-z0-9-]*(?:\|[a-z][a-z0-9-]*)+`)
	firstCol = regexp.MustCompile("^\\|\\s*`([a-z][a-z0-9-]*)`\\s*\\|")
)

// StaleSets returns, for a usage text or a Markdown document, every set
// of arms it names that is neither Arms() nor Names(): a bar list such as
// "pgx|sql|ent" whose first name is an arm, a Markdown table whose
// header's first column is "arm" (its rows' first cells, in backticks),
// and a Markdown table with a column per arm (header cells that are arm
// names).
// Tests run it over the usage texts and the docs, so that the table of
// arms is the only place an arm is added.
func StaleSets(text string) []string {
	var stale []string
	check := func(where string, names []string) {
		if !slices.Equal(names, Arms()) && !slices.Equal(names, Names()) {
			stale = append(stale, fmt.Sprintf("%s names %v, want %v or %v", where, names, Arms(), Names()))
		}
	}
	for _, m := range barList.FindAllString(text, -1) {
		names := strings.Split(m, "|")
		if _, ok := Lookup(names[0]); ok {
			check(fmt.Sprintf("list %q", m), names)
		}
	}
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		cells := strings.Split(strings.Trim(strings.TrimSpace(l), "|"), "|")
		if !strings.HasPrefix(strings.TrimSpace(l), "|") {
			continue
		}
		var columns []string // header cells that are arm names: a table with an arm per column
		for _, c := range cells {
			if e, ok := Lookup(strings.Trim(strings.TrimSpace(c), "`")); ok {
				columns = append(columns, e.Name)
			}
		}
		if len(columns) > 1 && i+1 < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[i+1]), "|-") {
			check(fmt.Sprintf("the columns of the table at line %d", i+1), columns)
		}
		if strings.TrimSpace(cells[0]) != "arm" {
			continue
		}
		var names []string
		for _, row := range lines[i+2:] {
			m := firstCol.FindStringSubmatch(strings.TrimSpace(row))
			if m == nil {
				break
			}
			names = append(names, m[1])
		}
		check(fmt.Sprintf("the table at line %d", i+1), names)
	}
	return stale
}
