package compare

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crudbench/crudbench/cmd/crudbench/internal/gate"
	"github.com/crudbench/crudbench/internal/paired"
)

// fake is an HTTP server answering the four ops the way crudbench serve
// does, after an extra delay on reads, and remembering what it was asked.
type fake struct {
	mu    sync.Mutex
	asked []string
	delay time.Duration
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.asked = append(f.asked, r.Method+" "+r.URL.String())
	f.mu.Unlock()
	time.Sleep(200 * time.Microsecond)
	switch {
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/users/"):
		time.Sleep(f.delay)
		w.Write([]byte(`{"id":1}`))
	case r.Method == http.MethodPost:
		w.WriteHeader(http.StatusCreated)
	default:
		w.Write([]byte(`{}`))
	}
}

func measure(t *testing.T, base, head *fake) []OpResult {
	t.Helper()
	bs, hs := httptest.NewServer(base), httptest.NewServer(head)
	defer bs.Close()
	defer hs.Close()
	res, err := Measure(context.Background(), Config{BaseURL: bs.URL, HeadURL: hs.URL, Ops: Ops,
		Rounds: 20, Blocks: 6, Warmup: 5, Rows: 100})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestMeasureSendsTheSameRequestsToBoth(t *testing.T) {
	base, head := &fake{}, &fake{}
	res := measure(t, base, head)
	if len(res) != len(Ops) || len(res[0].Ratios) != 6 {
		t.Fatalf("got %d ops with %d blocks, want %d with 6", len(res), len(res[0].Ratios), len(Ops))
	}
	want := len(Ops) * (5 + 6*20)
	if len(base.asked) != want || !slices.Equal(base.asked, head.asked) {
		t.Errorf("base got %d requests, head %d, want the same %d", len(base.asked), len(head.asked), want)
	}
}

func TestMeasureSeesASlowerHead(t *testing.T) {
	res := measure(t, &fake{}, &fake{delay: 2 * time.Millisecond})
	for _, r := range res {
		s := r.Summary()
		switch r.Op {
		case "read":
			if s.Mean < 2 {
				t.Errorf("read: head/base %.2f with 2 ms more per head read, want above 2", s.Mean)
			}
		default:
			if s.Mean > 2 {
				t.Errorf("%s: head/base %.2f for equal servers, want about 1", r.Op, s.Mean)
			}
		}
	}
}

func TestBlockRatioTrimsOutliers(t *testing.T) {
	base := []time.Duration{100, 100, 100, 100, 100, 100, 100, 100, 100, 100}
	head := []time.Duration{110, 110, 110, 110, 110, 110, 110, 110, 110, 50000}
	if got := BlockRatio(head, base); got < 1.09 || got > 1.11 {
		t.Errorf("BlockRatio = %.3f for 10%% slower rounds and one stall, want 1.10", got)
	}
}

func TestWrittenResultsAreGated(t *testing.T) {
	block := func(ratio float64, n int) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = ratio * (1 + 0.01*float64(i%5-2)) // ±2 %
		}
		return out
	}
	for _, tt := range []struct {
		name  string
		ratio float64
		want  gate.Status
	}{{"unchanged", 1.0, gate.Pass}, {"1% slower", 1.01, gate.Pass}, {"5% slower", 1.05, gate.Fail}} {
		t.Run(tt.name, func(t *testing.T) {
			r := OpResult{Op: "read", Ratios: block(tt.ratio, 20), BaseNs: block(500e3, 20), HeadNs: block(500e3*tt.ratio, 20)}
			var b bytes.Buffer
			if err := Write(&b, "pgx", 400, []OpResult{r}); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "pair.txt")
			if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			set, err := gate.LoadPair(path)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := gate.Compare(&gate.Input{Pair: set}, gate.DefaultOptions)
			if err != nil {
				t.Fatal(err)
			}
			if got := rep.Status(); got != tt.want {
				t.Errorf("status %s, want %s: %s", got, tt.want, rep.Verdict())
			}
		})
	}
}

func TestConfigCheck(t *testing.T) {
	good := Config{BaseURL: "http://a", HeadURL: "http://b", Ops: []string{"read"}, Rounds: 1, Blocks: 2, Rows: 1}
	if err := good.check(); err != nil {
		t.Errorf("valid config: %v", err)
	}
	for _, bad := range []func(*Config){
		func(c *Config) { c.BaseURL = "a" },
		func(c *Config) { c.Ops = []string{"delete"} },
		func(c *Config) { c.Ops = nil },
		func(c *Config) { c.Blocks = 1 },
		func(c *Config) { c.Rows = 0 },
	} {
		c := good
		bad(&c)
		if c.check() == nil {
			t.Errorf("%+v passed the check", c)
		}
	}
}

func TestMeasureRejectsAnUnknownOrder(t *testing.T) {
	cfg := Config{BaseURL: "http://a", HeadURL: "http://b", Ops: []string{"read"}, Rounds: 1, Blocks: 2, Rows: 1,
		Order: paired.Config{Design: "zigzag"}}
	if _, err := Measure(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "zigzag") {
		t.Errorf("an unknown order design: %v, want an error naming it", err)
	}
}
