package crudbench_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/crudbench/crudbench/internal/dbconf"
	"github.com/crudbench/crudbench/internal/paired"
	"github.com/crudbench/crudbench/internal/peer"
	"github.com/crudbench/crudbench/internal/pgserver"
	"github.com/crudbench/crudbench/internal/seed"
	"github.com/jackc/pgx/v5"
)

// printConfig writes, when benchmarks run, the lines benchstat reads as
// configuration (key: value) and unit metadata, before any result.
func printConfig(s *pgserver.Server) error {
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		return nil
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, s.DSN("postgres"))
	if err != nil {
		return fmt.Errorf("reading server settings: %w", err)
	}
	defer conn.Close(ctx)
	var version, fsync, syncCommit, fpw, sharedBuffers string
	err = conn.QueryRow(ctx, `SELECT current_setting('server_version'), current_setting('fsync'),
		current_setting('synchronous_commit'), current_setting('full_page_writes'), current_setting('shared_buffers')`).
		Scan(&version, &fsync, &syncCommit, &fpw, &sharedBuffers)
	if err != nil {
		return fmt.Errorf("reading server settings: %w", err)
	}
	pool, err := dbconf.PoolSize()
	if err != nil {
		return err
	}
	rows, err := seed.Rows()
	if err != nil {
		return err
	}
	mode, err := dbconf.QueryMode()
	if err != nil {
		return err
	}
	durable := "off"
	if fsync == "on" && syncCommit == "on" {
		durable = "on"
	}
	fmt.Printf("provider: %s\npostgres: %s\ndurable: %s\nfsync: %s\nsynchronous_commit: %s\nfull_page_writes: %s\nshared_buffers: %s\n",
		s.Provider(), version, durable, fsync, syncCommit, fpw, sharedBuffers)
	order, err := pairedOrder()
	if err != nil {
		return err
	}
	fmt.Printf("cpus: %s\npool: %d\nquery_mode: %s\nrows: %d\n", cpuSplit, pool, mode, rows)
	fmt.Print(order.ConfigLines())
	for _, m := range armModules {
		fmt.Printf("%s: %s\n", m[0], modVersion(m[1]))
	}
	fmt.Printf("sqlc: %s\n", sqlcVersion())
	for _, u := range append([]string{"p50-ns/op", "p95-ns/op", "p99-ns/op", "ns/row", "wait-ns/op"}, append(pairedUnits(), breakdownUnits()...)...) {
		fmt.Printf("Unit %s better=lower\n", u)
	}
	for _, t := range pairedTargets() {
		fmt.Printf("Unit %s-queries/op better=lower assume=exact\n", t)
	}
	for _, r := range pairedRatios() {
		ratioUnits(r)
	}
	for _, u := range peerUnits() {
		if !slices.Contains(pairedUnits(), u) {
			fmt.Printf("Unit %s better=lower\n", u)
		}
	}
	for _, r := range peerRatios() {
		if !slices.Contains(pairedRatios(), r) {
			ratioUnits(r)
		}
	}
	fmt.Println("Unit req/s better=higher")
	fmt.Println("Unit queries/op better=lower assume=exact")
	return nil
}

// armModules are the libraries of the arms, by config key and module
// path; each run records their versions.
var armModules = [][2]string{
	{"pgx", "github.com/jackc/pgx/v5"},
	{"ent", "entgo.io/ent"},
	{"gorm", "gorm.io/gorm"},
	{"gorm-postgres", "gorm.io/driver/postgres"},
	{"bun", "github.com/uptrace/bun"},
	{"sqlx", "github.com/jmoiron/sqlx"},
	{"jet", "github.com/go-jet/jet/v2"},
	{"bob", "github.com/stephenafamo/bob"},
}

// sqlcVersion returns the version of sqlc that generated sqlc/sqlcgen, as
// its header says (sqlc runs from go generate, not as a module of go.mod).
func sqlcVersion() string {
	data, err := readModuleFile(filepath.Join("sqlc", "sqlcgen", "db.go"))
	if err != nil {
		return "unknown"
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "//   sqlc "); ok {
			return v
		}
	}
	return "unknown"
}

// readModuleFile reads the file at rel in the module's root (peer.Root,
// from the working directory up): a test binary run by go test starts in
// the root, one built with go test -c may run anywhere inside the module.
func readModuleFile(rel string) ([]byte, error) {
	root, err := peer.Root()
	if err != nil {
		return nil, err
	}
	return os.ReadFile(filepath.Join(root, rel))
}

// modVersion returns the version of module path required by go.mod (test
// binaries carry no dependency list of their own).
func modVersion(path string) string {
	data, err := readModuleFile("go.mod")
	if err != nil {
		return "unknown"
	}
	for line := range strings.Lines(string(data)) {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == path {
			return f[1]
		} else if len(f) >= 3 && f[0] == "require" && f[1] == path {
			return f[2]
		}
	}
	return "unknown"
}

// TestVersionsFromASubdirectory: a test binary built with go test -c and
// run from a folder of the module (a results folder, say) still finds the
// versions its config lines report.
func TestVersionsFromASubdirectory(t *testing.T) {
	t.Chdir("internal")
	if v := modVersion("github.com/jackc/pgx/v5"); !strings.HasPrefix(v, "v5.") {
		t.Errorf("pgx's version from internal/: %q, want v5.x", v)
	}
	if v := sqlcVersion(); !strings.HasPrefix(v, "v1.") {
		t.Errorf("sqlc's version from internal/: %q, want v1.x", v)
	}
	t.Chdir(t.TempDir())
	if v := modVersion("github.com/jackc/pgx/v5"); v != "unknown" {
		t.Errorf("pgx's version outside the module: %q, want unknown", v)
	}
}

// ratioUnits prints the Unit lines of ratio r, one per paired.Estimators.
func ratioUnits(r [2]string) {
	for _, e := range paired.Estimators {
		fmt.Printf("Unit %s/%s%s better=lower\n", r[0], r[1], e.Suffix)
	}
}
