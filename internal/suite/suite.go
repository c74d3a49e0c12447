// Package suite defines the benchmark matrix once: the arms, the operations
// of each family, the bulk sizes, the relation sizes and the concurrency
// levels. The benchmarks, the synthetic result generator and the report all
// read it from here; the arms come from the table of package arms.
package suite

import (
	"slices"

	"github.com/crudbench/crudbench/internal/arms"
)

// Arms are the data-access arms in report order, from the table of
// package arms.
var Arms = arms.Arms()

// Variant is an arm's other idiomatic form, whose semantics differ from
// the arm's: BenchmarkPaired measures it next to the arms on the
// operations where it sends something else (Ops). The conformance and
// concurrency suites hold the arms, not their variants.
type Variant = arms.Entry

// Variants are the variants in report order, from the table of package
// arms.
var Variants = arms.Variants()

// VariantNames returns the names of Variants, in order.
func VariantNames() []string { return arms.VariantNames() }

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
	BulkOps       []string // BenchmarkBulk's ops
	BulkSizes     []int    // BenchmarkBulk's n
	RelationPosts []int    // BenchmarkRelation's posts
	ParallelOps   []string // BenchmarkParallel's ops
	ConcLevels    []int    // BenchmarkParallel's conc
	PairedBulk    []int    // BenchmarkPaired's bulk n (never 1000: a -count 10 run would last an hour)
	PairedPosts   []int    // BenchmarkPaired's relation posts
	PeerBulk      []int    // BenchmarkPeers' bulk n
	BreakdownOps  []string // BenchmarkBreakdown's CRUD ops (it also breaks down relation and bulk at the largest PairedBulk)
}

// Full is every size and op of the suite (with -short, the largest size
// of each per-arm family is dropped).
var Full = Matrix{
	BulkOps:       BulkOps,
	BulkSizes:     BulkSizes,
	RelationPosts: RelationPosts,
	ParallelOps:   ParallelOps,
	ConcLevels:    ConcLevels,
	PairedBulk:    Short(BulkSizes),
	PairedPosts:   RelationPosts,
	PeerBulk:      BulkSizes,
	BreakdownOps:  CRUDOps,
}

// Quick is the default matrix, sized so that a run stays under five
// minutes on two cores with every arm: BenchmarkPaired whole (every arm
// and variant on every op, bulk n=100, 10 posts); the per-arm families at
// one middle size (bulk n=100, 10 posts, 16 clients) on every arm, with
// BenchmarkBulk on create and update only (read and delete are one plain
// statement in every arm) and BenchmarkParallel on read only; and the
// breakdown of read and update (with the relation and bulk create and
// update).
var Quick = Matrix{
	BulkOps:       []string{"create", "update"},
	BulkSizes:     []int{100},
	RelationPosts: []int{10},
	ParallelOps:   []string{"read"},
	ConcLevels:    []int{16},
	PairedBulk:    []int{100},
	PairedPosts:   []int{10},
	PeerBulk:      []int{10, 100},
	BreakdownOps:  []string{"read", "update"},
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
