package paired_test

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crudbench/crudbench/internal/paired"
)

// TestWriteRounds runs three targets on a synthetic clock, writes the run
// twice into one directory, and reads the files back: two files, neither
// overwritten, each holding every latency and every round's order exactly.
func TestWriteRounds(t *testing.T) {
	var clock time.Time
	cost := map[string]time.Duration{"a": 100, "b": 250, "c": 40}
	var targets []paired.Target
	var ran [][]string // ran[round]: names in the order they ran
	for _, name := range []string{"a", "b", "c"} {
		targets = append(targets, paired.Target{Name: name, Do: func(round int) error {
			if len(ran) <= round {
				ran = append(ran, nil)
			}
			ran[round] = append(ran[round], name)
			clock = clock.Add(cost[name] * time.Duration(round+1))
			return nil
		}})
	}
	const rounds = 7
	res, err := paired.RunClock(targets, rounds, order(t, paired.Shuffle, 3), func() time.Time { return clock })
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "made")
	var paths []string
	for range 2 {
		p, err := paired.WriteRounds(dir, "Paired/op=relation/posts=10", res)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	if want := []string{filepath.Join(dir, "Paired_op=relation_posts=10-1.csv"), filepath.Join(dir, "Paired_op=relation_posts=10-2.csv")}; !slices.Equal(paths, want) {
		t.Fatalf("files %q, want %q", paths, want)
	}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"round", "a", "b", "c", "pos:a", "pos:b", "pos:c"}; !slices.Equal(recs[0], want) {
			t.Fatalf("header %q, want %q", recs[0], want)
		}
		if len(recs) != 1+rounds {
			t.Fatalf("%d lines, want %d", len(recs), 1+rounds)
		}
		for i, rec := range recs[1:] {
			if rec[0] != strconv.Itoa(i) {
				t.Errorf("line %d names round %s", i+1, rec[0])
			}
			for j, name := range []string{"a", "b", "c"} {
				if want := strconv.Itoa(int(cost[name]) * (i + 1)); rec[1+j] != want {
					t.Errorf("round %d, %s: %s ns, want %s", i, name, rec[1+j], want)
				}
				if want := strconv.Itoa(slices.Index(ran[i], name)); rec[4+j] != want {
					t.Errorf("round %d, %s: place %s, want %s (order %q)", i, name, rec[4+j], want, ran[i])
				}
			}
		}
	}
}

// TestWriteRoundsRefusesAFile checks that a directory that is a file is an
// error naming the setting, not a silent loss of the rounds.
func TestWriteRoundsRefusesAFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	res := &paired.Result{Names: []string{"a"}, Lat: [][]time.Duration{{1}}, Pos: [][]int{{0}}}
	_, err := paired.WriteRounds(file, "x", res)
	if err == nil {
		t.Fatal("no error writing into a file as a directory")
	}
	if got := err.Error(); !strings.Contains(got, paired.EnvRounds) || !strings.Contains(got, file) {
		t.Errorf("error %q does not name %s and the path", got, paired.EnvRounds)
	}
}
