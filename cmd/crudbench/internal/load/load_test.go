package load

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

func TestScheduleLatency(t *testing.T) {
	start := time.Unix(100, 0)
	s := NewSchedule(start, 100) // one request every 10 ms, the first at +10 ms
	if got, want := s.Intended(0), start.Add(10*time.Millisecond); !got.Equal(want) {
		t.Errorf("Intended(0) = %v, want %v", got, want)
	}
	// Request 4 was due at +50 ms, sent at +250 ms and answered 1 ms later:
	// it waited 200 ms for a sender.
	if got, want := s.Latency(4, start.Add(250*time.Millisecond), time.Millisecond), 201*time.Millisecond; got != want {
		t.Errorf("late request: latency %v, want %v", got, want)
	}
	// Sent slightly early (clock granularity): never less than the round trip.
	if got, want := s.Latency(4, start.Add(49*time.Millisecond), 3*time.Millisecond), 3*time.Millisecond; got != want {
		t.Errorf("early request: latency %v, want %v", got, want)
	}
}

// TestOpenCountsStall runs an open loop against a server that stalls once
// for 200 ms while the sender can have only one request in flight, so that
// the requests due during the stall are sent late. Measured from their
// intended send time they show the stall; measured from their actual send
// time (as Service records them) they do not. The schedule keeps the rate.
func TestOpenCountsStall(t *testing.T) {
	const (
		rate  = 100
		stall = 200 * time.Millisecond
	)
	var (
		mu    sync.Mutex
		seen  atomic.Int64
		sends = make(chan time.Time, 2*rate)
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sends <- time.Now()
		mu.Lock()
		defer mu.Unlock()
		if seen.Add(1) == 20 {
			time.Sleep(stall)
		}
	}))
	defer srv.Close()

	begin := time.Now()
	r, err := Open(t.Context(), Config{URL: srv.URL, Op: "read", Rate: rate, Duration: time.Second, Rows: 10, MaxWorkers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if r.Errors != 0 {
		t.Fatalf("%d errors, first: %s", r.Errors, r.FirstError)
	}
	if r.Requests < rate-1 || r.Requests > rate+1 {
		t.Errorf("sent %d requests in 1 s at %d/s, want %d ± 1", r.Requests, rate, rate)
	}
	corrected := countAtLeast(r.Latency, 100*time.Millisecond)
	service := countAtLeast(r.Service, 100*time.Millisecond)
	// 20 requests fall due during the stall; those due in its first half
	// waited at least 100 ms.
	if corrected < 8 {
		t.Errorf("%d requests with latency ≥ 100 ms from intended send time, want ≥ 8 (those due during the stall)", corrected)
	}
	if service > 2 {
		t.Errorf("%d requests with round trip ≥ 100 ms, want at most the stalled one", service)
	}
	if max := time.Duration(r.Latency.Max()); max < stall {
		t.Errorf("max latency %v, want at least the %v stall", max, stall)
	}
	t.Logf("≥ 100 ms: %d from intended send time, %d from actual; p99 %v vs %v",
		corrected, service, r.Quantile(0.99), time.Duration(r.Service.ValueAtQuantile(99)))

	// No request goes out before it is due, and the requests spread over
	// the second rather than bunching up: the schedule, not the answers,
	// sets the pace.
	close(sends)
	sched := NewSchedule(begin, rate)
	var (
		i           uint64
		first, last time.Time
	)
	for at := range sends {
		if early := sched.Intended(i).Sub(at); early > 5*time.Millisecond {
			t.Errorf("request %d arrived %v before it was due", i, early)
		}
		if i == 0 {
			first = at
		}
		last = at
		i++
	}
	if spread := last.Sub(first); spread < 900*time.Millisecond {
		t.Errorf("requests arrived within %v, want spread over about 1 s", spread)
	}
}

// countAtLeast returns how many values of h are at least d.
func countAtLeast(h *hdrhistogram.Histogram, d time.Duration) int64 {
	var n int64
	for _, b := range h.Distribution() {
		if b.From >= int64(d) {
			n += b.Count
		}
	}
	return n
}
