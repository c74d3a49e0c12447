// Package ent is the ent arm of the benchmark: crudbench.Store on an
// entgo.io/ent client. The ent schema is in ent/schema, the client that
// ent generates from it in ent/entgen (go generate ./ent); this package
// holds only the hand-written store.
package ent
