package gorm_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	gormschema "gorm.io/gorm/schema"

	"github.com/crudbench/crudbench/gorm"
)

// TestModelDrift fails when the models and schema.sql disagree: each
// model's table must hold exactly the model's columns, and User.Posts
// must be loaded by posts.user_id.
func TestModelDrift(t *testing.T) {
	db := openDB(t, nil)
	cache := &sync.Map{}
	for _, model := range []any{&gorm.User{}, &gorm.Post{}} {
		s, err := gormschema.Parse(model, cache, gormschema.NamingStrategy{})
		if err != nil {
			t.Fatal(err)
		}
		rows, err := db.QueryContext(context.Background(),
			`SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY column_name`, s.Table)
		if err != nil {
			t.Fatal(err)
		}
		var columns []string
		for rows.Next() {
			var c string
			if err := rows.Scan(&c); err != nil {
				t.Fatal(err)
			}
			columns = append(columns, c)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		fields := slices.Sorted(slices.Values(s.DBNames))
		if !slices.Equal(fields, columns) {
			t.Errorf("model %s maps columns %v of table %q, which has %v", s.Name, fields, s.Table, columns)
		}
		if s.Table == "users" {
			rel := s.Relationships.Relations["Posts"]
			if rel == nil || len(rel.References) != 1 || rel.References[0].ForeignKey.DBName != "user_id" || rel.FieldSchema.Table != "posts" {
				t.Errorf("User.Posts is not loaded by posts.user_id")
			}
		}
	}
}
