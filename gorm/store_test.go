package gorm_test

import (
	"testing"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/internal/storetest"
)

// TestStore runs the contract on the arm and on each variant: all three
// must give the same answers to sequential requests.
func TestStore(t *testing.T) {
	for _, f := range forms {
		t.Run(f.name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) crudbench.Store { return f.open(t, openDB(t, nil)) })
		})
	}
}

// TestCreateUsersChunks covers batches beyond one statement's 65,535 bind
// parameters: they are split, in one transaction, in input order, and a
// conflict in the last chunk rolls back the first one too.
func TestCreateUsersChunks(t *testing.T) {
	if testing.Short() {
		t.Skip("inserts 2 x 13,108 users")
	}
	storetest.CreateLarge(t, newStore(t, openDB(t, nil)), 65535/5+1)
}
