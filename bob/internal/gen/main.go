// Command gen writes the bob arm's generated code, bob/bobgen, from
// schema.sql: it starts PostgreSQL through the project's provisioning
// (internal/gendb, honoring CRUDBENCH_POSTGRES), applies the schema, and
// runs bob's generator, bobgen-psql, at its pinned version on it, with the
// configuration in bob/bobgen.yaml. Run it from bob/ (go generate does).
//
// bobgen-psql runs from the module proxy (go run …@version) rather than as
// a tool of go.mod, as sqlc does: a tool directive would pull its
// dependency graph (a SQL parser compiled to WebAssembly, its runtime,
// template and CLI libraries) into this module's requirements.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"

	"github.com/crudbench/crudbench/internal/gendb"
)

// bobgen is bob's generator for PostgreSQL at the version of bob in go.mod.
const bobgen = "github.com/stephenafamo/bob/gen/bobgen-psql@v0.41.1"

func main() {
	if err := gendb.Run(context.Background(), generate); err != nil {
		slog.Error("generating bob code", "err", err)
		os.Exit(1)
	}
}

// generate runs bobgen-psql on the database at dsn.
func generate(dsn string) error {
	cmd := exec.Command("go", "run", bobgen, "-c", "bobgen.yaml")
	cmd.Env = append(os.Environ(), "PSQL_DSN="+dsn)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("running %s: %w", bobgen, err)
	}
	return nil
}
