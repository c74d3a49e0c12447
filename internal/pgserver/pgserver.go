// Package pgserver provides the PostgreSQL server that tests and benchmarks
// run against: a testcontainers-go container, a throwaway local cluster, or
// a server given by DSN, selected by the CRUDBENCH_POSTGRES variable.
package pgserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
)

// Environment variables read by Start.
const (
	EnvProvider = "CRUDBENCH_POSTGRES"       // auto (default), docker, local, or a postgres:// DSN
	EnvImage    = "CRUDBENCH_POSTGRES_IMAGE" // image of the docker provider
	EnvDurable  = "CRUDBENCH_DURABLE"        // "1": keep fsync and synchronous_commit on
)

// DefaultImage is the image the docker provider runs unless EnvImage names
// another: the official PostgreSQL image, pinned.
const DefaultImage = "postgres:17.6-alpine"

// Provider names, as reported by Server.Provider.
const (
	ProviderDocker = "docker"
	ProviderLocal  = "local"
	ProviderDSN    = "dsn"
)

// Options tune a server that Start creates. A server given by DSN is used
// as it is.
type Options struct {
	// Durable keeps fsync, synchronous_commit and full_page_writes on. The
	// default turns them off: throwaway data, faster writes.
	Durable bool
	// Logger receives the choice of provider and its reason; nil means
	// slog.Default().
	Logger *slog.Logger
}

// settings returns the server settings a created server starts with, as
// name=value pairs. client_connection_check_interval lets a backend notice
// that its client closed the connection while the backend waits (on a row
// lock, say): a client's cancel request is lost when it arrives before the
// backend starts the statement, and the statement would otherwise wait, and
// then run, long after the client has gone.
func (o Options) settings() []string {
	s := []string{"max_connections=200", "client_connection_check_interval=500ms"}
	if !o.Durable {
		s = append(s, "fsync=off", "synchronous_commit=off", "full_page_writes=off")
	}
	return s
}

// OptionsFromEnv returns Options with Durable read from EnvDurable.
func OptionsFromEnv() Options {
	return Options{Durable: os.Getenv(EnvDurable) == "1"}
}

// Server is a running PostgreSQL server.
type Server struct {
	provider string
	reason   string
	dsn      *url.URL // connects to the maintenance database "postgres"
	impl     backend
}

// backend is what a provider does beyond handing out a DSN.
type backend interface {
	// stop shuts the server down for good and removes what it left.
	stop(ctx context.Context) error
	// halt stops the server abruptly, keeping its data; resume starts it
	// again on the same address. Used by fault tests.
	halt(ctx context.Context) error
	resume(ctx context.Context) error
	// detach leaves the server running after this process exits and
	// returns a shell command that removes it.
	detach() (string, error)
	// pin keeps the server's processes on cpus, also after resume.
	pin(ctx context.Context, cpus []int) error
}

// Provider returns docker, local or dsn.
func (s *Server) Provider() string { return s.provider }

// Reason says why the provider was chosen.
func (s *Server) Reason() string { return s.reason }

// DSN returns a connection string for the named database on the server.
func (s *Server) DSN(database string) string {
	u := *s.dsn
	u.Path = "/" + database
	return u.String()
}

// Stop shuts the server down and removes its data, container or cluster
// directory. A server given by DSN is left running.
func (s *Server) Stop(ctx context.Context) error {
	if s.impl == nil {
		return nil
	}
	return s.impl.stop(ctx)
}

// Detach leaves a server that Start created running after this process
// exits, instead of removing it then, and returns a shell command that
// removes it. A server given by DSN is not Start's to remove: Detach returns
// "" for it. After Detach, Stop does nothing.
func (s *Server) Detach() (remove string, err error) {
	if s.impl == nil {
		return "", nil
	}
	remove, err = s.impl.detach()
	if err != nil {
		return "", err
	}
	s.impl = detached{}
	return remove, nil
}

// detached is the backend of a server after Detach.
type detached struct{}

func (detached) stop(context.Context) error       { return nil }
func (detached) halt(context.Context) error       { return ErrNotSupported }
func (detached) resume(context.Context) error     { return ErrNotSupported }
func (detached) detach() (string, error)          { return "", errors.New("pgserver: server already detached") }
func (detached) pin(context.Context, []int) error { return ErrNotSupported }

// ErrNotSupported is returned by Halt, Resume and PinCPUs for a server
// given by DSN or detached, and by PinCPUs for a container whose engine
// does not run on this machine's CPUs.
var ErrNotSupported = errors.New("pgserver: not supported by this provider")

// Halt stops the server abruptly (as a crash would), keeping its data.
func (s *Server) Halt(ctx context.Context) error {
	if s.impl == nil {
		return ErrNotSupported
	}
	return s.impl.halt(ctx)
}

// Resume starts a halted server again on the same address.
func (s *Server) Resume(ctx context.Context) error {
	if s.impl == nil {
		return ErrNotSupported
	}
	return s.impl.resume(ctx)
}

// PinCPUs keeps the server's processes, those it starts later, and those
// of a later Resume on cpus, in the numbering of this machine's CPUs.
func (s *Server) PinCPUs(ctx context.Context, cpus []int) error {
	if s.impl == nil {
		return ErrNotSupported
	}
	return s.impl.pin(ctx, cpus)
}

// Start returns a running server chosen by EnvProvider:
//   - "auto" or unset: docker when an engine answers and the image is
//     present or can be pulled, else local;
//   - "docker": a testcontainers-go container of EnvImage (or DefaultImage);
//   - "local": a throwaway cluster from the machine's PostgreSQL binaries;
//   - "postgres://…": that server, used as it is.
func Start(ctx context.Context, opts Options) (*Server, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	choice := strings.TrimSpace(os.Getenv(EnvProvider))
	image := os.Getenv(EnvImage)
	if image == "" {
		image = DefaultImage
	}
	var (
		s   *Server
		err error
	)
	switch {
	case choice == "" || choice == "auto":
		s, err = startAuto(ctx, image, opts, log)
	case choice == ProviderDocker:
		s, err = startDocker(ctx, image, opts)
		if s != nil {
			s.reason = EnvProvider + "=docker"
		}
	case choice == ProviderLocal:
		s, err = startLocal(ctx, opts)
		if s != nil {
			s.reason = EnvProvider + "=local"
		}
	case strings.HasPrefix(choice, "postgres://") || strings.HasPrefix(choice, "postgresql://"):
		s, err = fromDSN(choice)
	default:
		return nil, fmt.Errorf("pgserver: %s=%q: want auto, docker, local or a postgres:// DSN", EnvProvider, choice)
	}
	if err != nil {
		return nil, err
	}
	log.Info("postgres provider chosen", "provider", s.provider, "reason", s.reason)
	return s, nil
}

func startAuto(ctx context.Context, image string, opts Options, log *slog.Logger) (*Server, error) {
	ok, why := dockerUsable(ctx, image)
	if ok {
		s, err := startDocker(ctx, image, opts)
		if err == nil {
			s.reason = "auto: " + why
			return s, nil
		}
		why = fmt.Sprintf("docker failed to start %s: %v", image, err)
		log.Warn("docker provider failed, trying local", "err", err)
	}
	s, err := startLocal(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("pgserver: no PostgreSQL available (%s; local: %w). Fix one of: "+
			"start a Docker engine that can pull or holds %s (or set %s to a local image); "+
			"install PostgreSQL server binaries (initdb, pg_ctl) on PATH or under /usr/lib/postgresql/*/bin; "+
			"or set %s=postgres://user:pass@host:port/db", why, err, image, EnvImage, EnvProvider)
	}
	s.reason = "auto: " + why + "; using local cluster"
	return s, nil
}

func fromDSN(dsn string) (*Server, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, fmt.Errorf("pgserver: parsing %s: %w", EnvProvider, err)
	}
	return &Server{provider: ProviderDSN, reason: EnvProvider + " is a DSN", dsn: u}, nil
}

// freePort asks the kernel for a free loopback TCP port.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// shellQuote quotes s for sh.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
