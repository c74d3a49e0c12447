//go:build !windows

package pgserver

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestReaperRunsOnEOF checks both ends of the reaper: dismissed, it leaves
// things be; when its pipe reaches end of file, as when this process dies,
// it runs its script.
func TestReaperRunsOnEOF(t *testing.T) {
	dir := t.TempDir()
	mark := func(name string) string { return "touch " + shellQuote(filepath.Join(dir, name)) }

	r, err := startReaper(mark("dismissed"), nil)
	if err != nil {
		t.Fatal(err)
	}
	r.dismiss()
	if _, err := os.Stat(filepath.Join(dir, "dismissed")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a dismissed reaper ran its script (stat: %v)", err)
	}

	r, err = startReaper(mark("orphaned"), nil)
	if err != nil {
		t.Fatal(err)
	}
	r.w.Close() // what the kernel does when this process ends
	if err := r.cmd.Wait(); err != nil {
		t.Fatalf("reaper: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "orphaned")); err != nil {
		t.Errorf("the reaper did not run its script on end of file: %v", err)
	}
}
