package compare

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/crudbench/crudbench/cmd/crudbench/internal/serve"
	"github.com/crudbench/crudbench/cmd/crudbench/internal/study"
	"github.com/crudbench/crudbench/internal/paired"
	"github.com/crudbench/crudbench/internal/peer"
	"github.com/crudbench/crudbench/internal/pgserver"
)

// Target is one server of an N-way comparison.
type Target struct {
	Name string
	URL  string // base URL of its HTTP API
	// DSN is the database the server serves; its PostgreSQL backends are
	// the ones connected to that database. Empty: PostgreSQL CPU is not
	// measured.
	DSN string
	// PID is the root of the server's process tree; 0: its CPU and memory
	// are not measured (unless Cgroup is set).
	PID int
	// Cgroup, if set, is the cgroup v2 directory the server runs in alone;
	// its cpu.stat gives the server's CPU time.
	Cgroup string
	// Binary is the server's executable, for its size; may be empty.
	Binary string
}

// ParseTarget parses a -target value: comma-separated key=value pairs
// name, url, and optionally dsn, pid, cgroup and bin.
func ParseTarget(s string) (Target, error) {
	var t Target
	for kv := range strings.SplitSeq(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return t, fmt.Errorf("target %q: %q is not key=value", s, kv)
		}
		switch k {
		case "name":
			t.Name = v
		case "url":
			t.URL = strings.TrimRight(v, "/")
		case "dsn":
			t.DSN = v
		case "pid":
			pid, err := strconv.Atoi(v)
			if err != nil || pid < 1 {
				return t, fmt.Errorf("target %q: pid %q: want a process id", s, v)
			}
			t.PID = pid
		case "cgroup":
			t.Cgroup = v
		case "bin":
			t.Binary = v
		default:
			return t, fmt.Errorf("target %q: unknown key %q (want name, url, dsn, pid, cgroup, bin)", s, k)
		}
	}
	if t.Name == "" || strings.ContainsAny(t.Name, " /=\t") {
		return t, fmt.Errorf("target %q: want a name without spaces, slashes or '='", s)
	}
	if u, err := url.Parse(t.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return t, fmt.Errorf("target %q: url %q: want http:// or https:// and a host", s, t.URL)
	}
	return t, nil
}

// dbName returns the database of a DSN and whether its server runs on this
// host (a Unix socket, localhost or a loopback address), where /proc
// shows its backends.
func dbName(dsn string) (name string, local bool, err error) {
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return "", false, fmt.Errorf("parsing DSN: %w", err)
	}
	h := cfg.Host
	local = strings.HasPrefix(h, "/") || h == "localhost" || h == "127.0.0.1" || h == "::1"
	return cfg.Database, local, nil
}

// Arms are "crudbench serve" children, and peers, on one PostgreSQL
// server, each on its own clone of one seeded database.
type Arms struct {
	Targets  []Target
	children []*study.Child
	peers    []*peer.Process
	peerDBs  []func() error // drop the peers' databases
	pg       *pgserver.Server
	dropSeed func() error
}

// seedDB is the database the arms' databases are cloned from.
const seedDB = "crudbench_compare_seed"

// StartArms provisions one PostgreSQL server (CRUDBENCH_POSTGRES), seeds
// one database with rows users, and starts a serve child per name in
// names, each on a clone of that database. armOf gives the arm a name
// serves, bin the executable to run for it. Children's logs go to logw.
func StartArms(ctx context.Context, names []string, armOf func(string) string, bin func(string) study.Exe, rows int, log *slog.Logger, logw io.Writer) (_ *Arms, err error) {
	pg, err := startPostgres(ctx, log)
	if err != nil {
		return nil, err
	}
	a := &Arms{pg: pg}
	defer func() {
		if err != nil {
			err = errors.Join(err, a.Stop())
		}
	}()
	if _, a.dropSeed, err = serve.CreateDatabase(ctx, pg, seedDB, rows, ""); err != nil {
		return a, err
	}
	dir, err := os.MkdirTemp("", "crudbench-compare-")
	if err != nil {
		return a, fmt.Errorf("making a directory for the DSNs: %w", err)
	}
	defer os.RemoveAll(dir)
	env := []string{pgserver.EnvProvider + "=" + pg.DSN("postgres")}
	for i, name := range names {
		arm, exe := armOf(name), bin(name)
		dsnFile := filepath.Join(dir, fmt.Sprintf("dsn-%d", i))
		c, err := study.StartServeArgs(ctx, exe, arm, rows, env, []string{"-template", seedDB, "-dsn-out", dsnFile}, logw)
		if err != nil {
			return a, fmt.Errorf("starting %s: %w", name, err)
		}
		a.children = append(a.children, c)
		dsn, err := os.ReadFile(dsnFile)
		if err != nil {
			return a, fmt.Errorf("%s: reading its DSN: %w", name, err)
		}
		a.Targets = append(a.Targets, Target{Name: name, URL: c.URL, DSN: strings.TrimSpace(string(dsn)), PID: c.PID(), Binary: exe[0]})
	}
	return a, nil
}

// StartPeers starts a peer of internal/peer per name in names (a trailing '
// names a control: the peer a second time), each on its own clone of the
// seeded database, and adds them to a.Targets. A peer's process group is
// its target's process tree. The peers' output goes to logw if not nil.
func (a *Arms) StartPeers(ctx context.Context, names []string, logw *os.File) error {
	for i, name := range names {
		base := name
		if ref, ok := paired.ControlOf(name); ok {
			base = ref
		}
		spec, ok := peer.Lookup(base)
		if !ok {
			return fmt.Errorf("starting %s: no such peer", name)
		}
		dsn, drop, err := serve.CreateDatabase(ctx, a.pg, fmt.Sprintf("crudbench_compare_peer_%d", i), 0, seedDB)
		if err != nil {
			return fmt.Errorf("starting %s: %w", name, err)
		}
		a.peerDBs = append(a.peerDBs, drop)
		p, err := peer.Start(ctx, spec, dsn, logw)
		if err != nil {
			return err
		}
		a.peers = append(a.peers, p)
		a.Targets = append(a.Targets, Target{Name: name, URL: p.URL, DSN: dsn, PID: p.Pid, Binary: peerBinary(spec)})
	}
	return nil
}

// peerBinary returns the executable a peer's build makes (the Rust
// server's, say), or "" for a peer run by an installed interpreter, whose
// size says nothing of the peer.
func peerBinary(s peer.Spec) string {
	if len(s.Build) == 0 || filepath.IsAbs(s.Argv[0]) {
		return ""
	}
	root, err := peer.Root()
	if err != nil {
		return ""
	}
	return filepath.Join(root, s.Dir, s.Argv[0])
}

// Provider names the PostgreSQL provider.
func (a *Arms) Provider() string { return a.pg.Provider() }

// Stop stops the peers and drops their databases, stops the children,
// which drop theirs, drops the seeded database, and stops PostgreSQL.
func (a *Arms) Stop() error {
	var errs []error
	for _, p := range a.peers {
		p.Stop()
	}
	for _, drop := range a.peerDBs {
		errs = append(errs, drop())
	}
	if a.dropSeed != nil {
		// The children hold no connection to the seed: it drops first.
		errs = append(errs, a.dropSeed())
	}
	return errors.Join(append(errs, stopAll(a.children, a.pg))...)
}

// startPostgres provisions one PostgreSQL server as the tests do
// (CRUDBENCH_POSTGRES).
func startPostgres(ctx context.Context, log *slog.Logger) (*pgserver.Server, error) {
	opts := pgserver.OptionsFromEnv()
	opts.Logger = log
	pg, err := pgserver.Start(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("starting PostgreSQL: %w", err)
	}
	return pg, nil
}

// stopAll stops the children, which drop their databases, then pg.
func stopAll(children []*study.Child, pg *pgserver.Server) error {
	var errs []error
	for _, c := range children {
		errs = append(errs, c.Stop())
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := pg.Stop(ctx); err != nil {
		errs = append(errs, fmt.Errorf("stopping PostgreSQL: %w", err))
	}
	return errors.Join(errs...)
}
