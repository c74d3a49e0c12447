//go:build !windows

package pgserver

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/crudbench/crudbench/internal/cpus"
)

// local is a throwaway cluster in a temporary directory.
type local struct {
	bindir string
	dir    string // temporary directory holding data/ and the socket
	port   int
	args   string      // postgres options given to pg_ctl -o
	cred   *credential // as root: the postgres user
	reaper *reaper
	cpus   []int // set by pin: where the server's processes run
}

// findBindir returns the directory of the PostgreSQL server binaries: the
// one holding initdb on PATH, else pg_config --bindir, else the newest
// /usr/lib/postgresql/*/bin.
func findBindir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dir := strings.TrimSpace(string(out))
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, dir := range dirs {
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir, nil
		}
	}
	return "", fmt.Errorf("no initdb on PATH, via pg_config --bindir, or under /usr/lib/postgresql/*/bin")
}

func versionOf(bindir string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(bindir)), 64)
	return v
}

// startLocal creates a cluster with initdb and starts it with pg_ctl on a
// free loopback port. As root, both run as the postgres user. A detached
// reaper stops and removes the cluster if this process dies first.
func startLocal(ctx context.Context, opts Options) (*Server, error) {
	bindir, err := findBindir()
	if err != nil {
		return nil, err
	}
	l := &local{bindir: bindir}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root needs a postgres user to run the cluster: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		l.cred = &credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	if l.dir, err = os.MkdirTemp("", "crudbench-pg-"); err != nil {
		return nil, fmt.Errorf("creating cluster directory: %w", err)
	}
	if l.cred != nil {
		if err := os.Chown(l.dir, int(l.cred.Uid), int(l.cred.Gid)); err != nil {
			os.RemoveAll(l.dir)
			return nil, fmt.Errorf("handing cluster directory to postgres: %w", err)
		}
	}
	if err := l.startReaper(); err != nil {
		os.RemoveAll(l.dir)
		return nil, err
	}
	if err := l.run(ctx, "initdb", "-D", l.data(), "-U", "postgres", "--auth=trust",
		"-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions"); err != nil {
		l.stop(context.Background())
		return nil, fmt.Errorf("initdb: %w", err)
	}
	if l.port, err = freePort(); err != nil {
		l.stop(context.Background())
		return nil, err
	}
	settings := append([]string{"listen_addresses=127.0.0.1", "unix_socket_directories=" + l.dir}, opts.settings()...)
	l.args = fmt.Sprintf("-p %d", l.port)
	for _, s := range settings {
		l.args += " -c " + s
	}
	if err := l.resume(ctx); err != nil {
		l.stop(context.Background())
		return nil, err
	}
	u := &url.URL{Scheme: "postgres", User: url.User("postgres"), Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(l.port)),
		Path: "/postgres", RawQuery: "sslmode=disable"}
	return &Server{provider: ProviderLocal, dsn: u, impl: l}, nil
}

func (l *local) data() string { return filepath.Join(l.dir, "data") }

// run runs a PostgreSQL binary as the cluster's owner and returns its output
// in the error when it fails.
func (l *local) run(ctx context.Context, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(l.bindir, name), args...)
	cmd.Dir = l.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: l.cred, Setpgid: true}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}

func (l *local) resume(ctx context.Context) error {
	logfile := filepath.Join(l.dir, "postgres.log")
	if err := l.run(ctx, "pg_ctl", "-D", l.data(), "-l", logfile, "-w", "-t", "60", "-o", l.args, "start"); err != nil {
		tail, _ := os.ReadFile(logfile)
		return fmt.Errorf("starting cluster in %s: %w\nserver log:\n%s", l.dir, err, lastLines(tail, 20))
	}
	if l.cpus != nil {
		return l.pin(ctx, l.cpus)
	}
	return nil
}

// pin implements backend: the postmaster and its children now; backends
// forked later inherit the postmaster's CPUs.
func (l *local) pin(_ context.Context, set []int) error {
	data, err := os.ReadFile(filepath.Join(l.data(), "postmaster.pid"))
	if err != nil {
		return fmt.Errorf("pgserver: reading the postmaster's pid: %w", err)
	}
	first, _, _ := strings.Cut(string(data), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil {
		return fmt.Errorf("pgserver: reading the postmaster's pid: %w", err)
	}
	if err := cpus.PinTree(pid, set); err != nil {
		return fmt.Errorf("pgserver: keeping the cluster on CPUs %s: %w", cpus.List(set), err)
	}
	l.cpus = set
	return nil
}

func (l *local) halt(ctx context.Context) error {
	if err := l.run(ctx, "pg_ctl", "-D", l.data(), "-m", "immediate", "-w", "stop"); err != nil {
		return fmt.Errorf("halting cluster: %w", err)
	}
	return nil
}

// stop shuts the cluster down (immediately: its data is thrown away) and
// removes its directory, then dismisses the reaper.
func (l *local) stop(ctx context.Context) error {
	var errs []error
	if _, err := os.Stat(filepath.Join(l.data(), "postmaster.pid")); err == nil {
		if err := l.run(ctx, "pg_ctl", "-D", l.data(), "-m", "immediate", "-w", "stop"); err != nil {
			errs = append(errs, fmt.Errorf("stopping cluster: %w", err))
		}
	}
	if err := os.RemoveAll(l.dir); err != nil {
		errs = append(errs, fmt.Errorf("removing cluster directory: %w", err))
	}
	if len(errs) > 0 {
		return errs[0] // the reaper stays, to try again when this process exits
	}
	l.reaper.dismiss()
	return nil
}

// startReaper starts a reaper that stops the cluster and removes its
// directory once this process is gone. It covers what deferred cleanup
// cannot: panics, SIGINT, SIGKILL.
func (l *local) startReaper() error {
	script := fmt.Sprintf(`if [ -f %[1]s/data/postmaster.pid ]; then %[2]s -D %[1]s/data -m immediate -w stop >/dev/null 2>&1; fi
rm -rf %[1]s`, shellQuote(l.dir), shellQuote(filepath.Join(l.bindir, "pg_ctl")))
	r, err := startReaper(script, l.cred)
	if err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	l.reaper = r
	return nil
}

// detach dismisses the reaper, so that the cluster outlives this process,
// and returns a shell command that stops it and removes its directory.
func (l *local) detach() (string, error) {
	l.reaper.dismiss()
	dir := shellQuote(l.dir)
	return fmt.Sprintf(`pid=$(head -n 1 %[1]s/data/postmaster.pid) && kill -QUIT "$pid"; while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done; rm -rf %[1]s`, dir), nil
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
