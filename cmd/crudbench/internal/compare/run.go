package compare

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/crudbench/crudbench/cmd/crudbench/internal/load"
	"github.com/crudbench/crudbench/internal/paired"
)

// RunConfig is an N-way comparison of running targets. The first target
// is the reference every ratio is taken against.
type RunConfig struct {
	Targets []Target
	Ops     []string
	Rows    int // users seeded in each target's database
	// Clients is the closed loop's concurrency during capacity slices.
	Clients int
	// Slice and Slices: each target's capacity slices per op and their
	// length. Discard is the fraction at the start of a slice whose answers
	// do not count towards its throughput.
	Slice   time.Duration
	Slices  int
	Discard float64
	// TailSlice and TailSlices: the open-loop slices per target and op, at
	// TailFraction of the slowest target's paired capacity.
	TailSlice    time.Duration
	TailSlices   int
	TailFraction float64
	// CPUSlice and CPUSlices: the slices per op of CPU per request at equal
	// load, in each of which every target at once gets open-loop load at
	// CPUFraction of the slowest target's capacity divided by the number of
	// targets; 0 slices skips it.
	CPUSlice    time.Duration
	CPUSlices   int
	CPUFraction float64
	// Order is the design and seed of each round's order (internal/paired;
	// a zero Design means a shuffle): each op's capacity and tail rounds
	// draw from streams of their own.
	Order   paired.Config
	Timeout time.Duration
	Log     *slog.Logger
}

// CapOps are the ops a capacity comparison can send (load.Targeter's).
var CapOps = []string{"read", "create", "update", "list"}

func (c *RunConfig) check() error {
	if len(c.Targets) < 2 {
		return fmt.Errorf("%d targets: want at least two (a reference and its control)", len(c.Targets))
	}
	seen := map[string]bool{}
	for _, t := range c.Targets {
		if seen[t.Name] {
			return fmt.Errorf("target name %q given twice", t.Name)
		}
		seen[t.Name] = true
	}
	if len(c.Ops) == 0 {
		return errors.New("no ops to compare")
	}
	for _, op := range c.Ops {
		if !slices.Contains(CapOps, op) {
			return fmt.Errorf("op %q: want one of %v", op, CapOps)
		}
	}
	switch {
	case c.Clients < 1:
		return fmt.Errorf("clients %d: want at least 1", c.Clients)
	case c.Slice <= 0 || c.Slices < 2:
		return fmt.Errorf("slice %s × %d: want a positive length and at least 2 slices", c.Slice, c.Slices)
	case c.Discard < 0 || c.Discard >= 1:
		return fmt.Errorf("discard %v: want a fraction in [0, 1)", c.Discard)
	case c.TailSlices > 0 && (c.TailSlice <= 0 || c.TailFraction <= 0 || c.TailFraction > 1):
		return fmt.Errorf("tail slice %s at %v of capacity: want a positive length and a fraction in (0, 1]", c.TailSlice, c.TailFraction)
	case c.CPUSlices < 0 || c.CPUSlices > 0 && (c.CPUSlice <= 0 || c.CPUFraction <= 0 || c.CPUFraction > 1):
		return fmt.Errorf("%d CPU slices of %s at %v of capacity: want at least 0 slices, a positive length and a fraction in (0, 1]", c.CPUSlices, c.CPUSlice, c.CPUFraction)
	case c.Rows < 1:
		return fmt.Errorf("rows %d: want at least 1", c.Rows)
	}
	return nil
}

// Slice is what one target's slice measured.
type Slice struct {
	Round    int
	Answered int64         // requests answered in the slice, the CPU's divisor
	Counted  int64         // answered after the discarded start and before the end
	Window   time.Duration // the counted part of the slice
	// CPU time in ns: the server's tree and its PostgreSQL backends since
	// the target's previous slice ended (in a slice of all targets at once,
	// during the slice), and this process during the slice. Negative: not
	// available.
	AppNs, PGNs, ClientNs int64
	Lat                   []time.Duration // open loop: latencies counted
}

// Throughput returns the counted answers per second.
func (s Slice) Throughput() float64 { return float64(s.Counted) / s.Window.Seconds() }

// OpRun is the comparison of one op: Cap[t], Tail[t] and CPU[t] are
// target t's slices in round order; CPU[t][k] ran at the same time for
// every t.
type OpRun struct {
	Op             string
	Cap, Tail, CPU [][]Slice
	Rate           int // open-loop rate of the tail slices
	CPURate        int // open-loop rate of each target in the CPU slices
}

// Availability says, per target, whether server and PostgreSQL CPU were
// measured and, if not, why.
type Availability struct {
	App, PG []string // "" when measured
}

// probe is what measures one target: its HTTP client, and its CPU meters.
type probe struct {
	t       Target
	client  *http.Client
	tree    []int
	app, pg cpuMeter
	conn    *pgx.Conn // to the target's database, for its backends
	hosts   map[int]int
	appWhy  string
	pgWhy   string
}

func newProbe(ctx context.Context, t Target, clients int, timeout time.Duration) *probe {
	p := &probe{t: t, hosts: map[int]int{}}
	p.client = &http.Client{Timeout: timeout, Transport: &http.Transport{
		MaxIdleConnsPerHost: clients * 2, DisableCompression: true}}
	switch {
	case !procAvailable() && t.Cgroup == "":
		p.appWhy = errNoProc.Error()
	case t.Cgroup != "":
		if _, err := cgroupCPU(t.Cgroup); err != nil {
			p.appWhy = err.Error()
		}
	case t.PID == 0:
		p.appWhy = "not available: no pid given"
	default:
		tree, err := treePIDs(t.PID)
		if err != nil {
			p.appWhy = "not available: " + err.Error()
		}
		p.tree = tree
	}
	switch name, local, err := dbName(t.DSN); {
	case t.DSN == "":
		p.pgWhy = "not available: no DSN given"
	case err != nil:
		p.pgWhy = "not available: " + err.Error()
	case !local:
		p.pgWhy = "not available: PostgreSQL on another host"
	case !procAvailable():
		p.pgWhy = errNoProc.Error()
	default:
		conn, err := pgx.Connect(ctx, t.DSN)
		if err != nil {
			p.pgWhy = fmt.Sprintf("not available: connecting to %s: %v", name, err)
			break
		}
		p.conn = conn
	}
	return p
}

func (p *probe) close(ctx context.Context) {
	p.client.CloseIdleConnections()
	if p.conn != nil {
		p.conn.Close(ctx)
	}
}

// serverCPU reads the server's and its backends' CPU since the last call
// (-1 where not available).
func (p *probe) serverCPU(ctx context.Context) (app, pg int64, err error) {
	host, err := p.backends(ctx)
	if err != nil {
		return -1, -1, err
	}
	return p.cpu(host)
}

// backends lists the host PIDs of the PostgreSQL backends serving the
// target's database (nil where not available).
func (p *probe) backends(ctx context.Context) ([]int, error) {
	if p.conn == nil {
		return nil, nil
	}
	rows, err := p.conn.Query(ctx, "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
	if err != nil {
		return nil, fmt.Errorf("%s: listing its PostgreSQL backends: %w", p.t.Name, err)
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return nil, fmt.Errorf("%s: listing its PostgreSQL backends: %w", p.t.Name, err)
	}
	var host []int
	for _, pid := range pids {
		h, ok := p.hosts[int(pid)]
		if !ok {
			if h, ok = hostPID(int(pid), "postgres"); !ok {
				h = -1
			}
			p.hosts[int(pid)] = h
		}
		if h > 0 {
			host = append(host, h)
		}
	}
	if len(pids) > 0 && len(host) == 0 {
		p.pgWhy = "not available: its backends are not visible in /proc"
		p.conn.Close(ctx)
		p.conn = nil
	}
	return host, nil
}

// cpu reads the server's CPU and that of the backends host (from
// backends) since the last reading, -1 where not available.
func (p *probe) cpu(host []int) (app, pg int64, err error) {
	app, pg = -1, -1
	switch {
	case p.appWhy != "":
	case p.t.Cgroup != "":
		ns, err := cgroupCPU(p.t.Cgroup)
		if err != nil {
			return app, pg, err
		}
		app = p.app.delta(map[int]int64{0: ns})
	default:
		now := map[int]int64{}
		processCPU(p.tree, now)
		app = p.app.delta(now)
	}
	if p.conn == nil {
		return app, pg, nil
	}
	now := map[int]int64{}
	processCPU(host, now)
	return app, p.pg.delta(now), nil
}

// readCPU reads every probe's server and PostgreSQL CPU since its last
// reading: the backends' lists first, which take a query each, then the
// counters of all targets back to back, so that the readings lie as close
// together in time as they can.
func readCPU(ctx context.Context, probes []*probe) (app, pg []int64, err error) {
	hosts := make([][]int, len(probes))
	for i, p := range probes {
		if hosts[i], err = p.backends(ctx); err != nil {
			return nil, nil, err
		}
	}
	app, pg = make([]int64, len(probes)), make([]int64, len(probes))
	for i, p := range probes {
		if app[i], pg[i], err = p.cpu(hosts[i]); err != nil {
			return nil, nil, err
		}
	}
	return app, pg, nil
}

// selfCPU returns this process's CPU time so far, in ns by PID.
func selfCPU() map[int]int64 {
	m := map[int]int64{}
	processCPU([]int{os.Getpid()}, m)
	return m
}

// Run runs the comparison: per op, one unrecorded warm-up slice per
// target, Slices capacity rounds, then TailSlices open-loop rounds, each
// round visiting every target once in an order cfg.Order draws, then
// CPUSlices slices in which every target gets open-loop load at once.
func Run(ctx context.Context, cfg RunConfig) ([]OpRun, Availability, error) {
	var av Availability
	if err := cfg.check(); err != nil {
		return nil, av, err
	}
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	probes := make([]*probe, len(cfg.Targets))
	for i, t := range cfg.Targets {
		probes[i] = newProbe(ctx, t, cfg.Clients, cfg.Timeout)
		defer probes[i].close(context.WithoutCancel(ctx))
	}
	if cfg.Order.Design == "" {
		cfg.Order.Design = paired.Shuffle
	}
	var out []OpRun
	for _, op := range cfg.Ops {
		r := OpRun{Op: op, Cap: make([][]Slice, len(probes)), Tail: make([][]Slice, len(probes)), CPU: make([][]Slice, len(probes))}
		trs := make([]func() (capSlice, error), len(probes))
		for i, p := range probes {
			tr, want := load.Targeter(p.t.URL, op, cfg.Rows)
			trs[i] = func() (capSlice, error) {
				return closedSlice(ctx, p.client, func(c *http.Client) (int, error) { return load.Send(ctx, c, tr) }, want, cfg.Clients, cfg.Slice, cfg.Discard)
			}
		}
		for i, p := range probes { // warm-up, and the CPU baselines
			if _, err := trs[i](); err != nil {
				return nil, av, fmt.Errorf("%s, %s warm-up: %w", p.t.Name, op, err)
			}
			if _, _, err := p.serverCPU(ctx); err != nil {
				return nil, av, err
			}
		}
		capOrder, err := cfg.Order.NewOrder(len(probes), op+"/capacity")
		if err != nil {
			return nil, av, err
		}
		tailOrder, err := cfg.Order.NewOrder(len(probes), op+"/tail")
		if err != nil {
			return nil, av, err
		}
		for round := range cfg.Slices {
			for _, i := range capOrder.Next() {
				self := selfCPU()
				cs, err := trs[i]()
				if err != nil {
					return nil, av, fmt.Errorf("%s, %s capacity round %d: %w", probes[i].t.Name, op, round+1, err)
				}
				s := Slice{Round: round, Answered: cs.answered, Counted: cs.counted, Window: cs.window}
				s.ClientNs = (&cpuMeter{last: self}).delta(selfCPU())
				if s.AppNs, s.PGNs, err = probes[i].serverCPU(ctx); err != nil {
					return nil, av, err
				}
				r.Cap[i] = append(r.Cap[i], s)
			}
		}
		slowest := -1.0
		for i := range probes {
			if c := meanThroughput(r.Cap[i]); slowest < 0 || c < slowest {
				slowest = c
			}
		}
		if cfg.TailSlices > 0 {
			r.Rate = max(1, int(cfg.TailFraction*slowest))
			log.Info("compare: capacity done; tail latency at equal load", "op", op, "rate", r.Rate)
			for round := range cfg.TailSlices {
				for _, i := range tailOrder.Next() {
					self := selfCPU()
					s, err := openSlice(ctx, probes[i], op, cfg, r.Rate)
					if err != nil {
						return nil, av, fmt.Errorf("%s, %s tail round %d: %w", probes[i].t.Name, op, round+1, err)
					}
					s.Round = round
					s.ClientNs = (&cpuMeter{last: self}).delta(selfCPU())
					if s.AppNs, s.PGNs, err = probes[i].serverCPU(ctx); err != nil {
						return nil, av, err
					}
					r.Tail[i] = append(r.Tail[i], s)
				}
			}
		}
		if cfg.CPUSlices > 0 {
			r.CPURate = max(1, int(cfg.CPUFraction*slowest/float64(len(probes))))
			log.Info("compare: CPU per request at equal load, all targets at once", "op", op, "rate", r.CPURate, "targets", len(probes))
			for round := range cfg.CPUSlices {
				ss, err := cpuSlice(ctx, probes, op, cfg, r.CPURate)
				if err != nil {
					return nil, av, fmt.Errorf("%s CPU slice %d: %w", op, round+1, err)
				}
				for i, s := range ss {
					s.Round = round
					r.CPU[i] = append(r.CPU[i], s)
				}
			}
		}
		log.Info("compare: op done", "op", op)
		out = append(out, r)
	}
	for _, p := range probes {
		av.App = append(av.App, p.appWhy)
		av.PG = append(av.PG, p.pgWhy)
	}
	return out, av, nil
}

func meanThroughput(s []Slice) float64 {
	var sum float64
	for _, x := range s {
		sum += x.Throughput()
	}
	return sum / float64(len(s))
}

type capSlice struct {
	answered, counted int64
	window            time.Duration
}

// closedSlice runs clients closed-loop clients against one target for d:
// each sends its next request when its last is answered. Answers that come
// in the first discard fraction of d or after d do not count towards the
// throughput, but requests in flight at d are awaited and answered. Any
// failed request fails the slice: every target must answer alike.
func closedSlice(ctx context.Context, client *http.Client, send func(*http.Client) (int, error), want, clients int, d time.Duration, discard float64) (capSlice, error) {
	start := time.Now()
	from, end := start.Add(time.Duration(discard*float64(d))), start.Add(d)
	var (
		answered, counted atomic.Int64
		mu                sync.Mutex
		firstErr          error
		wg                sync.WaitGroup
	)
	for range clients {
		wg.Go(func() {
			for time.Now().Before(end) && ctx.Err() == nil {
				status, err := send(client)
				if err == nil && status != want {
					err = fmt.Errorf("status %d, want %d", status, want)
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
				answered.Add(1)
				if at := time.Now(); !at.Before(from) && !at.After(end) {
					counted.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(ctx.Err(), firstErr); err != nil {
		return capSlice{}, err
	}
	return capSlice{answered.Load(), counted.Load(), end.Sub(from)}, nil
}

// openSlice sends op to p at rate for cfg.TailSlice, open-loop, and keeps
// the latencies (from the intended send time) of the requests after the
// first cfg.Discard fraction.
func openSlice(ctx context.Context, p *probe, op string, cfg RunConfig, rate int) (Slice, error) {
	skip := uint64(cfg.Discard * float64(rate) * cfg.TailSlice.Seconds())
	var (
		mu  sync.Mutex
		lat []time.Duration
	)
	res, err := load.Open(ctx, load.Config{URL: p.t.URL, Op: op, Rate: rate, Duration: cfg.TailSlice, Rows: cfg.Rows,
		Client: p.client, Record: func(seq uint64, l time.Duration, failed bool) {
			if seq >= skip && !failed {
				mu.Lock()
				lat = append(lat, l)
				mu.Unlock()
			}
		}})
	if err != nil {
		return Slice{}, err
	}
	if res.Errors > 0 {
		return Slice{}, fmt.Errorf("%d of %d requests failed, first: %s", res.Errors, res.Requests, res.FirstError)
	}
	return Slice{Answered: res.Requests, Counted: int64(len(lat)), Window: cfg.TailSlice, Lat: lat}, nil
}

// cpuSlice sends op to every target at once, open-loop at rate each: the
// requests due in cfg.CPUSlice, as many for every target, on a schedule
// that catches up after a stall of this process rather than dropping
// requests. The servers' and backends' CPU is read for all targets
// just before the load starts and again after the last answer, and is
// divided by every request answered in between (cfg.Discard does not
// apply: no answer falls outside the window). This process's CPU serves
// all targets at once and is not split (ClientNs is -1). Any failed
// request fails the slice.
func cpuSlice(ctx context.Context, probes []*probe, op string, cfg RunConfig, rate int) ([]Slice, error) {
	if _, _, err := readCPU(ctx, probes); err != nil {
		return nil, err
	}
	n := uint64(max(1, math.Round(float64(rate)*cfg.CPUSlice.Seconds())))
	out := make([]Slice, len(probes))
	errs := make([]error, len(probes))
	var wg sync.WaitGroup
	for i, p := range probes {
		wg.Go(func() {
			res, err := load.Open(ctx, load.Config{URL: p.t.URL, Op: op, Rate: rate, MaxRequests: n, Rows: cfg.Rows, Client: p.client})
			switch {
			case err != nil:
				errs[i] = fmt.Errorf("%s: %w", p.t.Name, err)
			case res.Errors > 0:
				errs[i] = fmt.Errorf("%s: %d of %d requests failed, first: %s", p.t.Name, res.Errors, res.Requests, res.FirstError)
			default:
				out[i] = Slice{Answered: res.Requests, Counted: res.Requests, Window: cfg.CPUSlice, ClientNs: -1}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	app, pg, err := readCPU(ctx, probes)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].AppNs, out[i].PGNs = app[i], pg[i]
	}
	return out, nil
}
