//go:build !windows

package pgtest

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/crudbench/crudbench/internal/pgserver"
	"github.com/jackc/pgx/v5"
)

// TestKeep runs TestHarnessChild in a child process with EnvKeep=1: its
// server must outlive it, with the database of a failed test still there
// and that of a passed one dropped, and the command the child printed must
// remove the server.
func TestKeep(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		t.Skip("this is a child process")
	}
	provider := Server(t).Provider()
	for _, c := range []struct {
		mode string
		kept bool // the child's database outlives it
	}{
		{"pass", false},
		{"fail", true},
	} {
		t.Run(c.mode, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHarnessChild$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), childEnv+"="+c.mode, EnvKeep+"=1", pgserver.EnvProvider+"="+provider)
			out, _ := cmd.CombinedOutput()
			var info childInfo
			var remove string
			for line := range strings.Lines(string(out)) {
				line = strings.TrimSpace(line)
				if v, ok := strings.CutPrefix(line, childReady); ok {
					if err := json.Unmarshal([]byte(v), &info); err != nil {
						t.Fatal(err)
					}
				}
				if v, ok := strings.CutPrefix(line, "remove it: "); ok {
					remove = v
				}
			}
			if info.DSN == "" {
				t.Fatalf("the child reported no database:\n%s", out)
			}
			if c.kept != strings.Contains(string(out), "database kept: "+info.DSN) {
				t.Errorf("child output says the database is kept: %v, want %v:\n%s", !c.kept, c.kept, out)
			}

			// The server must still run, holding the database only if kept.
			conn, err := pgx.Connect(ctx, info.DSN)
			switch {
			case err == nil:
				conn.Close(ctx)
				if !c.kept {
					t.Errorf("the database of a passed test is still there")
				}
			case c.kept:
				t.Errorf("connecting to the kept database: %v", err)
			}
			if provider == pgserver.ProviderDSN {
				if err := dropDatabase(dbName(t, info.DSN)); err != nil {
					t.Error(err)
				}
				return
			}
			if remove == "" {
				t.Fatalf("the child did not say how to remove its server:\n%s", out)
			}
			if err := Exec(ctx, strings.Replace(info.DSN, "/"+dbName(t, info.DSN), "/postgres", 1), "SELECT 1"); err != nil {
				t.Errorf("the kept server does not answer: %v", err)
			}
			if b, err := exec.CommandContext(ctx, "sh", "-c", remove).CombinedOutput(); err != nil {
				t.Fatalf("%s: %v: %s", remove, err, b)
			}
			if err := Exec(ctx, info.DSN, "SELECT 1"); err == nil {
				t.Errorf("the server still answers after %s", remove)
			}
		})
	}
}

// dbName returns the database named by dsn.
func dbName(t *testing.T, dsn string) string {
	t.Helper()
	cc, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return cc.Database
}
