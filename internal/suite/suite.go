// Package suite defines the benchmark matrix once: the arms, the operations
// of each family, the bulk sizes, the relation sizes and the concurrency
// levels. The benchmarks, the synthetic result generator and the report all
// read it from here (the generator all but the arms: it keeps the three its
// model knows), so a new arm or size is added in one place.
package suite

import "slices"

// Arms are the data-access arms in report order: raw pgx, database/sql,
// ent, gorm, bun, sqlc, jet, bob.
var Arms = []string{"pgx", "sql", "ent", "gorm", "bun", "sqlc", "jet", "bob"}

// Variant is an arm's other idiomatic form, whose semantics differ from
// the arm's: BenchmarkPaired measures it next to the arms on the
// operations where it sends something else. The conformance and
// concurrency suites hold the arms, not their variants.
type Variant struct {
	Name string   // e.g. "ent-lean"
	Arm  string   // the arm it is a form of
	Ops  []string // the CRUD ops where it differs from Arm
	// About says, in Markdown, what the variant does differently and what
	// it gives up; the report quotes it.
	About string
}

// Variants are the variants in report order.
var Variants = []Variant{
	{Name: "ent-lean", Arm: "ent", Ops: []string{"update"}, About: "`ent` updates one row with `UpdateOneID(id).Save`: " +
		"BEGIN, UPDATE, SELECT, COMMIT, atomic. `ent-lean` uses `Update().Where(user.ID(id)).Save` and then `Get`: " +
		"two statements, not atomic, so another writer can change the row between them and the answer need not be " +
		"what this request wrote."},
	{Name: "gorm-tx", Arm: "gorm", Ops: []string{"create", "update", "delete"}, About: "The `gorm` arm runs with " +
		"`SkipDefaultTransaction: true`, as gorm's performance guide advises: each write is one statement. `gorm-tx` keeps " +
		"gorm's default, which wraps every create, update and delete in BEGIN … COMMIT: two more statements and round trips " +
		"per write that buy nothing here, since each write is already one atomic statement. gorm also re-prepares, in every " +
		"transaction, a statement it first prepared inside one (database/sql closes it at COMMIT): round trips that " +
		"statements per request do not count."},
	{Name: "gorm-save", Arm: "gorm", Ops: []string{"update"}, About: "The `gorm` arm updates one row with " +
		"`Model(&u).Clauses(clause.Returning{}).Updates(patch)`: one UPDATE of the patched columns, RETURNING the row, atomic. " +
		"`gorm-save` is gorm's read-modify-write: `First`, set the patched fields, `Save`: two statements, not atomic. " +
		"`Save` writes every column, so it can overwrite a concurrent writer's change to a field the patch leaves alone, " +
		"and if the row is deleted between the two it inserts it again (Save's upsert)."},
	{Name: "bob-builder", Arm: "bob", Ops: []string{"relation", "bulk-update"}, About: "The `bob` arm uses bob's " +
		"generated models: a user with posts is the user's query with `SelectThenLoad.User.Posts` (two SELECTs), and a " +
		"bulk update one `Users.Update(setter.UpdateMod(), …)` per row inside a transaction (n+2 statements), since " +
		"`UserSlice.UpdateAll` sets the same values on every row. `bob-builder` writes those two with bob's query " +
		"builder instead: one SELECT … LEFT JOIN folded by hand, and one UPDATE … FROM unnest(…) of array parameters. It " +
		"gives up the models' typed setters, loaders and hooks on those two operations: columns are named by strings, " +
		"the join's rows are scanned into a flat struct and folded in the store's own code."},
}

// VariantNames returns the names of Variants, in order.
func VariantNames() []string {
	out := make([]string, len(Variants))
	for i, v := range Variants {
		out[i] = v.Name
	}
	return out
}

// CRUDOps are the single-row operations of BenchmarkCRUD.
var CRUDOps = []string{"create", "read", "update", "delete", "list"}

// BulkOps are the operations of BenchmarkBulk.
var BulkOps = []string{"create", "read", "update", "delete"}

// BulkSizes are the batch sizes of BenchmarkBulk in the full matrix, where
// -short drops the last.
var BulkSizes = []int{10, 100, 1000}

// RelationPosts are the posts per user of BenchmarkRelation.
var RelationPosts = []int{10, 100}

// ParallelOps are the operations of BenchmarkParallel.
var ParallelOps = []string{"read", "update", "create"}

// ConcLevels are the client counts of BenchmarkParallel in the full matrix,
// where -short drops the last.
var ConcLevels = []int{1, 16, 64}

// FloorOps are the operations of BenchmarkFloor.
var FloorOps = []string{"http-noop", "select", "insert"}

// Short returns s without its last element: the -short form of a size list.
func Short(s []int) []int { return s[:len(s)-1] }

// EnvFull, set to 1, runs the full matrix; without it, a run keeps the
// quick one (Quick), so that go test -bench . stays under five minutes on
// two cores with every arm.
const EnvFull = "CRUDBENCH_FULL"

// Matrix is the set of sizes and ops one run measures.
type Matrix struct {
	BulkSizes     []int    // BenchmarkBulk's n
	RelationPosts []int    // BenchmarkRelation's posts
	ConcLevels    []int    // BenchmarkParallel's conc
	PairedBulk    []int    // BenchmarkPaired's bulk n (never 1000: a -count 10 run would last an hour)
	PairedPosts   []int    // BenchmarkPaired's relation posts
	BreakdownOps  []string // BenchmarkBreakdown's CRUD ops (it also breaks down relation and bulk at the largest PairedBulk)
}

// Full is every size and op of the suite (with -short, the largest size
// of each per-arm family is dropped).
var Full = Matrix{
	BulkSizes:     BulkSizes,
	RelationPosts: RelationPosts,
	ConcLevels:    ConcLevels,
	PairedBulk:    Short(BulkSizes),
	PairedPosts:   RelationPosts,
	BreakdownOps:  CRUDOps,
}

// Quick is the default matrix: every arm and op, one middle size per
// family (bulk n=100, 10 posts, 16 clients), and the breakdown of read,
// update and list.
var Quick = Matrix{
	BulkSizes:     []int{100},
	RelationPosts: []int{10},
	ConcLevels:    []int{16},
	PairedBulk:    []int{100},
	PairedPosts:   []int{10},
	BreakdownOps:  []string{"read", "update", "list"},
}

// Ops returns every operation of the suite once, in report order: the
// CRUD operations, then those of the other families not already listed
// (the floor's last).
func Ops() []string {
	var ops []string
	for _, list := range [][]string{CRUDOps, BulkOps, ParallelOps, FloorOps} {
		for _, op := range list {
			if !slices.Contains(ops, op) {
				ops = append(ops, op)
			}
		}
	}
	return ops
}
