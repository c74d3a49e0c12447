// Package load sends load to a crudbench server over HTTP and records the
// latency of every request: open-loop at a constant rate, or closed-loop
// with a fixed number of clients.
//
// The open loop uses vegeta (github.com/tsenart/vegeta/v12): it is
// maintained, its ConstantPacer schedules request i at a fixed time
// independent of earlier answers, and it starts more workers whenever all
// are busy, so a slow server does not slow the sender down (an open model).
// Latencies go into an HDR histogram (github.com/HdrHistogram/hdrhistogram-go)
// and are measured from each request's intended send time, not from when
// it was actually sent: a request that had to wait for a worker still
// counts the wait. This corrects coordinated omission.
package load

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Ops are the operations a load run can send.
var Ops = []string{"read", "update", "create", "list"}

// maxLatency is the highest latency the histograms track.
const maxLatency = time.Minute

// newHistogram returns a histogram of nanoseconds from 1 µs to maxLatency,
// three significant digits.
func newHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(int64(time.Microsecond), int64(maxLatency), 3)
}

// Result is what one load run measured.
type Result struct {
	Op       string
	Rate     int // target rate in requests per second; 0 for a closed loop
	Workers  int // clients of a closed loop; 0 for an open loop
	Requests int64
	Errors   int64         // transport failures and unexpected statuses
	Elapsed  time.Duration // from the start to the last answer
	// Latency holds every request's latency: from its intended send time
	// in an open loop, from its actual send time in a closed loop.
	Latency *hdrhistogram.Histogram
	// Service holds open-loop latencies from the actual send time, as an
	// uncorrected tool would report them; nil for a closed loop.
	Service *hdrhistogram.Histogram
	// FirstError is the first error seen, if any.
	FirstError string
}

// Quantile returns the latency at quantile q (0–1) of r.Latency.
func (r *Result) Quantile(q float64) time.Duration {
	return time.Duration(r.Latency.ValueAtQuantile(q * 100))
}

// Throughput returns successful answers per second.
func (r *Result) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests-r.Errors) / r.Elapsed.Seconds()
}

// Config is one open-loop run.
type Config struct {
	URL         string        // base URL of the server
	Op          string        // one of Ops
	Rate        int           // requests per second
	Duration    time.Duration // how long to send
	MaxRequests uint64        // stop after this many requests; 0: no limit
	Rows        int           // reads and updates pick ids from 1..Rows
	// MaxWorkers bounds the concurrent requests in flight; 0 means 10,000.
	// With a bound, a slow server delays sending, which the intended-time
	// measurement still charges to the requests.
	MaxWorkers uint64
	Timeout    time.Duration // per request; 0 means 30 s
	// Client, if set, sends the requests, so that its connections outlive
	// the run; Timeout is then the client's own.
	Client *http.Client
	// Record, if set, gets every answered request's sequence number (from
	// 0), its latency from the intended send time, and whether it failed.
	Record func(seq uint64, lat time.Duration, failed bool)
}

// Schedule is when an open-loop run intends to send each request. It follows
// vegeta's ConstantPacer: request seq (from 0) is due at
// Start + (seq+1) × Interval.
type Schedule struct {
	Start    time.Time
	Interval time.Duration
}

// NewSchedule returns the schedule of rate requests per second from start.
func NewSchedule(start time.Time, rate int) Schedule {
	return Schedule{Start: start, Interval: time.Duration(int64(time.Second) / int64(rate))}
}

// Intended returns the time request seq was due.
func (s Schedule) Intended(seq uint64) time.Time {
	return s.Start.Add(time.Duration(seq+1) * s.Interval)
}

// Latency returns the latency of a request charged from its intended send
// time: the time from when it was due until its answer came. It is never
// less than the measured round trip.
func (s Schedule) Latency(seq uint64, sent time.Time, took time.Duration) time.Duration {
	lat := sent.Add(took).Sub(s.Intended(seq))
	return max(lat, took)
}

// maxPacer is a ConstantPacer that stops after max hits.
type maxPacer struct {
	vegeta.ConstantPacer
	max uint64
}

func (p maxPacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if p.max > 0 && hits >= p.max {
		return 0, true
	}
	return p.ConstantPacer.Pace(elapsed, hits)
}

func (c *Config) check() error {
	if !strings.HasPrefix(c.URL, "http://") && !strings.HasPrefix(c.URL, "https://") {
		return fmt.Errorf("url %q: want http:// or https://", c.URL)
	}
	if !slices.Contains(Ops, c.Op) {
		return fmt.Errorf("op %q: want one of %v", c.Op, Ops)
	}
	if c.Rate < 1 || c.Rate > 1_000_000 {
		return fmt.Errorf("rate %d: want 1 to 1,000,000 requests per second", c.Rate)
	}
	if c.Duration <= 0 && c.MaxRequests == 0 {
		return fmt.Errorf("duration %s: want a positive duration or a request limit", c.Duration)
	}
	if c.Rows < 1 {
		return fmt.Errorf("rows %d: want at least 1", c.Rows)
	}
	return nil
}

func newClient(timeout time.Duration) *http.Client {
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	return &http.Client{
		Timeout:   timeout,
		Transport: &http.Transport{MaxIdleConnsPerHost: 10000, DisableCompression: true},
	}
}

// Open sends cfg.Op requests at cfg.Rate per second for cfg.Duration (or
// until cfg.MaxRequests, or ctx ends) and returns what they measured.
func Open(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	maxWorkers := cfg.MaxWorkers
	if maxWorkers == 0 {
		maxWorkers = 10000
	}
	client := cfg.Client
	if client == nil {
		client = newClient(cfg.Timeout)
		defer client.CloseIdleConnections()
	}
	tr, want := Targeter(cfg.URL, cfg.Op, cfg.Rows)
	atk := vegeta.NewAttacker(
		vegeta.Client(client),
		vegeta.Workers(min(maxWorkers, 16)),
		vegeta.MaxWorkers(maxWorkers),
		vegeta.MaxBody(0),
	)
	pacer := maxPacer{vegeta.ConstantPacer{Freq: cfg.Rate, Per: time.Second}, cfg.MaxRequests}
	stop := context.AfterFunc(ctx, func() { atk.Stop() })
	defer stop()

	// vegeta takes its own start time inside Attack, a few microseconds
	// later: intended times are at most that much early.
	sched := NewSchedule(time.Now(), cfg.Rate)
	r := &Result{Op: cfg.Op, Rate: cfg.Rate, Latency: newHistogram(), Service: newHistogram()}
	var last time.Time
	for res := range atk.Attack(tr, pacer, cfg.Duration, cfg.Op) {
		r.Requests++
		failed := res.Error != "" || res.Code != uint16(want)
		if failed {
			r.Errors++
			if r.FirstError == "" {
				r.FirstError = fmt.Sprintf("%s %s: %d %s", res.Method, res.URL, res.Code, res.Error)
			}
		}
		lat := sched.Latency(res.Seq, res.Timestamp, res.Latency)
		r.Latency.RecordValue(int64(lat))
		if cfg.Record != nil {
			cfg.Record(res.Seq, lat, failed)
		}
		r.Service.RecordValue(int64(res.Latency))
		if end := res.Timestamp.Add(res.Latency); end.After(last) {
			last = end
		}
	}
	r.Elapsed = last.Sub(sched.Start)
	if err := ctx.Err(); err != nil {
		return r, fmt.Errorf("load on %s interrupted: %w", cfg.Op, err)
	}
	return r, nil
}

// ClosedConfig is one closed-loop run: Workers clients each sending the
// next request as soon as the previous one is answered.
type ClosedConfig struct {
	URL      string
	Op       string
	Workers  int
	Duration time.Duration
	Requests int64 // stop after this many requests in all; 0: no limit
	Rows     int
	Timeout  time.Duration
}

// Closed runs a closed loop and returns what it measured; Throughput is
// the server's capacity at that concurrency.
func Closed(ctx context.Context, cfg ClosedConfig) (*Result, error) {
	tr, want := Targeter(cfg.URL, cfg.Op, cfg.Rows)
	if want == 0 {
		return nil, fmt.Errorf("closed loop: unknown op %q", cfg.Op)
	}
	if cfg.Workers < 1 || (cfg.Duration <= 0 && cfg.Requests <= 0) {
		return nil, fmt.Errorf("closed loop: want at least one worker and a duration or request count")
	}
	client := newClient(cfg.Timeout)
	defer client.CloseIdleConnections()
	r := &Result{Op: cfg.Op, Workers: cfg.Workers, Latency: newHistogram()}
	var (
		mu    sync.Mutex
		sent  atomic.Int64
		wg    sync.WaitGroup
		start = time.Now()
	)
	// Requests in flight at the deadline are answered, not cancelled: no
	// request is cut off, and the server logs no cancellations.
	more := func() bool {
		if ctx.Err() != nil || (cfg.Duration > 0 && time.Since(start) >= cfg.Duration) {
			return false
		}
		return cfg.Requests <= 0 || sent.Add(1) <= cfg.Requests
	}
	for range cfg.Workers {
		wg.Go(func() {
			for more() {
				began := time.Now()
				status, err := Send(ctx, client, tr)
				took := time.Since(began)
				if ctx.Err() != nil {
					return // interrupted: not an answer
				}
				mu.Lock()
				r.Requests++
				if err != nil || status != want {
					r.Errors++
					if r.FirstError == "" {
						r.FirstError = fmt.Sprintf("%s: status %d, %v", cfg.Op, status, err)
					}
				}
				r.Latency.RecordValue(int64(took))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	r.Elapsed = time.Since(start)
	if err := ctx.Err(); err != nil {
		return r, fmt.Errorf("closed loop on %s interrupted: %w", cfg.Op, err)
	}
	return r, nil
}

// Send sends one request made by tr and reads its whole answer; it
// returns the status.
func Send(ctx context.Context, client *http.Client, tr vegeta.Targeter) (int, error) {
	var tgt vegeta.Target
	if err := tr(&tgt); err != nil {
		return 0, err
	}
	req, err := tgt.Request()
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req.WithContext(ctx))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}

// runID and userSeq make the emails of created users unique: runID tells
// apart processes loading one server, userSeq the users of one process.
var (
	runID   = strconv.FormatInt(time.Now().UnixNano(), 36)
	userSeq atomic.Int64
)

// Targeter returns a goroutine-safe generator of op's requests against the
// server at base, and the status a success answers with. read and update
// pick random ids in 1..rows; update sets a random age; create and
// bulk-create-N (N users per request) make users with emails unique to this
// process; delete deletes ids rows, rows-1, … in turn; list reads 50 users
// after a random id.
func Targeter(base, op string, rows int) (vegeta.Targeter, int) {
	base = strings.TrimRight(base, "/")
	jsonHeader := http.Header{"Content-Type": []string{"application/json"}}
	var seq atomic.Int64
	id := func() int64 { return 1 + rand.Int64N(int64(max(rows, 1))) }
	switch {
	case op == "read":
		return func(t *vegeta.Target) error {
			*t = vegeta.Target{Method: http.MethodGet, URL: fmt.Sprintf("%s/users/%d", base, id())}
			return nil
		}, http.StatusOK
	case op == "list":
		return func(t *vegeta.Target) error {
			*t = vegeta.Target{Method: http.MethodGet, URL: fmt.Sprintf("%s/users?after=%d&limit=50", base, id()-1)}
			return nil
		}, http.StatusOK
	case op == "update":
		return func(t *vegeta.Target) error {
			*t = vegeta.Target{Method: http.MethodPatch, URL: fmt.Sprintf("%s/users/%d", base, id()),
				Header: jsonHeader, Body: fmt.Appendf(nil, `{"age":%d}`, rand.IntN(151))}
			return nil
		}, http.StatusOK
	case op == "delete":
		return func(t *vegeta.Target) error {
			n := int64(rows) - seq.Add(1) + 1
			*t = vegeta.Target{Method: http.MethodDelete, URL: fmt.Sprintf("%s/users/%d", base, n)}
			return nil
		}, http.StatusNoContent
	case op == "create":
		return func(t *vegeta.Target) error {
			*t = vegeta.Target{Method: http.MethodPost, URL: base + "/users", Header: jsonHeader,
				Body: newUser(nil, userSeq.Add(1))}
			return nil
		}, http.StatusCreated
	case strings.HasPrefix(op, "bulk-create-"):
		n, _ := strconv.Atoi(strings.TrimPrefix(op, "bulk-create-"))
		return func(t *vegeta.Target) error {
			b := []byte("[")
			for i := range max(n, 1) {
				if i > 0 {
					b = append(b, ',')
				}
				b = newUser(b, userSeq.Add(1))
			}
			*t = vegeta.Target{Method: http.MethodPost, URL: base + "/users/bulk", Header: jsonHeader, Body: append(b, ']')}
			return nil
		}, http.StatusCreated
	}
	return func(*vegeta.Target) error { return fmt.Errorf("load: unknown op %q", op) }, 0
}

func newUser(b []byte, n int64) []byte {
	return fmt.Appendf(b, `{"name":"load %d","email":"load-%s-%d@example.com","age":%d}`, n, runID, n, n%100)
}
