// Package soak runs each arm's "crudbench serve" under open-loop load for a
// long time, with a PostgreSQL restart in the middle, and checks what a
// service must hold through it: no error outside the restart, 503 during
// it, recovery without restarting the server, every acknowledged write
// present afterwards, and memory, goroutines and connections flat after
// warm-up.
//
// The soak owns the PostgreSQL server (durable: fsync and synchronous
// commit on, so that an acknowledged write survives the restart) and hands
// it to each serve child by DSN. The restart is abrupt, as a crash:
// pgserver's Halt (an immediate shutdown of the local cluster, a stop of
// the docker container) and Resume on the same address. A server given by
// DSN cannot be restarted: the soak says so and runs without a restart.
//
// The load is open loop: request i is sent at its time whatever the
// answers before it, at a fraction (75 %) of the capacity a short closed
// loop finds first, in a fixed mix: reads, lists, and for each user the
// soak creates, an update and then a delete (each at most once, so the
// stored state of every acknowledged write is known), so that the table
// keeps its size however long the soak runs.
package soak

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/crudbench/crudbench/cmd/crudbench/internal/study"
	"github.com/crudbench/crudbench/internal/pgserver"
	"github.com/jackc/pgx/v5"
)

// Config is one soak run.
type Config struct {
	Arms         []string
	Rows         int           // users seeded in each arm's database
	Duration     time.Duration // of the open-loop load, per arm
	Warmup       time.Duration // samples before this are left out of the slopes
	CapacityTime time.Duration // of the closed loop that finds the capacity
	Workers      int           // clients of that closed loop
	Fraction     float64       // of the capacity, the open-loop rate
	Down         time.Duration // how long PostgreSQL stays down
	Grace        time.Duration // after the restart, errors still count as the restart's
	Sample       time.Duration // between runtime samples
	MaxSlope     float64       // percent per 10 minutes a sampled figure may drift
	// SlopeWindow is the shortest span of samples after warm-up on which
	// slopes are checked; shorter runs report them unchecked.
	SlopeWindow time.Duration
	// Settle is how long after the restart window the samples are still
	// left out of the slopes: the connections the restart's burst of
	// requests opened close only at the server's idle timeout.
	Settle time.Duration
	// Samples, when set, receives every runtime sample as CSV.
	Samples  io.Writer
	Restart  bool // restart PostgreSQL in the middle
	Exe      study.Exe
	Out      io.Writer // results, in the Go benchmark format
	ChildLog io.Writer // the serve children's logs
	Log      *slog.Logger
}

// Units are the Unit lines of soak results: the direction of each metric.
var Units = []string{
	"Unit req/s better=higher",
	"Unit target-req/s better=higher",
	"Unit p99-ns/op better=lower",
	"Unit errors-outside better=lower assume=exact",
	"Unit errors-restart better=lower assume=exact",
	"Unit unavailable-restart better=higher assume=exact",
	"Unit acked-writes better=higher assume=exact",
	"Unit lost-writes better=lower assume=exact",
	"Unit recovery-ns better=lower",
	"Unit rss-slope-pct/10min better=lower",
	"Unit heap-slope-pct/10min better=lower",
	"Unit goroutines-slope-pct/10min better=lower",
	"Unit conns-slope-pct/10min better=lower",
	"Unit rss-slope-ci-pct/10min better=lower",
	"Unit heap-slope-ci-pct/10min better=lower",
	"Unit goroutines-slope-ci-pct/10min better=lower",
	"Unit conns-slope-ci-pct/10min better=lower",
}

// Result is what one arm's soak measured and found.
type Result struct {
	Arm        string
	Requests   int64
	TargetRate float64
	Throughput float64 // successful answers per second
	P99        time.Duration
	// ErrorsOutside are failed requests outside the restart window; each
	// one fails the soak. ErrorsRestart are those inside it, of which
	// Unavailable were the expected 503.
	ErrorsOutside, ErrorsRestart, Unavailable int64
	FirstOutside                              string
	// RestartStatuses counts the restart window's failures by status (0:
	// no answer, such as a client timeout or a request not sent because
	// the server fell behind).
	RestartStatuses         map[int]int64
	AckedWrites, LostWrites int
	FirstLost               string
	Restarted               bool
	// Recovery is from PostgreSQL's return to the send of the first
	// request that then succeeded; -1 when none did (or no restart).
	Recovery time.Duration
	// Slopes and SlopeCIs are the drift and the half-width of its 95 %
	// interval, in percent per 10 minutes of the mean, by figure, over the
	// samples after warm-up outside the restart window.
	Slopes        map[string]float64
	SlopeCIs      map[string]float64
	SlopesChecked bool
	Failures      []string
}

// slopeNames are the sampled figures, in output order.
var slopeNames = []string{"rss", "heap", "goroutines", "conns"}

// Run soaks every arm of cfg in turn and writes one result line each. It
// returns the results and an error when the soak could not run; a soak
// that ran and failed a check has Failures.
func Run(ctx context.Context, cfg Config) ([]Result, error) {
	if len(cfg.Arms) == 0 {
		return nil, errors.New("soak: no arms")
	}
	opts := pgserver.OptionsFromEnv()
	opts.Durable = true
	opts.Logger = cfg.Log
	srv, err := pgserver.Start(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("soak: starting PostgreSQL: %w", err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := srv.Stop(sctx); err != nil {
			cfg.Log.Error("stopping PostgreSQL", "err", err)
		}
	}()
	fmt.Fprintf(cfg.Out, "provider: %s\nduration: %s\nfraction: %g\nrestart: %v\n", srv.Provider(), cfg.Duration, cfg.Fraction, cfg.Restart)
	fmt.Fprintln(cfg.Out, strings.Join(Units, "\n"))
	if cfg.Samples != nil {
		fmt.Fprintln(cfg.Samples, "arm,seconds,rss_bytes,heap_live_bytes,goroutines,conns,in_slopes")
	}
	var out []Result
	for _, arm := range cfg.Arms {
		r, err := soakArm(ctx, cfg, srv, arm)
		if err != nil {
			return out, fmt.Errorf("soak %s: %w", arm, err)
		}
		writeResult(cfg.Out, &r)
		for _, f := range r.Failures {
			cfg.Log.Error("soak check failed", "arm", arm, "check", f)
		}
		out = append(out, r)
	}
	return out, nil
}

// writeResult writes r as one benchmark line.
func writeResult(w io.Writer, r *Result) {
	fmt.Fprintf(w, "BenchmarkSoak/arm=%s\t%d\t%.1f req/s\t%.1f target-req/s\t%d p99-ns/op\t%d errors-outside\t%d errors-restart\t%d unavailable-restart\t%d acked-writes\t%d lost-writes\t%d recovery-ns",
		r.Arm, r.Requests, r.Throughput, r.TargetRate, r.P99, r.ErrorsOutside, r.ErrorsRestart, r.Unavailable, r.AckedWrites, r.LostWrites, r.Recovery)
	for _, n := range slopeNames {
		if v, ok := r.Slopes[n]; ok {
			fmt.Fprintf(w, "\t%.3f %s-slope-pct/10min\t%.3f %[2]s-slope-ci-pct/10min", v, n, r.SlopeCIs[n])
		}
	}
	fmt.Fprintln(w)
}

// soakArm runs one arm's soak on srv.
func soakArm(ctx context.Context, cfg Config, srv *pgserver.Server, arm string) (Result, error) {
	r := Result{Arm: arm, Recovery: -1}
	env := []string{pgserver.EnvProvider + "=" + srv.DSN("postgres")}
	child, err := study.StartServeEnv(ctx, cfg.Exe, arm, cfg.Rows, env, cfg.ChildLog)
	if err != nil {
		return r, err
	}
	defer func() {
		if err := child.Stop(); err != nil {
			r.Failures = append(r.Failures, fmt.Sprintf("serve did not stop cleanly: %v", err))
		}
	}()
	db, err := armDatabase(ctx, srv)
	if err != nil {
		return r, err
	}
	d := newDriver(child.URL, cfg.Rows)
	defer d.client.CloseIdleConnections()

	capacity := d.closed(ctx, cfg.Workers, cfg.CapacityTime)
	if capacity <= 0 {
		return r, fmt.Errorf("the closed loop served nothing in %s", cfg.CapacityTime)
	}
	r.TargetRate = math.Max(1, capacity*cfg.Fraction)
	cfg.Log.Info("soaking", "arm", arm, "capacity", fmt.Sprintf("%.0f req/s", capacity), "rate", fmt.Sprintf("%.0f req/s", r.TargetRate), "duration", cfg.Duration)
	d.reset()

	start := time.Now()
	var (
		win      window
		samples  []sample
		sampling sync.WaitGroup
	)
	lctx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	sampling.Go(func() { samples = sampleRuntime(lctx, child, srv, start, cfg.Sample) })
	if cfg.Restart {
		sampling.Go(func() {
			select {
			case <-lctx.Done():
				return
			case <-time.After(cfg.Duration / 2):
			}
			win = restart(lctx, srv, cfg.Down, cfg.Grace, cfg.Log, &d.halted, &d.resumed)
		})
	}
	d.open(lctx, start, r.TargetRate, cfg.Duration, cfg.Grace+afterGrace)
	stopLoad()
	sampling.Wait()
	if ctx.Err() != nil {
		return r, ctx.Err()
	}
	if cfg.Restart && win.err != nil {
		if errors.Is(win.err, pgserver.ErrNotSupported) {
			cfg.Log.Warn("PostgreSQL cannot be restarted on this provider (a server given by DSN): soaked without a restart", "arm", arm)
		} else {
			r.Failures = append(r.Failures, fmt.Sprintf("restarting PostgreSQL: %v", win.err))
		}
	}
	r.Restarted = cfg.Restart && win.err == nil && !win.resumed.IsZero()
	d.tally(&r, &win)
	left := leftOut(start, cfg.Warmup, &win, cfg.Settle)
	r.Slopes, r.SlopeCIs, r.SlopesChecked = slopes(samples, left, cfg.SlopeWindow)
	if cfg.Samples != nil {
		for _, s := range samples {
			fmt.Fprintf(cfg.Samples, "%s,%.1f,%.0f,%.0f,%.0f,%.0f,%v\n", arm, s.at.Seconds(), s.rss, s.heap, s.goroutines, s.conns, !left(s.at))
		}
	}

	lost, first, err := d.verify(ctx, srv.DSN(db))
	if err != nil {
		return r, fmt.Errorf("checking the acknowledged writes: %w", err)
	}
	r.AckedWrites, r.LostWrites, r.FirstLost = d.acked(), lost, first
	r.Failures = append(r.Failures, checks(&r, cfg)...)
	return r, nil
}

// checks returns what r fails of the soak's promises.
func checks(r *Result, cfg Config) []string {
	var f []string
	if r.ErrorsOutside > 0 {
		f = append(f, fmt.Sprintf("%d errors outside the restart window, first: %s", r.ErrorsOutside, r.FirstOutside))
	}
	if r.AckedWrites == 0 {
		f = append(f, "no write was acknowledged: nothing to check")
	}
	if r.LostWrites > 0 {
		f = append(f, fmt.Sprintf("%d acknowledged writes missing afterwards, first: %s", r.LostWrites, r.FirstLost))
	}
	if r.Restarted && r.Recovery < 0 {
		f = append(f, "no request succeeded after the restart")
	}
	if r.SlopesChecked {
		for _, n := range slopeNames {
			if v, ok := r.Slopes[n]; ok && math.Abs(v)-r.SlopeCIs[n] > cfg.MaxSlope {
				f = append(f, fmt.Sprintf("%s drifts %.2f ± %.2f %% per 10 minutes after warm-up (at most %.2f allowed)", n, v, r.SlopeCIs[n], cfg.MaxSlope))
			}
		}
	}
	return f
}

// armDatabase finds the database the serve child created on srv (one
// child runs at a time).
func armDatabase(ctx context.Context, srv *pgserver.Server) (string, error) {
	conn, err := pgx.Connect(ctx, srv.DSN("postgres"))
	if err != nil {
		return "", fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var names []string
	rows, err := conn.Query(ctx, `SELECT datname FROM pg_database WHERE datname LIKE 'crudbench_serve_%'`)
	if err != nil {
		return "", fmt.Errorf("finding the arm's database: %w", err)
	}
	names, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return "", fmt.Errorf("finding the arm's database: %w", err)
	}
	if len(names) != 1 {
		return "", fmt.Errorf("finding the arm's database: %d serve databases on the server, want 1: %v", len(names), names)
	}
	return names[0], nil
}

// window is the restart: PostgreSQL halted at halted and resumed at
// resumed; failures answered until resumed+grace are the restart's.
type window struct {
	halted, resumed time.Time
	grace           time.Duration
	err             error
}

// contains reports whether t falls in the window of a restart that
// happened.
func (w *window) contains(t time.Time) bool {
	if w.err != nil || w.halted.IsZero() || t.Before(w.halted) {
		return false
	}
	return w.resumed.IsZero() || t.Before(w.resumed.Add(w.grace))
}

// restart halts PostgreSQL, keeps it down for down and resumes it.
func restart(ctx context.Context, srv *pgserver.Server, down, grace time.Duration, log *slog.Logger, halted, resumed *atomic.Int64) window {
	w := window{grace: grace}
	w.halted = time.Now()
	halted.Store(w.halted.UnixNano())
	log.Info("restarting PostgreSQL", "down", down)
	if err := srv.Halt(ctx); err != nil {
		halted.Store(0)
		w.err, w.halted = err, time.Time{}
		return w
	}
	select {
	case <-ctx.Done():
	case <-time.After(down):
	}
	if err := srv.Resume(context.WithoutCancel(ctx)); err != nil {
		w.err = err
		return w
	}
	w.resumed = time.Now()
	resumed.Store(w.resumed.UnixNano())
	log.Info("PostgreSQL is back")
	return w
}

// sample is one reading of the child's runtime and connections.
type sample struct {
	at                           time.Duration // since the load started
	rss, heap, goroutines, conns float64       // conns: NaN when not read
}

// sampleRuntime reads the child's /debug/runtime and the connections to
// its database every interval until ctx ends.
func sampleRuntime(ctx context.Context, child *study.Child, srv *pgserver.Server, start time.Time, interval time.Duration) []sample {
	var out []sample
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return out
		case <-t.C:
		}
		rctx, cancel := context.WithTimeout(ctx, interval)
		rt, err := child.Runtime(rctx)
		conns := countConns(rctx, srv)
		cancel()
		if err != nil {
			continue
		}
		out = append(out, sample{at: time.Since(start), rss: float64(rt.RSSBytes), heap: float64(rt.HeapLiveBytes),
			goroutines: float64(rt.Goroutines), conns: conns})
	}
}

// countConns counts the client connections to serve databases, NaN when
// PostgreSQL does not answer.
func countConns(ctx context.Context, srv *pgserver.Server) float64 {
	conn, err := pgx.Connect(ctx, srv.DSN("postgres"))
	if err != nil {
		return math.NaN()
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
		WHERE datname LIKE 'crudbench_serve_%' AND backend_type = 'client backend'`).Scan(&n); err != nil {
		return math.NaN()
	}
	return float64(n)
}

// leftOut returns whether a sample taken at (since start) is left out of
// the slopes: during warmup, the restart window, and settle after it.
func leftOut(start time.Time, warmup time.Duration, w *window, settle time.Duration) func(time.Duration) bool {
	return func(at time.Duration) bool {
		t := start.Add(at)
		if at < warmup || w.contains(t) {
			return true
		}
		return w.err == nil && !w.resumed.IsZero() && !t.Before(w.resumed) && t.Before(w.resumed.Add(w.grace+settle))
	}
}

// slopes fits, to each figure over the samples not left out, lines of one
// slope with an intercept of their own before and after the restart (a
// step the restart leaves is not a drift), and returns that slope and the
// half-width of its 95 % interval in percent of the mean per 10 minutes;
// checked says whether the samples kept span window in all.
func slopes(samples []sample, left func(time.Duration) bool, window time.Duration) (slope, ci map[string]float64, checked bool) {
	var segs [][]sample
	prevLeft := true
	for _, s := range samples {
		switch {
		case left(s.at):
			prevLeft = true
		case prevLeft:
			segs, prevLeft = append(segs, []sample{s}), false
		default:
			segs[len(segs)-1] = append(segs[len(segs)-1], s)
		}
	}
	slope, ci = map[string]float64{}, map[string]float64{}
	var span time.Duration
	n := 0
	for _, seg := range segs {
		span += seg[len(seg)-1].at - seg[0].at
		n += len(seg)
	}
	if n < 3 {
		return slope, ci, false
	}
	get := map[string]func(sample) float64{
		"rss":        func(s sample) float64 { return s.rss },
		"heap":       func(s sample) float64 { return s.heap },
		"goroutines": func(s sample) float64 { return s.goroutines },
		"conns":      func(s sample) float64 { return s.conns },
	}
	for _, name := range slopeNames {
		var xs, ys [][]float64
		for _, seg := range segs {
			var x, y []float64
			for _, s := range seg {
				if v := get[name](s); !math.IsNaN(v) {
					x, y = append(x, s.at.Seconds()), append(y, v)
				}
			}
			xs, ys = append(xs, x), append(ys, y)
		}
		if v, half, ok := slopePct(xs, ys); ok {
			slope[name], ci[name] = v, half
		}
	}
	return slope, ci, span >= window
}

// slopePct is the least-squares slope common to the segments xs, ys (x in
// seconds), each with an intercept of its own, in percent of the mean of
// all ys per 10 minutes, and the half-width of its 95 % interval: the
// residuals' standard error, widened for their lag-1 autocorrelation (the
// samples are seconds apart, and their noise is not independent); false
// when the slope is undefined.
func slopePct(xs, ys [][]float64) (slope, half float64, ok bool) {
	type seg struct{ mx, my float64 }
	segs := make([]seg, len(xs))
	var sxy, sxx, sum float64
	n, k := 0, 0
	for j := range xs {
		if len(xs[j]) == 0 {
			continue
		}
		var g seg
		for i := range xs[j] {
			g.mx, g.my = g.mx+xs[j][i], g.my+ys[j][i]
		}
		g.mx, g.my = g.mx/float64(len(xs[j])), g.my/float64(len(xs[j]))
		segs[j] = g
		for i := range xs[j] {
			sxy += (xs[j][i] - g.mx) * (ys[j][i] - g.my)
			sxx += (xs[j][i] - g.mx) * (xs[j][i] - g.mx)
			sum += ys[j][i]
		}
		n, k = n+len(xs[j]), k+1
	}
	if n < 3 || sxx == 0 || sum == 0 {
		return 0, 0, false
	}
	b := sxy / sxx
	var ssr, lag float64
	for j := range xs {
		for i := range xs[j] {
			e := ys[j][i] - segs[j].my - b*(xs[j][i]-segs[j].mx)
			ssr += e * e
			if i > 0 {
				lag += e * (ys[j][i-1] - segs[j].my - b*(xs[j][i-1]-segs[j].mx))
			}
		}
	}
	se := 0.0
	if dof := n - k - 1; dof > 0 {
		se = math.Sqrt(ssr / float64(dof) / sxx)
		if rho := lag / ssr; ssr > 0 && rho > 0 && rho < 1 {
			se *= math.Sqrt((1 + rho) / (1 - rho))
		}
	}
	scale := 600 / (sum / float64(n)) * 100
	return b * scale, 1.96 * se * scale, true
}

// driver sends the soak's requests and remembers what was acknowledged.
type driver struct {
	base   string
	rows   int
	client *http.Client
	seq    atomic.Int64
	run    string

	// halted and resumed are when PostgreSQL went down and came back
	// (Unix ns; 0 before), and firstOK when the first request sent after
	// it succeeded.
	halted, resumed, firstOK atomic.Int64

	mu      sync.Mutex
	created []created        // acknowledged creates
	updates map[int64]string // id → name of its acknowledged update
	pending []int64          // created users not yet updated
	updated []int64          // users updated (or whose update failed), not yet deleted
	deleted map[int64]bool   // acknowledged deletes
	// uncertain are users whose delete failed: stored or not, unknown.
	uncertain map[int64]bool
	requests  int64
	ok        int64
	lat       *hdrhistogram.Histogram // from each request's due time
	outcomes  []outcome
	start     time.Time
	end       time.Time
}

// created is an acknowledged create.
type created struct {
	id    int64
	email string
}

// outcome is one failed request of the open loop.
type outcome struct {
	at     time.Time // when it was answered
	status int
	err    string
}

func newDriver(base string, rows int) *driver {
	return &driver{
		base: strings.TrimRight(base, "/"), rows: rows, updates: map[int64]string{},
		deleted: map[int64]bool{}, uncertain: map[int64]bool{},
		run: fmt.Sprint(time.Now().UnixNano()), lat: newHistogram(),
		client: &http.Client{Timeout: 15 * time.Second,
			Transport: &http.Transport{MaxConnsPerHost: maxConns, MaxIdleConnsPerHost: maxConns, DisableCompression: true}},
	}
}

// reset forgets the closed loop's counts, keeping its acknowledged writes.
func (d *driver) reset() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.requests, d.ok, d.lat, d.outcomes = 0, 0, newHistogram(), nil
}

// newHistogram holds latencies from 1 µs to 1 minute at 3 digits.
func newHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(int64(time.Microsecond), int64(time.Minute), 3)
}

// closed runs workers clients back to back for dur and returns the
// successful answers per second.
func (d *driver) closed(ctx context.Context, workers int, dur time.Duration) float64 {
	start := time.Now()
	var wg sync.WaitGroup
	var ok atomic.Int64
	for range max(workers, 1) {
		wg.Go(func() {
			for ctx.Err() == nil && time.Since(start) < dur {
				if d.one(ctx, time.Now()) {
					ok.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return float64(ok.Load()) / time.Since(start).Seconds()
}

// maxConns bounds the connections to the server, as a proxy in front of a
// service would: without a bound, every burst of requests in flight (the
// restart, a stall) opens connections that then stay idle, and the
// server's goroutines and heap ratchet up with them, which the slopes
// would count as the server's drift. Requests beyond it wait for a
// connection, and their latency from the due time includes that wait.
const maxConns = 64

// maxInFlight and maxBacklog bound the open loop's concurrent requests:
// past the larger of maxInFlight and maxBacklog's worth of requests at the
// rate, a due request is counted as failed (the server fell behind), not
// sent. Below it, a stall shows as latency, as it would to clients.
const (
	maxInFlight = 4096
	maxBacklog  = 2 * time.Second
)

// afterGrace is how long past the restart's grace the load goes on at
// least, so that the recovery is seen even when PostgreSQL took long to
// come back.
const afterGrace = 3 * time.Second

// open sends requests at rate per second for dur from start, whatever the
// answers, and waits for the last answer. A restart under way keeps it
// going until settle after PostgreSQL is back.
func (d *driver) open(ctx context.Context, start time.Time, rate float64, dur, settle time.Duration) {
	d.mu.Lock()
	d.start = start
	d.mu.Unlock()
	interval := time.Duration(float64(time.Second) / rate)
	limit := max(maxInFlight, int64(rate*maxBacklog.Seconds()))
	var (
		wg       sync.WaitGroup
		inFlight atomic.Int64
	)
	for i := int64(0); ; i++ {
		due := start.Add(time.Duration(i) * interval)
		if due.Sub(start) >= dur && !d.restarting(due, settle) {
			break
		}
		if wait := time.Until(due); wait > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(wait):
			}
		}
		if ctx.Err() != nil {
			break
		}
		if inFlight.Load() >= limit {
			d.record(due, due, false, 0, "the server fell behind: too many requests in flight")
			continue
		}
		inFlight.Add(1)
		wg.Go(func() {
			defer inFlight.Add(-1)
			d.one(ctx, due)
		})
	}
	wg.Wait()
	d.mu.Lock()
	d.end = time.Now()
	d.mu.Unlock()
}

// restarting reports whether at t a restart is under way or ended less
// than settle ago.
func (d *driver) restarting(t time.Time, settle time.Duration) bool {
	if d.halted.Load() == 0 {
		return false
	}
	back := d.resumed.Load()
	return back == 0 || t.UnixNano() < back+int64(settle)
}

// one sends the next request of the mix, due at due, and records it.
// pop takes the oldest id from q, a queue of d's, or 0 when it is empty.
func (d *driver) pop(q *[]int64) int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(*q) == 0 {
		return 0
	}
	id := (*q)[0]
	*q = (*q)[1:]
	return id
}

// Mix of ten: six reads, one list, one create, one update of a created
// user, one delete of an updated one (reads when none is left to update or
// delete).
func (d *driver) one(ctx context.Context, due time.Time) bool {
	n := d.seq.Add(1)
	var (
		method, path, body string
		want               = http.StatusOK
		update, del        int64
		email              string
	)
	read := func() {
		method, path = http.MethodGet, fmt.Sprintf("/users/%d", 1+n%int64(max(d.rows, 1)))
	}
	switch n % 10 {
	case 5:
		method, path = http.MethodGet, fmt.Sprintf("/users?after=%d&limit=20", n%int64(max(d.rows, 1)))
	case 6:
		email = fmt.Sprintf("soak-%s-%d@example.com", d.run, n)
		method, path, body, want = http.MethodPost, "/users", fmt.Sprintf(`{"name":"soak %d","email":"%s"}`, n, email), http.StatusCreated
	case 7:
		if update = d.pop(&d.pending); update == 0 {
			read()
		} else {
			method, path, body = http.MethodPatch, fmt.Sprintf("/users/%d", update), fmt.Sprintf(`{"name":"soak update %d"}`, n)
		}
	case 8:
		if del = d.pop(&d.updated); del == 0 {
			read()
		} else {
			method, path, want = http.MethodDelete, fmt.Sprintf("/users/%d", del), http.StatusNoContent
		}
	default:
		read()
	}
	sent := time.Now()
	status, id, err := d.send(ctx, method, path, body)
	if ctx.Err() != nil && err != nil {
		return false // interrupted: not an answer
	}
	success := err == nil && status == want
	msg := ""
	if err != nil {
		msg = err.Error()
	} else if !success {
		msg = fmt.Sprintf("%s %s: status %d", method, path, status)
	}
	d.mu.Lock()
	switch {
	case success && email != "":
		d.created = append(d.created, created{id, email})
		d.pending = append(d.pending, id)
	case update != 0:
		if success {
			d.updates[update] = fmt.Sprintf("soak update %d", n)
		}
		d.updated = append(d.updated, update)
	case del != 0 && success:
		d.deleted[del] = true
	case del != 0:
		d.uncertain[del] = true
	}
	d.mu.Unlock()
	if r := d.resumed.Load(); success && r != 0 && sent.UnixNano() >= r {
		d.firstOK.CompareAndSwap(0, sent.UnixNano())
	}
	d.record(due, time.Now(), success, status, msg)
	return success
}

// record counts one request of the open loop, due at due and answered at
// answered.
func (d *driver) record(due, answered time.Time, success bool, status int, msg string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.requests++
	if success {
		d.ok++
		d.lat.RecordValue(int64(answered.Sub(due)))
		return
	}
	d.outcomes = append(d.outcomes, outcome{at: answered, status: status, err: msg})
}

// send sends one request and returns its status and, for a created user,
// its id.
func (d *driver) send(ctx context.Context, method, path, body string) (int, int64, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, d.base+path, rd)
	if err != nil {
		return 0, 0, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, 0, err
	}
	var id int64
	if method == http.MethodPost {
		fmt.Sscanf(string(data), `{"id":%d`, &id)
	}
	return resp.StatusCode, id, nil
}

// tally fills r's counts from the open loop and the restart window.
func (d *driver) tally(r *Result, w *window) {
	d.mu.Lock()
	defer d.mu.Unlock()
	r.Requests = d.requests
	if el := d.end.Sub(d.start).Seconds(); el > 0 {
		r.Throughput = float64(d.ok) / el
	}
	r.P99 = time.Duration(d.lat.ValueAtQuantile(99))
	for _, o := range d.outcomes {
		if w.contains(o.at) {
			r.ErrorsRestart++
			if r.RestartStatuses == nil {
				r.RestartStatuses = map[int]int64{}
			}
			r.RestartStatuses[o.status]++
			if o.status == http.StatusServiceUnavailable {
				r.Unavailable++
			}
			continue
		}
		r.ErrorsOutside++
		if r.FirstOutside == "" {
			r.FirstOutside = o.err
		}
	}
	if ok, back := d.firstOK.Load(), d.resumed.Load(); ok != 0 && back != 0 {
		r.Recovery = time.Duration(ok - back)
	}
}

// acked returns how many writes were acknowledged.
func (d *driver) acked() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.created) + len(d.updates) + len(d.deleted)
}

// verify checks that every acknowledged create and update is stored and
// every acknowledged delete is not (users whose delete failed are left
// out), and returns how many writes do not hold and the first of them.
func (d *driver) verify(ctx context.Context, dsn string) (int, string, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return 0, "", err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	d.mu.Lock()
	defer d.mu.Unlock()
	ids := make([]int64, len(d.created))
	for i, c := range d.created {
		ids[i] = c.id
	}
	rows, err := conn.Query(ctx, `SELECT id, email, name FROM users WHERE id = ANY($1)`, ids)
	if err != nil {
		return 0, "", err
	}
	type stored struct{ email, name string }
	got := map[int64]stored{}
	for rows.Next() {
		var (
			id          int64
			email, name string
		)
		if err := rows.Scan(&id, &email, &name); err != nil {
			return 0, "", err
		}
		got[id] = stored{email, name}
	}
	if err := rows.Err(); err != nil {
		return 0, "", err
	}
	lost, first := 0, ""
	miss := func(what string) {
		if lost++; first == "" {
			first = what
		}
	}
	for _, c := range d.created {
		s, ok := got[c.id]
		switch {
		case d.uncertain[c.id]:
		case d.deleted[c.id] && ok:
			miss(fmt.Sprintf("deleted user %d (%s): still stored", c.id, c.email))
		case !d.deleted[c.id] && (!ok || s.email != c.email):
			miss(fmt.Sprintf("created user %d (%s): stored %q", c.id, c.email, s.email))
		}
	}
	for id, name := range d.updates {
		if s := got[id]; !d.deleted[id] && !d.uncertain[id] && s.name != name {
			miss(fmt.Sprintf("update of user %d to %q: stored %q", id, name, s.name))
		}
	}
	return lost, first, nil
}
