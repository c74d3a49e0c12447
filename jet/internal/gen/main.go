// Command gen writes the jet arm's generated code, jet/jetgen, from
// schema.sql: it starts PostgreSQL through the project's provisioning
// (internal/gendb, honoring CRUDBENCH_POSTGRES), applies the schema, and
// runs jet's generator (generator/postgres) on the public schema, over
// pgx's database/sql driver. Run it from jet/ (go generate does).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/go-jet/jet/v2/generator/metadata"
	jetgen "github.com/go-jet/jet/v2/generator/postgres"
	"github.com/go-jet/jet/v2/generator/template"
	"github.com/go-jet/jet/v2/postgres"

	"github.com/crudbench/crudbench/internal/dbconf"
	"github.com/crudbench/crudbench/internal/gendb"
)

// dir is where the code goes, relative to jet/; jet empties it first.
const dir = "jetgen"

func main() {
	if err := gendb.Run(context.Background(), generate); err != nil {
		slog.Error("generating jet code", "err", err)
		os.Exit(1)
	}
}

// generate writes the model and table packages of the public schema at dsn
// into dir (jetgen/model, jetgen/table).
func generate(dsn string) error {
	db, err := dbconf.OpenDB(dsn, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	tmpl := template.Default(postgres.Dialect).UseSchema(func(s metadata.Schema) template.Schema {
		return template.DefaultSchema(s).UsePath("")
	})
	if err := jetgen.GenerateDB(db, "public", dir, tmpl); err != nil {
		return fmt.Errorf("running jet's generator: %w", err)
	}
	return nil
}
