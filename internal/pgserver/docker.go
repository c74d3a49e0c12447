package pgserver

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/crudbench/crudbench/internal/cpus"
	"github.com/jackc/pgx/v5"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
	tcpostgres "github.com/testcontainers/testcontainers-go/modules/postgres"
	"github.com/testcontainers/testcontainers-go/wait"
)

// Settings of the docker provider.
const (
	dockerPingTimeout  = 3 * time.Second  // an engine that answers does so at once
	dockerProbePull    = 20 * time.Second // pull attempt made by dockerUsable
	dockerStartPull    = 10 * time.Minute // pull made by startDocker, which was asked for docker
	dockerStartTimeout = 60 * time.Second // container start to a successful query
	dockerPortAttempts = 3                // host ports tried, should another process take one first

	dockerUser     = "postgres"
	dockerPassword = "postgres"
	dockerDatabase = "postgres"
	dockerPort     = "5432/tcp"

	// dockerLabel marks crudbench's containers, so that leftovers can be
	// found: docker ps -a --filter label=crudbench=1.
	dockerLabel = "crudbench"
)

// dockerUsable reports whether a Docker engine answers and image is present
// or can be pulled, with a short human reason either way. The engine must
// answer within a few seconds; a missing image gets one pull attempt of
// dockerProbePull at most.
func dockerUsable(ctx context.Context, image string) (ok bool, why string) {
	cli, err := dockerClient(ctx)
	if err != nil {
		return false, fmt.Sprintf("no docker engine answers: %v", err)
	}
	defer cli.Close()

	pulled, err := dockerEnsureImage(ctx, cli, image, dockerProbePull)
	if err != nil {
		return false, fmt.Sprintf("docker engine answers but image %s is not usable: %v", image, err)
	}
	state := "is present"
	if pulled {
		state = "was pulled"
	}
	if !testcontainers.ReadConfig().RyukDisabled {
		if _, err := dockerEnsureImage(ctx, cli, ryukImage, dockerProbePull); err != nil {
			return false, fmt.Sprintf("docker engine answers and image %s %s, but the Ryuk image %s is not usable (%v); "+
				"set TESTCONTAINERS_RYUK_DISABLED=true (crudbench removes its containers itself)", image, state, ryukImage, err)
		}
	}
	return true, fmt.Sprintf("docker engine answers and image %s %s", image, state)
}

// dockerClient connects to the engine testcontainers-go would use and pings
// it, within dockerPingTimeout even if the client ignores its context.
func dockerClient(ctx context.Context) (*testcontainers.DockerClient, error) {
	ctx, cancel := context.WithTimeout(ctx, dockerPingTimeout)
	defer cancel()
	type result struct {
		cli *testcontainers.DockerClient
		err error
	}
	done := make(chan result, 1)
	go func() {
		cli, err := testcontainers.NewDockerClientWithOpts(ctx)
		if err == nil {
			if _, err = cli.Ping(ctx, client.PingOptions{}); err != nil {
				cli.Close()
			}
		}
		done <- result{cli, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return nil, fmt.Errorf("connecting to the docker engine: %w", r.err)
		}
		return r.cli, nil
	case <-ctx.Done():
		go func() { // close the client should it come after all
			if r := <-done; r.err == nil {
				r.cli.Close()
			}
		}()
		return nil, fmt.Errorf("connecting to the docker engine: %w", ctx.Err())
	}
}

// dockerEnsureImage returns nil when image is in the engine's store, else
// pulls it once, giving up after timeout, and says whether it pulled it.
// (testcontainers-go would retry a failing pull for up to 15 minutes.)
func dockerEnsureImage(ctx context.Context, cli *testcontainers.DockerClient, image string, timeout time.Duration) (pulled bool, err error) {
	inspectCtx, cancel := context.WithTimeout(ctx, dockerPingTimeout)
	_, err = cli.ImageInspect(inspectCtx, image)
	cancel()
	if err == nil {
		return false, nil
	}
	if !cerrdefs.IsNotFound(err) {
		return false, fmt.Errorf("inspecting image %s: %w", image, err)
	}
	pullCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp, err := cli.ImagePull(pullCtx, image, client.ImagePullOptions{})
	if err == nil {
		err = resp.Wait(pullCtx)
	}
	if err != nil {
		if pullCtx.Err() != nil && ctx.Err() == nil {
			return false, fmt.Errorf("image %s is absent and pulling it did not finish within %s: %w", image, timeout, err)
		}
		return false, fmt.Errorf("image %s is absent and pulling it failed: %w", image, err)
	}
	return true, nil
}

// startDocker runs image with the testcontainers-go postgres module and
// waits until it answers a query. The container publishes 5432 on a host
// port chosen up front, so that the DSN stays valid across halt and resume.
// A detached reaper process removes the container should this process die
// without stopping it (Ryuk may be disabled or unavailable).
func startDocker(ctx context.Context, image string, opts Options) (*Server, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	log = log.With("provider", ProviderDocker, "image", image)

	cli, err := dockerClient(ctx)
	if err != nil {
		return nil, fmt.Errorf("pgserver: starting %s: %w", image, err)
	}
	if _, err := dockerEnsureImage(ctx, cli, image, dockerStartPull); err != nil {
		cli.Close()
		return nil, fmt.Errorf("pgserver: starting %s: %w", image, err)
	}
	if !testcontainers.ReadConfig().RyukDisabled {
		if _, err := dockerEnsureImage(ctx, cli, ryukImage, dockerStartPull); err != nil {
			cli.Close()
			return nil, fmt.Errorf("pgserver: starting %s: Ryuk image (set TESTCONTAINERS_RYUK_DISABLED=true to do without): %w", image, err)
		}
	}

	host, bindIP, err := dockerAddress(ctx, cli)
	if err != nil {
		cli.Close()
		return nil, fmt.Errorf("pgserver: starting %s: %w", image, err)
	}

	var lastErr error
	for attempt := 1; attempt <= dockerPortAttempts; attempt++ {
		b := &dockerBackend{cli: cli, log: log}
		s, err := b.start(ctx, image, opts, host, bindIP)
		if err == nil {
			return s, nil
		}
		lastErr = err
		if !dockerPortConflict(err) {
			break
		}
		log.Warn("host port taken before the container could bind it, retrying", "attempt", attempt, "err", err)
	}
	cli.Close()
	return nil, fmt.Errorf("pgserver: starting %s: %w", image, lastErr)
}

// dockerAddress returns the host through which the container's published
// port is reached, and the engine-side address to publish it on (zero: all
// interfaces). A local engine publishes on the loopback interface only.
//
// The host is TESTCONTAINERS_HOST_OVERRIDE when set; else 127.0.0.1 for an
// engine in this network namespace; else testcontainers-go's answer. Its
// answer alone would be wrong for a process in a container (/.dockerenv)
// that runs its own engine: it then picks the bridge gateway or the default
// route, as for a sibling container talking to the host's engine.
func dockerAddress(ctx context.Context, cli *testcontainers.DockerClient) (host string, bindIP netip.Addr, err error) {
	loopback := netip.MustParseAddr("127.0.0.1")
	if h, ok := os.LookupEnv("TESTCONTAINERS_HOST_OVERRIDE"); ok && h != "" {
		if ip, err := netip.ParseAddr(h); (err == nil && ip.IsLoopback()) || h == "localhost" {
			return h, loopback, nil
		}
		return h, netip.Addr{}, nil
	}
	if dockerEngineLocal(ctx, cli) {
		return loopback.String(), loopback, nil
	}
	p, err := testcontainers.NewDockerProvider()
	if err != nil {
		return "", netip.Addr{}, fmt.Errorf("creating docker provider: %w", err)
	}
	defer p.Close()
	host, err = p.DaemonHost(ctx)
	if err != nil {
		return "", netip.Addr{}, fmt.Errorf("finding the host of published ports: %w", err)
	}
	return host, netip.Addr{}, nil
}

// dockerEngineLocal reports whether the engine listens on a local socket and
// runs in this network namespace: not in a container at all, or with the
// engine's default bridge interface (docker0) among this namespace's
// interfaces, which a sibling container does not have.
func dockerEngineLocal(ctx context.Context, cli *testcontainers.DockerClient) bool {
	if h := cli.DaemonHost(); !strings.HasPrefix(h, "unix://") && !strings.HasPrefix(h, "npipe://") {
		return false
	}
	if _, err := os.Stat("/.dockerenv"); err != nil {
		return true
	}
	res, err := cli.NetworkInspect(ctx, "bridge", client.NetworkInspectOptions{})
	if err != nil {
		return false
	}
	name := res.Network.Options["com.docker.network.bridge.name"]
	if name == "" {
		name = "docker0"
	}
	ifc, err := net.InterfaceByName(name)
	if err != nil {
		return false
	}
	addrs, err := ifc.Addrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		ipnet, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		ip, ok := netip.AddrFromSlice(ipnet.IP)
		if !ok {
			continue
		}
		for _, c := range res.Network.IPAM.Config {
			if c.Subnet.Contains(ip.Unmap()) {
				return true
			}
		}
	}
	return false
}

// dockerPortConflict reports whether err says the published host port was taken.
func dockerPortConflict(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "port is already allocated") || strings.Contains(msg, "address already in use")
}

// dockerBackend is the backend of a container started by startDocker.
type dockerBackend struct {
	cli *testcontainers.DockerClient
	log *slog.Logger

	mu      sync.Mutex
	ctr     *tcpostgres.PostgresContainer
	id      string
	reaper  *reaper
	stopped bool
}

// start creates and starts the container, its port 5432 published on
// bindIP (all interfaces if zero) and reached through host, and returns the
// Server. On error the container, if any, is already removed.
func (b *dockerBackend) start(ctx context.Context, image string, opts Options, host string, bindIP netip.Addr) (*Server, error) {
	hostPort, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := []string{"postgres"}
	for _, s := range opts.settings() {
		cmd = append(cmd, "-c", s)
	}
	port := network.MustParsePort(dockerPort)

	began := time.Now()
	ctr, err := tcpostgres.Run(ctx, image,
		tcpostgres.WithUsername(dockerUser),
		tcpostgres.WithPassword(dockerPassword),
		tcpostgres.WithDatabase(dockerDatabase),
		testcontainers.WithCmd(cmd...),
		testcontainers.WithLabels(map[string]string{dockerLabel: "1"}),
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			hc.PortBindings = network.PortMap{port: {{HostIP: bindIP, HostPort: strconv.Itoa(hostPort)}}}
		}),
		testcontainers.WithAdditionalLifecycleHooks(testcontainers.ContainerLifecycleHooks{
			// Right after creation, so that a death during the wait below
			// leaves nothing behind either.
			PostCreates: []testcontainers.ContainerHook{func(_ context.Context, c testcontainers.Container) error {
				b.startReaper(c.GetContainerID())
				return nil
			}},
		}),
		testcontainers.WithWaitStrategyAndDeadline(dockerStartTimeout, readyStrategies(host)...),
		testcontainers.WithLogger(tcLogger{b.log}),
	)
	if err != nil {
		if ctr != nil {
			if terr := ctr.Terminate(context.WithoutCancel(ctx), testcontainers.StopTimeout(0)); terr != nil {
				b.log.Warn("removing the failed container failed; the reaper removes it when this process exits", "err", terr)
			} else {
				b.killReaper()
			}
		}
		return nil, fmt.Errorf("running container: %w", err)
	}
	b.ctr = ctr
	b.id = ctr.GetContainerID()

	dsn := &url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(dockerUser, dockerPassword),
		Host:     net.JoinHostPort(host, strconv.Itoa(hostPort)),
		Path:     "/" + dockerDatabase,
		RawQuery: "sslmode=disable",
	}
	b.log.Info("postgres container ready", "container", dockerShortID(b.id), "addr", dsn.Host, "took", time.Since(began).Round(time.Millisecond))
	return &Server{provider: ProviderDocker, dsn: dsn, impl: b}, nil
}

// readyStrategies wait for a server that answers queries on host. The log
// line comes once from a one-start image and twice from the official one
// (its init scripts run on a temporary server, listening on a Unix socket
// only), so one occurrence is enough with the checks that follow: the
// published port accepting connections on host, then a real query. On
// resume the log line is already there from the previous start: the port
// and the query do the work. (wait.ForListeningPort is not used: its
// external check dials testcontainers-go's host, see dockerAddress, and its
// internal one needs a shell with cat, awk and grep, or nc, in the image.)
func readyStrategies(host string) []wait.Strategy {
	return []wait.Strategy{
		wait.ForLog("database system is ready to accept connections").WithStartupTimeout(dockerStartTimeout),
		&queryStrategy{host: host, timeout: dockerStartTimeout},
	}
}

// queryStrategy waits until the container's published port accepts TCP
// connections on host, then until a pgx connection runs SELECT 1, retrying
// until its timeout; it fails early if the container stops running.
type queryStrategy struct {
	host    string
	timeout time.Duration
}

// WaitUntilReady implements wait.Strategy.
func (q *queryStrategy) WaitUntilReady(ctx context.Context, target wait.StrategyTarget) error {
	ctx, cancel := context.WithTimeout(ctx, q.timeout)
	defer cancel()
	const interval = 100 * time.Millisecond
	// retry calls try until it succeeds, the container stops or time is up.
	retry := func(what string, try func() error) error {
		for {
			err := try()
			if err == nil {
				return nil
			}
			if st, serr := target.State(ctx); serr == nil && !st.Running {
				return fmt.Errorf("container stopped (status %s, exit code %d) while waiting for %s: %w", st.Status, st.ExitCode, what, err)
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("waiting for %s for %s: %w", what, q.timeout, err)
			case <-time.After(interval):
			}
		}
	}

	var addr string
	err := retry("the published port", func() error {
		mapped, err := target.MappedPort(ctx, dockerPort)
		if err != nil {
			return err
		}
		addr = net.JoinHostPort(q.host, mapped.Port())
		return nil
	})
	if err != nil {
		return err
	}
	err = retry("a connection to "+addr, func() error {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		return conn.Close()
	})
	if err != nil {
		return err
	}
	dsn := (&url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(dockerUser, dockerPassword),
		Host:     addr,
		Path:     "/" + dockerDatabase,
		RawQuery: "sslmode=disable&connect_timeout=2",
	}).String()
	return retry("SELECT 1 to succeed on "+addr, func() error { return dockerSelectOne(ctx, dsn) })
}

// String describes the strategy in testcontainers-go's logs.
func (q *queryStrategy) String() string { return "a successful SELECT 1" }

// dockerSelectOne connects to dsn and runs SELECT 1.
func dockerSelectOne(ctx context.Context, dsn string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var one int
	return conn.QueryRow(ctx, "SELECT 1").Scan(&one)
}

// startReaper starts a reaper that removes the container once this
// process is gone, however it ended. Without a docker CLI (or on Windows)
// there is no reaper, only a warning.
func (b *dockerBackend) startReaper(id string) {
	docker, err := exec.LookPath("docker")
	if err != nil {
		b.log.Warn("no docker CLI on PATH: the container is left behind if this process dies before stopping it", "container", dockerShortID(id))
		return
	}
	r, err := startReaper(fmt.Sprintf("exec %s rm -f -v %s >/dev/null 2>&1", shellQuote(docker), shellQuote(id)), nil)
	if err != nil {
		b.log.Warn("the container is left behind if this process dies before stopping it",
			"container", dockerShortID(id), "err", err)
		return
	}
	b.mu.Lock()
	b.reaper = r
	b.mu.Unlock()
}

// killReaper dismisses the reaper, the container being gone or kept.
func (b *dockerBackend) killReaper() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.reaper.dismiss()
	b.reaper = nil
}

// detach implements backend: the reaper is dismissed and the container
// left running; the command returned removes it. Ryuk, when enabled,
// still removes it when this process exits.
func (b *dockerBackend) detach() (string, error) {
	b.killReaper()
	b.mu.Lock()
	b.stopped = true
	b.mu.Unlock()
	b.cli.Close()
	if !testcontainers.ReadConfig().RyukDisabled {
		b.log.Warn("Ryuk is enabled and removes the container when this process exits; set TESTCONTAINERS_RYUK_DISABLED=true to keep it",
			"container", dockerShortID(b.id))
	}
	return "docker rm -f -v " + b.id, nil
}

// stop implements backend: it removes the container and its volumes. If
// that fails the reaper stays, and removes it when this process exits.
func (b *dockerBackend) stop(ctx context.Context) error {
	b.mu.Lock()
	if b.stopped {
		b.mu.Unlock()
		return nil
	}
	b.mu.Unlock()
	// Throwaway data: no need for a clean shutdown.
	if err := b.ctr.Terminate(ctx, testcontainers.StopTimeout(0)); err != nil {
		return fmt.Errorf("pgserver: removing container %s: %w", dockerShortID(b.id), err)
	}
	b.killReaper()
	b.mu.Lock()
	b.stopped = true
	b.mu.Unlock()
	b.cli.Close()
	b.log.Info("postgres container removed", "container", dockerShortID(b.id))
	return nil
}

// halt implements backend: SIGKILL, as a crash would, then wait until the
// container is no longer running. Its data stays.
func (b *dockerBackend) halt(ctx context.Context) error {
	if _, err := b.cli.ContainerKill(ctx, b.id, client.ContainerKillOptions{Signal: "SIGKILL"}); err != nil {
		if st, serr := b.ctr.State(ctx); serr == nil && !st.Running {
			return nil // already halted
		}
		return fmt.Errorf("pgserver: killing container %s: %w", dockerShortID(b.id), err)
	}
	res := b.cli.ContainerWait(ctx, b.id, client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
	select {
	case <-res.Result:
	case err := <-res.Error:
		return fmt.Errorf("pgserver: waiting for container %s to stop: %w", dockerShortID(b.id), err)
	}
	b.log.Info("postgres container halted", "container", dockerShortID(b.id))
	return nil
}

// resume implements backend: start the container again, on the same host
// port, and wait as at first start (the query is what matters then).
func (b *dockerBackend) resume(ctx context.Context) error {
	began := time.Now()
	if err := b.ctr.Start(ctx); err != nil {
		return fmt.Errorf("pgserver: restarting container %s: %w", dockerShortID(b.id), err)
	}
	b.log.Info("postgres container resumed", "container", dockerShortID(b.id), "took", time.Since(began).Round(time.Millisecond))
	return nil
}

// pin implements backend: the container's cpuset, which docker keeps for
// its every process and across restarts. Only an engine on this machine's
// own kernel shares its CPU numbers (not Docker Desktop's VM, nor another
// operating system's).
func (b *dockerBackend) pin(ctx context.Context, set []int) error {
	if runtime.GOOS != "linux" {
		return ErrNotSupported
	}
	info, err := b.cli.Info(ctx, client.InfoOptions{})
	if err != nil {
		return fmt.Errorf("pgserver: asking docker where it runs: %w", err)
	}
	if strings.Contains(info.Info.OperatingSystem, "Docker Desktop") || !dockerEngineLocal(ctx, b.cli) {
		return ErrNotSupported
	}
	res := container.Resources{CpusetCpus: cpus.List(set)}
	if _, err := b.cli.ContainerUpdate(ctx, b.id, client.ContainerUpdateOptions{Resources: &res}); err != nil {
		return fmt.Errorf("pgserver: keeping container %s on CPUs %s: %w", dockerShortID(b.id), cpus.List(set), err)
	}
	return nil
}

// tcLogger sends testcontainers-go's messages to slog at debug level.
type tcLogger struct{ log *slog.Logger }

// Printf implements testcontainers-go's log.Logger.
func (l tcLogger) Printf(format string, v ...any) {
	l.log.Debug(strings.TrimSpace(fmt.Sprintf(format, v...)), "component", "testcontainers")
}

// dockerShortID abbreviates a container ID as docker ps does.
func dockerShortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// ryukImage is the image of testcontainers-go's reaper, checked up front so
// that a missing one gives a clear reason instead of a long pull.
//
//lint:ignore SA1019 deprecated for an internal constant of the same value; nothing else exports it.
var ryukImage = testcontainers.ReaperDefaultImage

// testcontainers-go logs its banner and progress through a global logger;
// send it to slog at debug level, so that it stays out of benchmark output.
func init() { tclog.SetDefault(debugLogger{}) }

type debugLogger struct{}

func (debugLogger) Printf(format string, v ...any) {
	slog.Debug(fmt.Sprintf(format, v...), "from", "testcontainers")
}
