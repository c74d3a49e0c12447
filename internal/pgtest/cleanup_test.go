//go:build linux

// TestCleanup finds the processes of a server through /proc: Linux only.

package pgtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/crudbench/crudbench/internal/pgserver"
)

// proc identifies a process: its pid and start time, so that a pid reused
// by another process is not mistaken for it.
type proc struct {
	pid   int
	start string
	what  string
}

// procStart returns the start time of pid (field 22 of /proc/pid/stat), or
// "" if there is no such process or it has exited: a zombie, which holds
// nothing but its pid until its parent reaps it (an orphaned postmaster's
// parent is init, which may take a while).
func procStart(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	// The command name, field 2, is parenthesised and may hold spaces;
	// field 3 is the state.
	fields := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(fields) < 20 || fields[0] == "Z" || fields[0] == "X" {
		return ""
	}
	return fields[19]
}

func (p proc) alive() bool { return procStart(p.pid) == p.start }

// processes returns the processes whose command line contains needle, or
// whose parent is among parents.
func processes(needle string, parents ...int) []proc {
	var out []proc
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil {
			continue
		}
		cmd := strings.TrimSpace(string(bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '})))
		stat, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		var ppid int
		if i := bytes.LastIndexByte(stat, ')'); i > 0 {
			if f := strings.Fields(string(stat[i+1:])); len(f) > 1 {
				ppid, _ = strconv.Atoi(f[1])
			}
		}
		matches := needle != "" && strings.Contains(cmd, needle)
		for _, p := range parents {
			matches = matches || ppid == p
		}
		if matches {
			if start := procStart(pid); start != "" {
				out = append(out, proc{pid, start, fmt.Sprintf("pid %d: %.100s", pid, cmd)})
			}
		}
	}
	return out
}

// resources is what a child's server consists of, found while it runs.
type resources struct {
	dir       string // local: the cluster directory
	container string // docker: the container ID
	procs     []proc // the postmaster, its children, the reaper
}

// find looks up the resources of the server a child reported.
func find(t *testing.T, info childInfo) resources {
	t.Helper()
	var r resources
	switch info.Provider {
	case pgserver.ProviderLocal:
		r.dir = filepath.Dir(info.DataDir)
		if !strings.HasPrefix(filepath.Base(r.dir), "crudbench-pg-") {
			t.Fatalf("cluster directory %s is not a crudbench-pg-* directory", r.dir)
		}
		pidfile, err := os.ReadFile(filepath.Join(info.DataDir, "postmaster.pid"))
		if err != nil {
			t.Fatalf("reading postmaster.pid: %v", err)
		}
		postmaster, err := strconv.Atoi(strings.SplitN(string(pidfile), "\n", 2)[0])
		if err != nil {
			t.Fatalf("postmaster.pid: %v", err)
		}
		r.procs = processes(r.dir, postmaster)
		if !containsPID(r.procs, postmaster) {
			t.Fatalf("postmaster %d is not running", postmaster)
		}
		if len(r.procs) < 3 { // postmaster, reaper, and at least one server process
			t.Fatalf("found only %v for cluster %s: want the postmaster, its processes and the reaper", r.procs, r.dir)
		}
	case pgserver.ProviderDocker:
		u, err := url.Parse(info.DSN)
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("docker", "ps", "--no-trunc", "--filter", "label=crudbench=1", "--format", "{{.ID}} {{.Ports}}").Output()
		if err != nil {
			t.Fatalf("docker ps: %v", err)
		}
		var ids []string
		for line := range strings.Lines(string(out)) {
			if id, ports, ok := strings.Cut(strings.TrimSpace(line), " "); ok && strings.Contains(ports, ":"+u.Port()+"->") {
				ids = append(ids, id)
			}
		}
		if len(ids) != 1 {
			t.Fatalf("crudbench containers publishing host port %s: %v, want exactly one", u.Port(), ids)
		}
		r.container = ids[0]
		r.procs = processes(r.container)
		if len(r.procs) == 0 {
			t.Fatalf("no reaper process names container %s", r.container)
		}
	default:
		t.Fatalf("provider %q: nothing to look for", info.Provider)
	}
	return r
}

func containsPID(ps []proc, pid int) bool {
	for _, p := range ps {
		if p.pid == pid {
			return true
		}
	}
	return false
}

// left returns what remains of r.
func (r resources) left(t *testing.T) []string {
	var out []string
	if r.dir != "" {
		if _, err := os.Stat(r.dir); !errors.Is(err, os.ErrNotExist) {
			out = append(out, "directory "+r.dir)
		}
		for _, p := range processes(r.dir) {
			out = append(out, "process naming the directory, "+p.what)
		}
	}
	if r.container != "" {
		b, err := exec.Command("docker", "ps", "-a", "-q", "--no-trunc", "--filter", "id="+r.container).Output()
		if err != nil {
			t.Fatalf("docker ps: %v", err)
		}
		if len(bytes.TrimSpace(b)) > 0 {
			out = append(out, "container "+r.container[:12])
		}
	}
	for _, p := range r.procs {
		if p.alive() {
			out = append(out, "process "+p.what)
		}
	}
	return out
}

// TestCleanup runs TestHarnessChild in child processes of this test binary
// that end in every way a run ends: passing, failing, panicking, or killed
// by SIGINT, SIGTERM or SIGKILL. Each time, what the child's harness
// started must be gone soon after: no cluster directory, no process of the
// cluster or of its reaper, no container.
func TestCleanup(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		t.Skip("this is a child process")
	}
	provider := Server(t).Provider()
	if provider == pgserver.ProviderDSN {
		t.Skip("a server given by DSN is neither started nor removed by the harness")
	}
	for _, c := range []struct {
		name   string
		mode   string
		signal syscall.Signal // sent once the child's server runs; 0: none
		exit   int            // expected exit code, when not killed by a signal
	}{
		{"pass", "pass", 0, 0},
		{"fail", "fail", 0, 1},
		{"panic", "panic", 0, 2},
		{"sigint", "wait", syscall.SIGINT, 130},
		{"sigterm", "wait", syscall.SIGTERM, 130},
		{"sigkill", "wait", syscall.SIGKILL, -1},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHarnessChild$", "-test.v", "-test.count=1")
			// The child uses the provider this run chose, without choosing again.
			cmd.Env = append(os.Environ(), childEnv+"="+c.mode, pgserver.EnvProvider+"="+provider)
			var output lockedBuffer
			cmd.Stderr = &output
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatalf("starting child: %v", err)
			}
			ready := make(chan childInfo, 1)
			scanned := make(chan struct{})
			go func() {
				defer close(scanned)
				sc := bufio.NewScanner(stdout)
				for sc.Scan() {
					output.Write(append(sc.Bytes(), '\n'))
					if v, ok := strings.CutPrefix(sc.Text(), childReady); ok {
						var info childInfo
						if json.Unmarshal([]byte(v), &info) == nil {
							ready <- info
						}
					}
				}
			}()
			var info childInfo
			select {
			case info = <-ready:
			case <-scanned:
				cmd.Wait()
				t.Fatalf("the child ended without reporting its server:\n%s", output.String())
			}
			r := find(t, info)
			if c.signal != 0 {
				if err := cmd.Process.Signal(c.signal); err != nil {
					t.Fatal(err)
				}
			}
			<-scanned
			err = cmd.Wait()
			ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
			switch {
			case c.exit < 0 && !(ws.Signaled() && ws.Signal() == c.signal):
				t.Errorf("child: %v; want it killed by %v", err, c.signal)
			case c.exit >= 0 && ws.ExitStatus() != c.exit:
				t.Errorf("child: %v; want exit status %d", err, c.exit)
			}
			began := time.Now()
			deadline := began.Add(30 * time.Second)
			for {
				left := r.left(t)
				if len(left) == 0 {
					t.Logf("%s child (%s): all gone %s after it ended", c.name, info.Provider, time.Since(began).Round(10*time.Millisecond))
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("30 s after the %s child ended, left behind:\n\t%s\nchild output:\n%s", c.name, strings.Join(left, "\n\t"), output.String())
				}
				time.Sleep(100 * time.Millisecond)
			}
		})
	}
}

// lockedBuffer is a bytes.Buffer safe for the writers of a child's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
