package serve

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"time"

	"github.com/jackc/pgx/v5"
)

// Runtime is the body of GET /debug/runtime: the Go heap and the process's
// resident memory as the operating system sees it.
type Runtime struct {
	HeapInuseBytes uint64 `json:"heap_inuse_bytes"` // runtime.MemStats.HeapInuse
	// HeapLiveBytes is the heap the last GC found reachable
	// (runtime/metrics /gc/heap/live:bytes): it moves only at a GC, so a
	// leak shows in it without the sawtooth of allocation between cycles.
	HeapLiveBytes uint64 `json:"heap_live_bytes"`
	HeapSysBytes  uint64 `json:"heap_sys_bytes"` // runtime.MemStats.HeapSys
	GCCycles      uint32 `json:"gc_cycles"`      // completed GC cycles since start
	Goroutines    int    `json:"goroutines"`
	RSSBytes      uint64 `json:"rss_bytes"`      // resident set now; 0 when unavailable
	PeakRSSBytes  uint64 `json:"peak_rss_bytes"` // highest resident set since start or the last reset
	// RSSSource says where the RSS figures come from: "/proc/self/status",
	// "getrusage" (peak only, not resettable) or "unavailable".
	RSSSource string `json:"rss_source"`
	// PeakResettable says whether POST /debug/runtime/reset-peak works here.
	PeakResettable bool `json:"peak_resettable"`
}

// ReadRuntime reads the figures of GET /debug/runtime for this process.
func ReadRuntime() Runtime {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	r := Runtime{
		HeapInuseBytes: ms.HeapInuse,
		HeapSysBytes:   ms.HeapSys,
		GCCycles:       ms.NumGC,
		Goroutines:     runtime.NumGoroutine(),
	}
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	if metrics.Read(live); live[0].Value.Kind() == metrics.KindUint64 {
		r.HeapLiveBytes = live[0].Value.Uint64()
	}
	r.RSSBytes, r.PeakRSSBytes, r.RSSSource, r.PeakResettable = readRSS()
	return r
}

// registerRuntime adds the /debug/runtime routes to mux.
func registerRuntime(mux *http.ServeMux) {
	mux.HandleFunc("GET /debug/runtime", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, ReadRuntime())
	})
	mux.HandleFunc("POST /debug/runtime/reset-peak", func(w http.ResponseWriter, _ *http.Request) {
		if err := resetPeakRSS(); err != nil {
			writeJSON(w, http.StatusNotImplemented, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, ReadRuntime())
	})
	mux.HandleFunc("POST /debug/runtime/gc", func(w http.ResponseWriter, _ *http.Request) {
		runtime.GC()
		debug.FreeOSMemory()
		writeJSON(w, http.StatusOK, ReadRuntime())
	})
}

// healthHandler answers 200 when the database at dsn answers a ping within
// two seconds, 503 otherwise. It uses a connection of its own, opened per
// check, so the arm's pool and the process's resident memory between checks
// are as without it.
func healthHandler(dsn string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		err := ping(ctx, dsn)
		if err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

func ping(ctx context.Context, dsn string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return conn.Ping(ctx)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		slog.Debug("writing a debug response", "err", err)
	}
}
