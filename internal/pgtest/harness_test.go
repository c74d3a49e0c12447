package pgtest

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// childEnv makes TestHarnessChild run, and says how its process ends:
// pass, fail, panic, or wait (for a signal).
const childEnv = "CRUDBENCH_CHILD"

// childReady prefixes the line a child prints once its server runs.
const childReady = "CRUDBENCH-CHILD-READY "

// childInfo is what a child reports about its server.
type childInfo struct {
	Provider string `json:"provider"`
	DSN      string `json:"dsn"`
	DataDir  string `json:"data_dir"`
}

// TestHarnessChild is a test run by TestCleanup in a child process, to
// end that process in various ways; it is skipped otherwise.
func TestHarnessChild(t *testing.T) {
	mode := os.Getenv(childEnv)
	if mode == "" {
		t.Skip("run by TestCleanup in a child process")
	}
	ctx := t.Context()
	dsn := NewDatabase(t)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	info := childInfo{Provider: Server(t).Provider(), DSN: dsn}
	if err := conn.QueryRow(ctx, "SHOW data_directory").Scan(&info.DataDir); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	line, _ := json.Marshal(info)
	fmt.Printf("%s%s\n", childReady, line)
	switch mode {
	case "pass":
	case "fail":
		t.Fatal("failing on purpose")
	case "panic":
		panic("panicking on purpose")
	case "wait":
		<-time.After(time.Minute)
		t.Fatal("waited a minute for a signal that did not come")
	default:
		t.Fatalf("%s=%q: want pass, fail, panic or wait", childEnv, mode)
	}
}
