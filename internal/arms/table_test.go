package arms

import (
	"slices"
	"strings"
	"testing"
)

// TestTableHasOpeners holds the table and the open_<arm>.go files
// together: every entry has an opener in this build, every opener an
// entry, and every variant belongs to an arm and names its ops.
func TestTableHasOpeners(t *testing.T) {
	for _, e := range table {
		if _, ok := stores[e.Name]; !ok {
			t.Errorf("%s is in the table but no open_*.go registers it", e.Name)
		}
		if e.Library == "" || e.GivesUp == "" {
			t.Errorf("%s: Library and GivesUp must be set", e.Name)
		}
		if e.IsVariant() && (!slices.Contains(Arms(), e.Arm) || len(e.Ops) == 0) {
			t.Errorf("variant %s: arm %q is not an arm, or no ops (%v)", e.Name, e.Arm, e.Ops)
		}
	}
	for name := range stores {
		if _, ok := Lookup(name); !ok {
			t.Errorf("%s is registered but not in the table", name)
		}
	}
	for name := range options {
		if _, ok := stores[name]; !ok {
			t.Errorf("%s has options but no opener", name)
		}
	}
	if got := len(Names()); got != len(table) {
		t.Errorf("Names() has %d names, the table %d entries", got, len(table))
	}
}

func TestStaleSets(t *testing.T) {
	good := "serve -arm " + Usage(Names()) + "\n\n| arm | library |\n|---|---|\n"
	for _, a := range Arms() {
		good += "| `" + a + "` | x |\n"
	}
	if s := StaleSets(good + "\nstudy load|memory\n"); len(s) != 0 {
		t.Errorf("StaleSets(current sets) = %v, want none", s)
	}
	good += "\n| op | " + strings.Join(Arms(), " | ") + " |\n|---|\n"
	if s := StaleSets(good + "\nstudy load|memory\n"); len(s) != 0 {
		t.Errorf("StaleSets(current sets) = %v, want none", s)
	}
	bad := "serve -arm pgx|sql|ent\n\n| arm | library |\n|---|---|\n| `pgx` | x |\n\n| op | pgx | ent |\n|---|--:|--:|\n"
	if s := StaleSets(bad); len(s) != 3 {
		t.Errorf("StaleSets(stale list, rows and columns) = %v, want three", s)
	}
}
