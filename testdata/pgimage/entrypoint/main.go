// Command entrypoint is the entrypoint of the locally built PostgreSQL image
// (see ../build.sh). It honours the parts of the official image's contract
// that the testcontainers-go postgres module relies on:
//
//   - POSTGRES_USER (default "postgres"), POSTGRES_PASSWORD (required unless
//     POSTGRES_HOST_AUTH_METHOD=trust) and POSTGRES_DB (default
//     POSTGRES_USER) create the superuser and database on first start;
//   - POSTGRES_HOST_AUTH_METHOD (default scram-sha-256) is the method of the
//     "host all all all" pg_hba.conf line that opens the server to the
//     network; POSTGRES_INITDB_ARGS adds initdb arguments;
//   - arguments are those of postgres, optionally after a leading
//     "postgres" (the module runs the container as `postgres -c fsync=off`);
//     with --version, --help and the like, postgres runs without a cluster;
//     another first argument is a command to run instead (e.g. psql).
//
// When PGDATA (default /var/lib/postgresql/data) holds no cluster, it runs
// initdb (UTF8, no locale, trust over the Unix socket, password auth over
// TCP) and creates POSTGRES_DB in single-user mode, so the server logs
// "database system is ready to accept connections" exactly once per start.
// When a cluster exists (container restarted) it just starts the server. It
// then replaces itself with postgres listening on all addresses and logging
// to stderr. Run as root it first hands PGDATA to the postgres user and
// drops to it; postgres itself refuses to run as root.
//
// Scripts in /docker-entrypoint-initdb.d (the module's WithInitScripts) are
// not run; a warning says so.
package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Locations inside the image, as laid out by build.sh.
const (
	binDir        = "/usr/lib/postgresql/15/bin"
	defaultPGDATA = "/var/lib/postgresql/data"
	socketDir     = "/var/run/postgresql"
	initdbDir     = "/docker-entrypoint-initdb.d"
	serviceUser   = "postgres"
)

func main() {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, nil)).With("component", "entrypoint"))
	if err := run(os.Args[1:]); err != nil {
		slog.Error("entrypoint failed", "err", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) > 0 && (args[0] == "postgres" || args[0] == filepath.Join(binDir, "postgres")) {
		args = args[1:]
	}
	// A first argument that is not a server option is a command to run
	// instead (e.g. `docker run image psql --version`).
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return execCommand(args)
	}

	// Options that only print something need no cluster.
	for _, a := range args {
		switch a {
		case "-V", "--version", "-?", "--help", "--describe-config", "-C":
			return execCommand(append([]string{filepath.Join(binDir, "postgres")}, args...))
		}
	}

	pgdata := envOr("PGDATA", defaultPGDATA)
	if err := os.Setenv("PGDATA", pgdata); err != nil {
		return fmt.Errorf("setting PGDATA: %w", err)
	}
	if os.Geteuid() == 0 {
		if err := dropRoot(pgdata); err != nil {
			return err
		}
	}

	initialized, err := clusterExists(pgdata)
	if err != nil {
		return err
	}
	if !initialized {
		if err := initCluster(pgdata); err != nil {
			return err
		}
	} else {
		slog.Info("cluster exists, skipping initialization", "pgdata", pgdata)
	}

	argv := append([]string{filepath.Join(binDir, "postgres"), "-D", pgdata, "-c", "listen_addresses=*"}, args...)
	slog.Info("starting postgres", "argv", strings.Join(argv, " "))
	if err := syscall.Exec(argv[0], argv, os.Environ()); err != nil {
		return fmt.Errorf("exec %s: %w", argv[0], err)
	}
	return nil
}

// execCommand replaces the entrypoint with an arbitrary command, found on
// PATH, as the official image does for a first argument that is not an
// option.
func execCommand(args []string) error {
	path, err := exec.LookPath(args[0])
	if err != nil {
		return fmt.Errorf("looking up command %q: %w", args[0], err)
	}
	if err := syscall.Exec(path, args, os.Environ()); err != nil {
		return fmt.Errorf("exec %s: %w", path, err)
	}
	return nil
}

// dropRoot gives PGDATA and the socket directory to the postgres user and
// switches the process to that user.
func dropRoot(pgdata string) error {
	u, err := user.Lookup(serviceUser)
	if err != nil {
		return fmt.Errorf("looking up user %s to drop root: %w", serviceUser, err)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return fmt.Errorf("parsing uid of %s: %w", serviceUser, err)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return fmt.Errorf("parsing gid of %s: %w", serviceUser, err)
	}
	for _, dir := range []string{pgdata, socketDir} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("creating %s: %w", dir, err)
		}
		if err := os.Chown(dir, uid, gid); err != nil {
			return fmt.Errorf("handing %s to %s: %w", dir, serviceUser, err)
		}
	}
	if err := syscall.Setgroups([]int{gid}); err != nil {
		return fmt.Errorf("setting groups: %w", err)
	}
	if err := syscall.Setgid(gid); err != nil {
		return fmt.Errorf("setting gid %d: %w", gid, err)
	}
	if err := syscall.Setuid(uid); err != nil {
		return fmt.Errorf("setting uid %d: %w", uid, err)
	}
	if err := os.Setenv("HOME", u.HomeDir); err != nil {
		return fmt.Errorf("setting HOME: %w", err)
	}
	slog.Info("dropped root", "user", serviceUser, "uid", uid)
	return nil
}

// clusterExists reports whether pgdata holds an initialized cluster.
func clusterExists(pgdata string) (bool, error) {
	_, err := os.Stat(filepath.Join(pgdata, "PG_VERSION"))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, os.ErrNotExist):
		return false, nil
	default:
		return false, fmt.Errorf("checking for a cluster in %s: %w", pgdata, err)
	}
}

// initCluster runs initdb, opens the server to password-authenticated TCP
// connections and creates POSTGRES_DB.
func initCluster(pgdata string) error {
	superuser := envOr("POSTGRES_USER", "postgres")
	password := os.Getenv("POSTGRES_PASSWORD")
	database := envOr("POSTGRES_DB", superuser)
	hostAuth := envOr("POSTGRES_HOST_AUTH_METHOD", "scram-sha-256")
	if password == "" && hostAuth != "trust" {
		return errors.New("POSTGRES_PASSWORD is empty: set it, or set POSTGRES_HOST_AUTH_METHOD=trust to allow connections without one")
	}
	if err := os.MkdirAll(pgdata, 0o700); err != nil {
		return fmt.Errorf("creating PGDATA %s: %w", pgdata, err)
	}

	pwfile, err := os.CreateTemp("", "pwfile")
	if err != nil {
		return fmt.Errorf("creating initdb password file: %w", err)
	}
	defer os.Remove(pwfile.Name())
	if _, err := pwfile.WriteString(password + "\n"); err != nil {
		return fmt.Errorf("writing initdb password file: %w", err)
	}
	if err := pwfile.Close(); err != nil {
		return fmt.Errorf("closing initdb password file: %w", err)
	}

	authHost := hostAuth
	if authHost == "trust" {
		authHost = "scram-sha-256" // loopback lines; the catch-all line below is trust
	}
	initdbArgs := []string{
		"-D", pgdata,
		"-U", superuser,
		"--pwfile", pwfile.Name(),
		"--auth-local=trust",
		"--auth-host=" + authHost,
		"--encoding=UTF8",
		"--no-locale",
		"--no-sync", // throwaway clusters; a container stop does not lose the page cache
	}
	initdbArgs = append(initdbArgs, strings.Fields(os.Getenv("POSTGRES_INITDB_ARGS"))...)
	slog.Info("initializing cluster", "pgdata", pgdata, "user", superuser, "database", database)
	cmd := exec.Command(filepath.Join(binDir, "initdb"), initdbArgs...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if os.Getenv("TZ") == "" {
		// Without TZ, initdb probes every file under /usr/share/zoneinfo
		// to guess the system's zone: seconds, for "UTC" in a container.
		cmd.Env = append(os.Environ(), "TZ=UTC")
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("running initdb: %w", err)
	}

	hba, err := os.OpenFile(filepath.Join(pgdata, "pg_hba.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("opening pg_hba.conf: %w", err)
	}
	if _, err := fmt.Fprintf(hba, "\n# added by the crudbench image entrypoint\nhost all all all %s\n", hostAuth); err != nil {
		hba.Close()
		return fmt.Errorf("appending to pg_hba.conf: %w", err)
	}
	if err := hba.Close(); err != nil {
		return fmt.Errorf("closing pg_hba.conf: %w", err)
	}

	switch database {
	case "postgres", "template0", "template1":
	default:
		if err := createDatabase(pgdata, database, superuser); err != nil {
			return err
		}
	}

	if entries, err := os.ReadDir(initdbDir); err == nil && len(entries) > 0 {
		slog.Warn("scripts in "+initdbDir+" are not supported by this image; ignored", "count", len(entries))
	}
	slog.Info("cluster initialized")
	return nil
}

// createDatabase creates database, owned by owner, with the server in
// single-user mode: no temporary server, no extra "ready" log line.
func createDatabase(pgdata, database, owner string) error {
	slog.Info("creating database", "database", database)
	cmd := exec.Command(filepath.Join(binDir, "postgres"), "--single", "-D", pgdata, "-c", "log_min_messages=warning", "postgres")
	cmd.Stdin = strings.NewReader(fmt.Sprintf("CREATE DATABASE %s OWNER %s\n", quoteIdent(database), quoteIdent(owner)))
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("creating database %s in single-user mode: %w: %s", database, err, out)
	}
	if strings.Contains(string(out), "ERROR:") {
		return fmt.Errorf("creating database %s in single-user mode: %s", database, out)
	}
	return nil
}

// quoteIdent quotes an SQL identifier.
func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
