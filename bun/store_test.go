package bun_test

import (
	"context"
	"testing"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/internal/dbconf"
	"github.com/crudbench/crudbench/internal/pgtest"
	"github.com/crudbench/crudbench/internal/storetest"
)

// TestStore runs the contract on the arm.
func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) crudbench.Store { return newStore(t) })
}

// TestCreateUsersLarge covers a batch whose bind parameters would exceed
// PostgreSQL's 65,535 if the values were bound (5 per user, as ent binds
// them): bun writes them into the text, so it is still one INSERT, in
// input order, and a conflict in its last row writes nothing.
func TestCreateUsersLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("inserts 2 x 13,108 users")
	}
	var qc dbconf.QueryCounter
	s := openStore(t, pgtest.NewDatabase(t), &qc)
	before := qc.Count()
	storetest.CreateLarge(t, s, 65535/5+1)
	// The batch, the failed batch, then the ListUsers that checks it wrote
	// nothing: one statement each.
	if n := qc.Count() - before; n != 3 {
		t.Errorf("CreateUsers, failed CreateUsers and ListUsers sent %d statements, want 3", n)
	}
}

// TestEmptyBatches checks that bulk operations on no items answer with
// nothing rather than with the syntax error an empty IN or VALUES list
// would be. The HTTP layer refuses empty batches; the Store need not.
func TestEmptyBatches(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	if us, err := s.CreateUsers(ctx, nil); err != nil || len(us) != 0 {
		t.Errorf("CreateUsers(none) = %v, %v; want no users", us, err)
	}
	if us, err := s.UsersByID(ctx, nil); err != nil || len(us) != 0 {
		t.Errorf("UsersByID(none) = %v, %v; want no users", us, err)
	}
	if us, err := s.UpdateUsers(ctx, nil); err != nil || len(us) != 0 {
		t.Errorf("UpdateUsers(none) = %v, %v; want no users", us, err)
	}
	if n, err := s.DeleteUsers(ctx, nil); err != nil || n != 0 {
		t.Errorf("DeleteUsers(none) = %d, %v; want 0", n, err)
	}
}
