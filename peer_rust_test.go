package crudbench_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/crudbench/crudbench/internal/apitest"
)

// rustInstall is the command that installs what the Rust peer builds with.
const rustInstall = "apt-get install -y rustc cargo librust-tokio-dev librust-hyper-dev librust-tokio-postgres-dev"

// buildRustPeer builds peers/rust offline with Debian's cargo and returns
// the binary, or skips the test with the install command when cargo or the
// crates are missing.
func buildRustPeer(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/usr/bin/cargo"); err != nil {
		t.Skipf("the Rust peer needs Debian's cargo: %s", rustInstall)
	}
	for _, c := range []string{"hyper-0.14", "tokio-postgres-0.7", "tokio-1."} {
		if m, _ := filepath.Glob("/usr/share/cargo/registry/" + c + "*"); len(m) == 0 {
			t.Skipf("the Rust peer needs the crate %s from Debian: %s", strings.TrimSuffix(c, "-"), rustInstall)
		}
	}
	dir, err := filepath.Abs(filepath.Join("peers", "rust"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/usr/bin/cargo", "build", "--release", "--offline", "--quiet")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the Rust peer: %v\n%s", err, out)
	}
	return filepath.Join(dir, "target", "release", "crudbench-peer")
}

// startRustPeer starts the binary on a free port against dsn and returns
// its base URL once it listens; it is stopped when t ends.
func startRustPeer(t *testing.T, bin, dsn string) string {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "CRUDBENCH_ADDR=127.0.0.1:0", "CRUDBENCH_DSN="+dsn)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the Rust peer: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				addr <- a
			}
			fmt.Fprintln(os.Stderr, "rust peer:", sc.Text())
		}
	}()
	select {
	case a := <-addr:
		return "http://" + a
	case <-time.After(30 * time.Second):
		t.Fatal("the Rust peer did not say where it listens within 30 s")
	}
	return ""
}

// TestRustPeerConformance runs the conformance cases against the Rust peer
// over HTTP and compares each answer and the database with the golden file.
func TestRustPeerConformance(t *testing.T) {
	bin := buildRustPeer(t)
	dsn := apitest.MustDatabase(t, apitest.Trio)
	base := startRustPeer(t, bin, dsn)
	s := &apitest.Server{Name: "rust", DSN: dsn, URL: base, Client: &http.Client{}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if rep := apitest.Send(ctx, s.Client, base, &apitest.Request{Method: "GET", Path: "/healthz"}, nil); rep.Err != nil || rep.Status != http.StatusOK {
		t.Fatalf("healthz: %s", rep)
	}
	for _, c := range conformanceCases {
		t.Run(c.name, func(t *testing.T) {
			golden := filepath.Join("testdata", "conformance", strings.ReplaceAll(c.name, "/", "_")+".golden")
			want, err := os.ReadFile(golden)
			if errors.Is(err, os.ErrNotExist) {
				t.Skipf("no golden file %s", golden)
			} else if err != nil {
				t.Fatal(err)
			}
			for _, l := range layouts {
				if l.sql != nil && !c.plans {
					continue
				}
				got := runCase(t, s, c, l.sql)
				if got.String() != string(want) {
					t.Errorf("layout=%s: %s differs from %s:\n--- got\n%s\n--- want\n%s", l.name, &c.req, golden, got, want)
				}
			}
		})
	}
}
