// Package compare measures servers side by side in time.
//
// With N targets (Run) — arms it starts on clones of one seeded database,
// builds, or servers already running — the targets take turns in short
// slices, in an order shuffled afresh every round (Order): closed-loop
// capacity slices with the CPU each request cost in the server's process
// tree, its PostgreSQL backends and the load generator, then open-loop
// slices at one rate for all for tail latency; ratios to the reference
// (the first target) are taken within a round, and a control (the
// reference twice) shows the harness's own bias.
//
// With two builds (Measure), a base and a head server, each serving the
// same arm on its own database of one PostgreSQL server, get the same
// requests in alternation, each round in an order drawn from a seeded
// generator (internal/paired), and the head/base ratio of
// their request times is recorded per block in the Go benchmark format,
// where crudbench gate reads it.
package compare

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/crudbench/crudbench/internal/paired"
)

// Ops are the operations a build comparison can send.
var Ops = []string{"read", "update", "create", "list"}

// Side names, as the targets of paired.Run.
const (
	Base = "base"
	Head = "head"
)

// Config is one paired comparison of two running servers.
type Config struct {
	BaseURL, HeadURL string
	Ops              []string
	// Rounds is the number of rounds (one request to each side) per block.
	Rounds int
	// Blocks is the number of head/base ratio samples per op. The blocks of
	// all ops take turns, so that slow drifts of the machine touch every op.
	Blocks int
	// Warmup rounds per op run first and are not recorded.
	Warmup int
	// Rows is how many users each server has seeded; reads and updates
	// pick ids from 1..Rows.
	Rows int
	// Order is the design and seed of each round's order; a zero Design
	// means paired.Shuffle.
	Order paired.Config
	// Timeout bounds each request; 0 means 30 s.
	Timeout time.Duration
	Log     *slog.Logger // nil means slog.Default()
}

// OpResult holds the blocks of one op.
type OpResult struct {
	Op     string
	Ratios []float64 // head/base time per block, by BlockRatio
	// SumRatios are the blocks' ratios of total times, which a single slow
	// request can swing.
	SumRatios []float64
	BaseNs    []float64 // base mean request time per block, in ns
	HeadNs    []float64 // head mean request time per block, in ns
}

// Summary summarizes the ratios: geometric mean, 95 % interval, CV.
func (r OpResult) Summary() paired.Summary { return paired.Summarize(r.Ratios, 0.95) }

func (c *Config) check() error {
	for _, u := range []string{c.BaseURL, c.HeadURL} {
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			return fmt.Errorf("url %q: want http:// or https://", u)
		}
	}
	if len(c.Ops) == 0 {
		return errors.New("no ops to compare")
	}
	for _, op := range c.Ops {
		if !slices.Contains(Ops, op) {
			return fmt.Errorf("op %q: want one of %v", op, Ops)
		}
	}
	if c.Rounds < 1 || c.Blocks < 2 || c.Warmup < 0 {
		return fmt.Errorf("rounds %d, blocks %d, warmup %d: want rounds >= 1, blocks >= 2, warmup >= 0", c.Rounds, c.Blocks, c.Warmup)
	}
	if c.Rows < 1 {
		return fmt.Errorf("rows %d: want at least 1", c.Rows)
	}
	return nil
}

// Measure runs the comparison: for each op, Warmup rounds, then Blocks
// blocks of Rounds rounds, the ops taking turns block by block. Every round
// sends the same request to base and head, in an order cfg.Order draws,
// one stream per op.
func Measure(ctx context.Context, cfg Config) ([]OpResult, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	// One client per side, one connection each: the two sides are treated alike.
	newClient := func() *http.Client {
		return &http.Client{Timeout: timeout, Transport: &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}}
	}
	clients := map[string]*http.Client{Base: newClient(), Head: newClient()}
	urls := map[string]string{Base: strings.TrimRight(cfg.BaseURL, "/"), Head: strings.TrimRight(cfg.HeadURL, "/")}
	defer func() {
		for _, c := range clients {
			c.CloseIdleConnections()
		}
	}()
	run := time.Now().UnixNano()
	next := make(map[string]int) // next round number per op, across warmup and blocks
	orderConf := cfg.Order
	if orderConf.Design == "" {
		orderConf.Design = paired.Shuffle
	}
	orders := make(map[string]*paired.Order)
	for _, op := range cfg.Ops {
		o, err := orderConf.NewOrder(2, op)
		if err != nil {
			return nil, err
		}
		orders[op] = o
	}
	pass := func(op string, rounds int) (*paired.Result, error) {
		first := next[op]
		next[op] += rounds
		targets := make([]paired.Target, 0, 2)
		for _, side := range []string{Base, Head} {
			targets = append(targets, paired.Target{Name: side, Do: func(round int) error {
				if err := ctx.Err(); err != nil {
					return err
				}
				return do(ctx, clients[side], urls[side], request(op, run, first+round, cfg.Rows))
			}})
		}
		return paired.Run(targets, rounds, orders[op])
	}
	out := make([]OpResult, len(cfg.Ops))
	for i, op := range cfg.Ops {
		out[i].Op = op
		if cfg.Warmup > 0 {
			if _, err := pass(op, cfg.Warmup); err != nil {
				return nil, fmt.Errorf("warming up %s: %w", op, err)
			}
		}
	}
	for b := range cfg.Blocks {
		for k := range cfg.Ops {
			// Rotate which op goes first from block to block.
			i := (b + k) % len(cfg.Ops)
			r, err := pass(cfg.Ops[i], cfg.Rounds)
			if err != nil {
				return nil, fmt.Errorf("%s, block %d: %w", cfg.Ops[i], b+1, err)
			}
			out[i].Ratios = append(out[i].Ratios, BlockRatio(r.Of(Head), r.Of(Base)))
			out[i].SumRatios = append(out[i].SumRatios, r.Ratio(Head, Base))
			out[i].BaseNs = append(out[i].BaseNs, r.Mean(Base))
			out[i].HeadNs = append(out[i].HeadNs, r.Mean(Head))
		}
		log.Debug("compare block done", "block", b+1, "of", cfg.Blocks)
	}
	return out, nil
}

// req is one HTTP request and the status it must get.
type req struct {
	method, path, body string
	want               int
}

// request returns the request of round n of op, the same for both sides:
// the ids walk through 1..rows with a stride, so that neither side gets a
// cached row the other does not; creates get an email unique to the run.
func request(op string, run int64, n, rows int) req {
	id := 1 + (n*7919)%rows
	switch op {
	case "read":
		return req{http.MethodGet, fmt.Sprintf("/users/%d", id), "", http.StatusOK}
	case "list":
		return req{http.MethodGet, fmt.Sprintf("/users?after=%d&limit=50", id-1), "", http.StatusOK}
	case "update":
		return req{http.MethodPatch, fmt.Sprintf("/users/%d", id), fmt.Sprintf(`{"age":%d}`, n%151), http.StatusOK}
	case "create":
		return req{http.MethodPost, "/users", fmt.Sprintf(`{"name":"pair %d","email":"pair-%d-%d@example.com","age":%d}`, n, run, n, n%100), http.StatusCreated}
	}
	panic("compare: unknown op " + op) // Config.check rejects it first
}

// do sends r to base and reads the whole answer.
func do(ctx context.Context, c *http.Client, base string, r req) error {
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	hr, err := http.NewRequestWithContext(ctx, r.method, base+r.path, body)
	if err != nil {
		return fmt.Errorf("building %s %s: %w", r.method, r.path, err)
	}
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(hr)
	if err != nil {
		return fmt.Errorf("%s %s: %w", r.method, r.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: reading answer: %w", r.method, r.path, err)
	}
	if resp.StatusCode != r.want {
		return fmt.Errorf("%s %s: status %d, want %d: %.200s", r.method, r.path, resp.StatusCode, r.want, b)
	}
	return nil
}

// Trim is the fraction of per-round ratios BlockRatio drops at each end.
const Trim = 0.2

// BlockRatio returns the head/base ratio of one block: the geometric mean
// of the per-round ratios head[i]/base[i] after dropping the Trim fraction
// at either end. A request that waited for the scheduler or a checkpoint
// would swing a ratio of sums; it falls among the trimmed rounds instead.
func BlockRatio(head, base []time.Duration) float64 {
	logs := make([]float64, len(head))
	for i := range head {
		logs[i] = math.Log(float64(max(head[i], 1)) / float64(max(base[i], 1)))
	}
	slices.Sort(logs)
	k := int(Trim * float64(len(logs)))
	kept := logs[k : len(logs)-k]
	var s float64
	for _, v := range kept {
		s += v
	}
	return math.Exp(s / float64(len(kept)))
}
