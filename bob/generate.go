package bob

// bob's generator reads a live database: gen starts one (see
// internal/gendb) and runs bobgen-psql, which writes bobgen/ from
// schema.sql.
//
//go:generate go run ./internal/gen
