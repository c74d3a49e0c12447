package synth

// armCost is how much slower (time) and heavier (memory) each arm is than
// pgx.
var armCost = map[string]struct{ time, bytes, allocs float64 }{
	"pgx":  {1.00, 1.0, 1.0},
	"sql":  {1.06, 1.3, 1.4},
	"ent":  {1.25, 2.2, 2.8},
	"gorm": {1.35, 2.6, 3.4},
}

// opNanos is pgx's mean latency per CRUD operation.
var opNanos = map[string]float64{
	"create": 180e3, "read": 120e3, "update": 160e3, "delete": 150e3, "list": 400e3,
}

// floor is the physical floor: an HTTP no-op and bare statements.
var floor = map[string]struct{ ns, queries, bytes, allocs float64 }{
	"http-noop": {25e3, 0, 3000, 30},
	"select":    {70e3, 1, 1200, 20},
	"insert":    {110e3, 1, 1300, 22},
}

// centres returns the noise-free value of every metric of b, in the
// order the suite prints them.
func centres(b Bench) []metric {
	cost := armCost[b.Arm]
	var ns, queries, bytes, allocs float64
	reqScale := 1.0
	switch b.Family {
	case "CRUD":
		ns = opNanos[b.Op] * cost.time
		if b.Arm == "ent" && b.Op == "list" {
			ns *= 1.15 // eager loading of edges
		}
		queries = 1
		if b.Arm == "ent" && b.Op == "update" {
			queries = 2 // UPDATE then SELECT of the row
		}
		bytes, allocs = 6000, 90
		if b.Op == "list" {
			bytes, allocs = 30000, 450
		}
	case "Bulk":
		perRow := map[string]float64{"create": 6e3, "read": 1.2e3, "update": 5e3, "delete": 2e3}[b.Op]
		if b.Arm == "pgx" && b.Op == "create" {
			perRow = 2.5e3 // COPY
		}
		ns = (150e3 + perRow*float64(b.N)) * cost.time
		queries = 1
		bytes, allocs = 2000+400*float64(b.N), 40+8*float64(b.N)
	case "Relation":
		ns = (200e3 + 4e3*float64(b.Posts)) * cost.time
		queries = 1
		if b.Arm == "ent" || b.Arm == "gorm" {
			queries = 2 // eager loading: a second query on posts
		}
		bytes, allocs = 5000+900*float64(b.Posts), 80+14*float64(b.Posts)
	case "Parallel":
		lat := opNanos[b.Op] * cost.time * (1 + float64(b.Conc)/12)
		throughput := min(float64(b.Conc), 2.6) * 1e9 / lat
		ns = 1e9 / throughput
		reqScale = ns / lat
		queries = 1
		if b.Arm == "ent" && b.Op == "update" {
			queries = 2
		}
		bytes, allocs = 6000, 90
	case "Floor":
		f := floor[b.Op]
		return []metric{
			{"ns/op", f.ns}, {"p50-ns/op", f.ns * 0.95}, {"p95-ns/op", f.ns * 1.5}, {"p99-ns/op", f.ns * 2.2},
			{"req/s", 1e9 / f.ns}, {"queries/op", f.queries}, {"B/op", f.bytes}, {"allocs/op", f.allocs},
		}
	}
	bytes *= cost.bytes
	allocs *= cost.allocs
	lat := ns / reqScale
	m := []metric{
		{"ns/op", ns}, {"p50-ns/op", lat * 0.95}, {"p95-ns/op", lat * 1.5}, {"p99-ns/op", lat * 2.2},
		{"req/s", 1e9 / ns}, {"queries/op", queries}, {"B/op", bytes}, {"allocs/op", float64(int(allocs))},
	}
	if b.Family == "Bulk" {
		m = append(m, metric{"ns/row", ns / float64(b.N)})
	}
	return m
}
