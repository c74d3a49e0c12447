// Package peer starts servers of the crudbench contract written in other
// languages (the peers under peers/) as subprocesses, so that the
// conformance suite, the serve and compare commands and the studies can
// treat them like the Go arms.
//
// A peer runs in a process group of its own on a free loopback port, with
// the DSN of its database in its environment (CRUDBENCH_DSN, and the port
// in CRUDBENCH_PORT). It is ready when GET /healthz answers 200. Stop sends
// SIGTERM to the group, then kills it; and should the Go process die
// first, the group dies with it (Pdeathsig on Linux, and on every Unix a
// detached reaper that kills the group once this process is gone).
package peer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crudbench/crudbench/internal/pgserver"
)

// Spec says how to build, check for and start one peer.
type Spec struct {
	// Name identifies the peer, e.g. "flask-raw-gunicorn"; it names its
	// deviation list, testdata/peers/<Name>.deviations.
	Name string
	// Dir is the peer's working directory, relative to the repository root.
	Dir string
	// Argv is the command that serves the peer; "{port}" in an argument
	// is replaced by the port it must listen on (on 127.0.0.1).
	Argv []string
	// Env is added to the peer's environment.
	Env []string
	// Check is a command that succeeds when what the peer needs is
	// installed; Install is the command that installs it.
	Check   []string
	Install string
	// Build, when set, runs in Dir before the first start in this process
	// (a compilation, say); its failure fails Start.
	Build []string
}

var (
	mu    sync.Mutex
	specs = map[string]Spec{}
	built = map[string]*buildOnce{}
)

type buildOnce struct {
	once sync.Once
	err  error
}

// Register adds a peer to those All returns; it panics on a name given twice.
func Register(s Spec) {
	mu.Lock()
	defer mu.Unlock()
	if _, ok := specs[s.Name]; ok {
		panic("peer: " + s.Name + " registered twice")
	}
	specs[s.Name] = s
}

// All returns every registered peer, by name.
func All() []Spec {
	mu.Lock()
	defer mu.Unlock()
	out := make([]Spec, 0, len(specs))
	for _, s := range specs {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Lookup returns the registered peer of the name.
func Lookup(name string) (Spec, bool) {
	mu.Lock()
	defer mu.Unlock()
	s, ok := specs[name]
	return s, ok
}

// Missing returns "" when what s needs is installed, else why not and the
// command that installs it.
func (s Spec) Missing() string {
	if len(s.Check) == 0 {
		return ""
	}
	out, err := exec.Command(s.Check[0], s.Check[1:]...).CombinedOutput()
	if err == nil {
		return ""
	}
	return fmt.Sprintf("peer %s needs what is not installed (%s: %v: %s); install it with: %s",
		s.Name, strings.Join(s.Check, " "), err, lastLines(out, 3), s.Install)
}

// Root returns the repository root: the nearest directory at or above the
// working directory that holds go.mod.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding the repository root: %w", err)
	}
	for {
		if fileExists(filepath.Join(dir, "go.mod")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("finding the repository root: no directory above the working directory holds go.mod")
		}
		dir = parent
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// Process is a running peer.
type Process struct {
	Spec Spec
	URL  string // base URL, http://127.0.0.1:port
	Port int
	Pid  int // the group leader; the group has the same id

	cmd    *exec.Cmd
	out    *tail
	done   chan struct{} // closed when the leader has exited
	reaper *pgserver.Reaper
	once   sync.Once
	err    error // how the leader exited, once done is closed
}

// ReadyLimit bounds how long Start waits for /healthz.
const ReadyLimit = 60 * time.Second

// Start builds s if needed, starts it on a free port with dsn in its
// environment and waits until /healthz answers 200 (or ctx ends, or
// ReadyLimit passes, or the peer exits). The peer's output goes to log
// when it is not nil; the last of it is quoted in errors either way.
func Start(ctx context.Context, s Spec, dsn string, log *os.File) (*Process, error) {
	root, err := Root()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(root, s.Dir)
	if err := build(s, dir); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	argv := make([]string, len(s.Argv))
	for i, a := range s.Argv {
		argv[i] = strings.ReplaceAll(a, "{port}", strconv.Itoa(port))
	}
	p := &Process{Spec: s, Port: port, URL: fmt.Sprintf("http://127.0.0.1:%d", port), out: &tail{log: log}, done: make(chan struct{})}
	p.cmd = exec.Command(argv[0], argv[1:]...)
	p.cmd.Dir = dir
	p.cmd.Env = append(append(os.Environ(), s.Env...), "CRUDBENCH_DSN="+dsn, "CRUDBENCH_PORT="+strconv.Itoa(port))
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := startGroup(p.cmd); err != nil {
		return nil, fmt.Errorf("starting peer %s (%s): %w", s.Name, strings.Join(argv, " "), err)
	}
	p.Pid = p.cmd.Process.Pid
	// The reaper kills the group should this process die first.
	p.reaper, err = pgserver.StartReaper(fmt.Sprintf("kill -TERM -%d 2>/dev/null; sleep 2; kill -KILL -%d 2>/dev/null", p.Pid, p.Pid))
	if err != nil {
		killGroup(p.cmd, true)
		_ = p.cmd.Wait()
		return nil, fmt.Errorf("starting peer %s: %w", s.Name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	if err := p.waitReady(ctx); err != nil {
		p.Stop()
		return nil, fmt.Errorf("starting peer %s: %w; its last output:\n%s", s.Name, err, p.out.last())
	}
	return p, nil
}

// waitReady polls /healthz until it answers 200.
func (p *Process) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, ReadyLimit)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	defer client.CloseIdleConnections()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL+"/healthz", nil)
		if err != nil {
			return fmt.Errorf("asking /healthz: %w", err)
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.done:
			return fmt.Errorf("it exited before it was ready: %v", p.err)
		case <-ctx.Done():
			return fmt.Errorf("/healthz did not answer 200: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// StopGrace is how long Stop waits after SIGTERM before it kills the group.
const StopGrace = 5 * time.Second

// Stop sends SIGTERM to the peer's process group, waits up to StopGrace
// for the leader to exit, then kills the whole group. It returns the
// peer's output tail when the peer had exited on its own before.
func (p *Process) Stop() {
	p.once.Do(func() {
		select {
		case <-p.done:
		default:
			killGroup(p.cmd, false)
			select {
			case <-p.done:
			case <-time.After(StopGrace):
			}
		}
		killGroup(p.cmd, true) // whatever of the group is left
		<-p.done
		p.reaper.Dismiss()
	})
}

// Exited reports whether the peer's leader process has exited.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Output returns the last of what the peer wrote to stdout and stderr.
func (p *Process) Output() string { return p.out.last() }

// MustStart starts s on dsn for the rest of tb, skipping tb with the
// install command when what s needs is missing, and stopping the peer
// when tb ends. Its output goes to the test log on failure.
func MustStart(tb testing.TB, s Spec, dsn string) *Process {
	tb.Helper()
	if why := s.Missing(); why != "" {
		tb.Skip(why)
	}
	p, err := Start(context.Background(), s, dsn, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		p.Stop()
		if tb.Failed() {
			tb.Logf("peer %s, last output:\n%s", s.Name, p.Output())
		}
	})
	return p
}

// build runs s.Build in dir once per process.
func build(s Spec, dir string) error {
	if len(s.Build) == 0 {
		return nil
	}
	mu.Lock()
	b, ok := built[s.Name]
	if !ok {
		b = &buildOnce{}
		built[s.Name] = b
	}
	mu.Unlock()
	b.once.Do(func() {
		cmd := exec.Command(s.Build[0], s.Build[1:]...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("building peer %s (%s in %s): %w:\n%s", s.Name, strings.Join(s.Build, " "), dir, err, lastLines(out, 30))
		}
	})
	return b.err
}

// freePort returns a loopback port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tail keeps the last tailSize bytes written to it, and copies all of it
// to log when log is not nil.
type tail struct {
	mu  sync.Mutex
	buf []byte
	log *os.File
}

const tailSize = 16 << 10

func (t *tail) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.log != nil {
		_, _ = t.log.Write(b)
	}
	t.buf = append(t.buf, b...)
	if len(t.buf) > tailSize {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-tailSize:]...)
	}
	return len(b), nil
}

func (t *tail) last() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// lastLines returns the last n lines of out.
func lastLines(out []byte, n int) string {
	lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}
