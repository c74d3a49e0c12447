package jet

// jet's generator reads a live database: gen starts one (see
// internal/gendb) and writes jetgen/ from schema.sql.
//
//go:generate go run ./internal/gen
