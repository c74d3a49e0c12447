package arms

import (
	"slices"
	"strings"
)

// Entry is one arm or variant: its metadata, free of the library that
// implements it (that lives in the arm's open_<arm>.go).
type Entry struct {
	Name    string // e.g. "gorm" or "gorm-tx"
	Arm     string // the arm a variant is a form of; "" for an arm
	Library string // the library and major version, e.g. "jackc/pgx v5"
	// Ops are, for a variant, the CRUD ops where it sends something else
	// than its arm; BenchmarkPaired measures it on those.
	Ops []string
	// GivesUp says in one line what the arm or variant gives up; the long
	// form is in docs/arms.md.
	GivesUp string
}

// IsVariant reports whether e is a variant of another arm.
func (e Entry) IsVariant() bool { return e.Arm != "" }

// table is every arm, then every variant, in report order. Adding an arm
// is one entry here and one open_<arm>.go file that registers its opener
// (TestTableHasOpeners holds the two together).
var table = []Entry{
	{Name: "pgx", Library: "jackc/pgx v5 (pgxpool)", GivesUp: "nothing: the baseline"},
	{Name: "sql", Library: "database/sql over pgx's stdlib driver", GivesUp: "pgx's native interface, for the standard one"},
	{Name: "ent", Library: "entgo.io/ent v0.14", GivesUp: "a transaction per single-row update"},
	{Name: "gorm", Library: "gorm.io/gorm v1.31", GivesUp: "reflection on every call"},
	{Name: "bun", Library: "uptrace/bun v1.3", GivesUp: "prepared statements"},
	{Name: "sqlc", Library: "sqlc v1.31 for pgx v5", GivesUp: "nothing at run time; a generation step"},
	{Name: "sqlx", Library: "jmoiron/sqlx v1.4 over pgx's stdlib driver", GivesUp: "reflection to scan rows into structs"},
	{Name: "jet", Library: "go-jet/jet v2.14", GivesUp: "a generation step on a live database; qrm's reflection on every scan"},
	{Name: "bob", Library: "stephenafamo/bob v0.41", GivesUp: "a statement per row in a bulk update, two for a user with posts"},
	{Name: "ent-lean", Arm: "ent", Library: "entgo.io/ent v0.14", Ops: []string{"update"},
		GivesUp: "atomicity: update then get, two statements without a transaction"},
	{Name: "gorm-tx", Arm: "gorm", Library: "gorm.io/gorm v1.31", Ops: []string{"create", "update", "delete"},
		GivesUp: "two round trips per write: gorm's default transaction around each"},
	{Name: "gorm-save", Arm: "gorm", Library: "gorm.io/gorm v1.31", Ops: []string{"update"},
		GivesUp: "atomicity and partial writes: First then Save of every column"},
	{Name: "sqlx-named", Arm: "sqlx", Library: "jmoiron/sqlx v1.4 over pgx's stdlib driver", Ops: []string{"create", "update", "delete"},
		GivesUp: "client CPU: named binds parsed and bound by reflection on every call"},
	{Name: "bob-builder", Arm: "bob", Library: "stephenafamo/bob v0.41", Ops: []string{"relation", "bulk-update"},
		GivesUp: "the models' typed setters, loaders and hooks on a user with posts and a bulk update"},
}

// Arms returns the names of the arms, without variants, in report order.
func Arms() []string {
	var out []string
	for _, e := range table {
		if !e.IsVariant() {
			out = append(out, e.Name)
		}
	}
	return out
}

// Variants returns the variants in report order.
func Variants() []Entry {
	var out []Entry
	for _, e := range table {
		if e.IsVariant() {
			out = append(out, e)
		}
	}
	return out
}

// VariantNames returns the names of Variants, in order.
func VariantNames() []string {
	var out []string
	for _, v := range Variants() {
		out = append(out, v.Name)
	}
	return out
}

// Names returns every name Open accepts: the arms, then their variants.
func Names() []string { return append(Arms(), VariantNames()...) }

// Lookup returns the entry of the named arm or variant.
func Lookup(name string) (Entry, bool) {
	i := slices.IndexFunc(table, func(e Entry) bool { return e.Name == name })
	if i < 0 {
		return Entry{}, false
	}
	return table[i], true
}

// Usage joins names for a usage text, e.g. "pgx|sql|ent".
func Usage(names []string) string { return strings.Join(names, "|") }
