package ent_test

import (
	"context"
	"testing"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/ent"
	"github.com/crudbench/crudbench/internal/dbconf"
	"github.com/crudbench/crudbench/internal/pgtest"
	"github.com/crudbench/crudbench/internal/storetest"
)

// TestLeanStore runs the contract on the lean form: sequential requests
// get the same answers as from the arm.
func TestLeanStore(t *testing.T) {
	// A LeanStore is the arm's Store with another UpdateUser, as
	// NewLeanStore builds it.
	storetest.Run(t, func(t *testing.T) crudbench.Store { return ent.LeanStore{Store: newStore(t)} })
}

// TestLeanUpdate checks the lean update form: the same answer as the
// contract's, in two statements instead of four, and ENOTFOUND for a
// missing row.
func TestLeanUpdate(t *testing.T) {
	ctx := context.Background()
	var qc dbconf.QueryCounter
	db, err := dbconf.OpenDB(pgtest.NewDatabase(t), &qc)
	if err != nil {
		t.Fatal(err)
	}
	s := ent.NewLeanStore(db)
	defer s.Close()
	u, err := s.CreateUser(ctx, crudbench.UserCreate{Name: "A", Email: "a@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	name := "B"
	before := qc.Count()
	got, err := s.UpdateUser(ctx, u.ID, crudbench.UserPatch{Name: &name, Age: storetest.Ptr(7)})
	if err != nil {
		t.Fatal(err)
	}
	if n := qc.Count() - before; n != 2 {
		t.Errorf("lean UpdateUser sent %d statements, want 2", n)
	}
	if got.ID != u.ID || got.Name != "B" || got.Age != 7 || got.Email != "a@example.com" {
		t.Errorf("lean UpdateUser returned %+v, want id %d, name B, age 7, email unchanged", got, u.ID)
	}
	if _, err := s.UpdateUser(ctx, u.ID+1, crudbench.UserPatch{Name: &name}); crudbench.ErrorCode(err) != crudbench.ENOTFOUND {
		t.Errorf("lean UpdateUser of a missing user: %v, want ENOTFOUND", err)
	}
}
