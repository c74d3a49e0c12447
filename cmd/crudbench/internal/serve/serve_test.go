package serve

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/crudbench/crudbench/internal/pgserver"
	"github.com/jackc/pgx/v5"
)

// childEnv makes this test binary run the serve command instead of tests.
const childEnv = "CRUDBENCH_SERVE_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func TestCheckAddr(t *testing.T) {
	for _, c := range []struct {
		addr   string
		public bool
		ok     bool
	}{
		{"127.0.0.1:0", false, true},
		{"[::1]:8080", false, true},
		{"localhost:8080", false, true},
		{"0.0.0.0:8080", false, false},
		{":8080", false, false},
		{"192.0.2.1:8080", false, false},
		{"0.0.0.0:8080", true, true},
	} {
		cfg := Config{Arm: "pgx", Addr: c.addr, Public: c.public, Rows: MinRows}
		if err := cfg.check(); (err == nil) != c.ok {
			t.Errorf("addr %s public=%v: err %v, want ok=%v", c.addr, c.public, err, c.ok)
		}
	}
	if err := (&Config{Arm: "orm", Addr: "127.0.0.1:0", Rows: MinRows}).check(); err == nil {
		t.Error("unknown arm accepted")
	}
	if err := (&Config{Arm: "ent", Addr: "127.0.0.1:0", Rows: MinRows - 1}).check(); err == nil {
		t.Errorf("%d rows accepted, fewer than the relation users", MinRows-1)
	}
}

// child is a serve process started by a test.
type child struct {
	cmd    *exec.Cmd
	url    string
	dsn    string
	stderr strings.Builder
}

// startChild runs the serve command for arm in a child process and waits
// until it is ready.
func startChild(t *testing.T, arm string) *child {
	t.Helper()
	dsnFile := filepath.Join(t.TempDir(), "dsn")
	c := &child{}
	c.cmd = exec.Command(os.Args[0], "-arm", arm, "-addr", "127.0.0.1:0", "-rows", "200", "-dsn-out", dsnFile)
	c.cmd.Env = append(os.Environ(), childEnv+"=1")
	c.cmd.Stderr = &c.stderr
	stdout, err := c.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if c.cmd.ProcessState == nil {
			c.cmd.Process.Kill()
			c.cmd.Wait()
		}
	})
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), ReadyPrefix); ok {
			c.url = u
			break
		}
	}
	go io.Copy(io.Discard, stdout)
	if c.url == "" {
		c.cmd.Wait()
		t.Fatalf("serve ended without a ready line:\n%s", c.stderr.String())
	}
	b, err := os.ReadFile(dsnFile)
	if err != nil {
		t.Fatal(err)
	}
	c.dsn = strings.TrimSpace(string(b))
	return c
}

func getJSON(t *testing.T, method, u string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, u, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q", method, u, ct)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	return resp.StatusCode
}

// leftovers finds what the child's server consists of and returns a
// function listing what of it still exists: the cluster directory of a
// local server, the container of a docker one.
func leftovers(t *testing.T, dsn string) func() []string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	var dataDir string
	err = conn.QueryRow(ctx, "SHOW data_directory").Scan(&dataDir)
	conn.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	switch p := os.Getenv(pgserver.EnvProvider); {
	case strings.HasPrefix(p, "postgres"):
		t.Log("server given by DSN: nothing of it to remove")
		return func() []string { return nil }
	case strings.HasPrefix(filepath.Base(filepath.Dir(dataDir)), "crudbench-pg-"):
		dir := filepath.Dir(dataDir)
		if _, err := os.Stat(dir); err != nil {
			t.Fatalf("cluster directory of the running server: %v", err)
		}
		return func() []string {
			if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
				return nil
			}
			return []string{"cluster directory " + dir}
		}
	}
	u, _ := url.Parse(dsn)
	out, err := exec.Command("docker", "ps", "--no-trunc", "--filter", "label=crudbench=1", "--format", "{{.ID}} {{.Ports}}").Output()
	if err != nil {
		t.Fatalf("neither a local cluster (data directory %s) nor docker: %v", dataDir, err)
	}
	var id string
	for line := range strings.Lines(string(out)) {
		if i, ports, ok := strings.Cut(strings.TrimSpace(line), " "); ok && strings.Contains(ports, ":"+u.Port()+"->") {
			id = i
		}
	}
	if id == "" {
		t.Fatalf("no crudbench container publishes port %s", u.Port())
	}
	return func() []string {
		b, _ := exec.Command("docker", "ps", "-aq", "--no-trunc", "--filter", "id="+id).Output()
		if len(strings.TrimSpace(string(b))) > 0 {
			return []string{"container " + id[:12]}
		}
		return nil
	}
}

// waitGone waits up to 30 s for left to report nothing.
func waitGone(t *testing.T, left func() []string, log string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		l := left()
		if len(l) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("30 s after serve ended, left behind: %v\nserve's log:\n%s", l, log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestServeSIGTERM serves an arm, checks the extra routes and a request of
// the API, then stops it with SIGTERM: it must exit 0 and leave nothing.
func TestServeSIGTERM(t *testing.T) {
	c := startChild(t, "pgx")
	left := leftovers(t, c.dsn)

	var health map[string]string
	if st := getJSON(t, "GET", c.url+"/healthz", &health); st != http.StatusOK || health["status"] != "ok" {
		t.Errorf("GET /healthz: %d %v", st, health)
	}
	var rt Runtime
	if st := getJSON(t, "GET", c.url+"/debug/runtime", &rt); st != http.StatusOK || rt.HeapInuseBytes == 0 || rt.Goroutines == 0 {
		t.Errorf("GET /debug/runtime: %d %+v", st, rt)
	}
	if runtime.GOOS == "linux" && (rt.RSSBytes == 0 || rt.PeakRSSBytes < rt.RSSBytes || !rt.PeakResettable) {
		t.Errorf("GET /debug/runtime on Linux: RSS %d, peak %d, resettable %v", rt.RSSBytes, rt.PeakRSSBytes, rt.PeakResettable)
	}
	var gc Runtime
	if st := getJSON(t, "POST", c.url+"/debug/runtime/gc", &gc); st != http.StatusOK || gc.GCCycles <= rt.GCCycles {
		t.Errorf("POST /debug/runtime/gc: %d, GC cycles %d then %d", st, rt.GCCycles, gc.GCCycles)
	}
	if runtime.GOOS == "linux" {
		var reset Runtime
		if st := getJSON(t, "POST", c.url+"/debug/runtime/reset-peak", &reset); st != http.StatusOK || reset.PeakRSSBytes > reset.RSSBytes+1<<20 {
			t.Errorf("POST /debug/runtime/reset-peak: %d, peak %d vs RSS %d", st, reset.PeakRSSBytes, reset.RSSBytes)
		}
	}
	var user struct{ Email string }
	if st := getJSON(t, "GET", c.url+"/users/200", &user); st != http.StatusOK || user.Email != "user200@example.com" {
		t.Errorf("GET /users/200: %d %+v, want the seeded user", st, user)
	}

	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Wait(); err != nil {
		t.Fatalf("serve after SIGTERM: %v, want exit status 0\n%s", err, c.stderr.String())
	}
	if l := left(); len(l) != 0 {
		t.Errorf("serve exited 0 but left %v", l)
	}
}

// TestServeSIGKILL kills a serve process outright: the reaper of its
// PostgreSQL must still remove the server.
func TestServeSIGKILL(t *testing.T) {
	c := startChild(t, "ent")
	left := leftovers(t, c.dsn)
	if err := c.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	c.cmd.Wait()
	waitGone(t, left, c.stderr.String())
}
