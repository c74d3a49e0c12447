package study

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/crudbench/crudbench/cmd/crudbench/internal/load"
	"github.com/crudbench/crudbench/cmd/crudbench/internal/serve"
)

// BulkSize is the batch size of the memory study's bulk-create workload.
const BulkSize = 1000

// MemoryConfig is a memory study: per arm, the resident memory of its
// serve process at idle and around a fixed workload per operation.
type MemoryConfig struct {
	Arms         []string
	Rows         int
	Requests     int // per single-row operation; at most Rows (delete)
	BulkRequests int // bulk creates of BulkSize users
	Workers      int // concurrent clients of each workload
	Exe          Exe
	Out          io.Writer
	ChildLog     io.Writer
	Log          *slog.Logger
}

// MemoryUnits are the Unit lines of the memory study.
var MemoryUnits = []string{
	"Unit rss-bytes better=lower",
	"Unit peak-rss-bytes better=lower",
	"Unit rss-after-gc-bytes better=lower",
	"Unit heap-bytes better=lower",
	"Unit gc/1000req better=lower",
}

// MemoryRow is one measured workload of one arm.
type MemoryRow struct {
	Arm, Op string
	N       int // batch size of a bulk operation; 0 otherwise
	Idle    serve.Runtime
	// Peak is read right after the workload; AfterGC after a forced GC.
	Peak, AfterGC serve.Runtime
	GCPer1000     float64
	Requests      int
}

// Name is the benchmark name of the row.
func (m MemoryRow) Name() string {
	if m.Op == "idle" {
		return fmt.Sprintf("BenchmarkMemory/arm=%s/op=idle", m.Arm)
	}
	if m.N > 0 {
		return fmt.Sprintf("BenchmarkMemory/arm=%s/op=%s/n=%d", m.Arm, m.Op, m.N)
	}
	return fmt.Sprintf("BenchmarkMemory/arm=%s/op=%s", m.Arm, m.Op)
}

func (m MemoryRow) write(w io.Writer) {
	if m.Op == "idle" {
		fmt.Fprintf(w, "%s\t1\t%d rss-bytes\t%d heap-bytes\n", m.Name(), m.Idle.RSSBytes, m.Idle.HeapInuseBytes)
		return
	}
	fmt.Fprintf(w, "%s\t1\t%d peak-rss-bytes\t%d rss-after-gc-bytes\t%d heap-bytes\t%.2f gc/1000req\n",
		m.Name(), m.Peak.PeakRSSBytes, m.AfterGC.RSSBytes, m.Peak.HeapInuseBytes, m.GCPer1000)
}

// memoryOps are the workloads in order: the single-row operations of the
// benchmark matrix and one bulk create, delete last so that the rows the
// others read and update exist.
var memoryOps = []string{"create", "read", "update", "list", "bulk-create", "delete"}

// Memory runs the memory study and returns its rows.
func Memory(ctx context.Context, cfg MemoryConfig) ([]MemoryRow, error) {
	if cfg.Requests > cfg.Rows {
		return nil, fmt.Errorf("requests %d: at most rows (%d), so that every delete finds its user", cfg.Requests, cfg.Rows)
	}
	fmt.Fprintf(cfg.Out, "rows: %d\nrequests: %d\nbulk-requests: %d\nworkers: %d\n", cfg.Rows, cfg.Requests, cfg.BulkRequests, cfg.Workers)
	for _, u := range MemoryUnits {
		fmt.Fprintln(cfg.Out, u)
	}
	return perArm(ctx, cfg.Exe, cfg.Arms, cfg.Rows, cfg.ChildLog, func(child *Child) ([]MemoryRow, error) {
		return memoryArm(ctx, cfg, child)
	})
}

func memoryArm(ctx context.Context, cfg MemoryConfig, child *Child) ([]MemoryRow, error) {
	arm := child.Arm
	idle, err := child.GC(ctx)
	if err != nil {
		return nil, err
	}
	if idle.RSSSource == "unavailable" {
		cfg.Log.Warn("the child cannot read its resident memory on this system: RSS figures are 0", "arm", arm)
	}
	rows := []MemoryRow{{Arm: arm, Op: "idle", Idle: idle}}
	rows[0].write(cfg.Out)
	for _, op := range memoryOps {
		row := MemoryRow{Arm: arm, Op: op, Idle: idle, Requests: cfg.Requests}
		target := op
		if op == "bulk-create" {
			row.N, row.Requests = BulkSize, cfg.BulkRequests
			target = fmt.Sprintf("bulk-create-%d", BulkSize)
		}
		before, err := child.ResetPeak(ctx)
		if err != nil {
			return rows, err
		}
		res, err := load.Closed(ctx, load.ClosedConfig{URL: child.URL, Op: target, Workers: cfg.Workers,
			Requests: int64(row.Requests), Rows: cfg.Rows})
		if err != nil {
			return rows, fmt.Errorf("%s %s: %w", arm, op, err)
		}
		if res.Errors > 0 {
			return rows, fmt.Errorf("%s %s: %d of %d requests failed, first: %s", arm, op, res.Errors, res.Requests, res.FirstError)
		}
		if row.Peak, err = child.Runtime(ctx); err != nil {
			return rows, err
		}
		if row.AfterGC, err = child.GC(ctx); err != nil {
			return rows, err
		}
		row.GCPer1000 = float64(row.Peak.GCCycles-before.GCCycles) * 1000 / float64(row.Requests)
		row.write(cfg.Out)
		cfg.Log.Info("memory", "arm", arm, "op", op, "peak_rss_mib", mib(row.Peak.PeakRSSBytes),
			"rss_after_gc_mib", mib(row.AfterGC.RSSBytes), "heap_mib", mib(row.Peak.HeapInuseBytes), "gc_per_1000", row.GCPer1000)
		rows = append(rows, row)
	}
	return rows, nil
}

func mib(b uint64) string { return fmt.Sprintf("%.1f", float64(b)/(1<<20)) }

// WriteMemorySummary writes a table of the rows, one line per arm and
// workload.
func WriteMemorySummary(w io.Writer, rows []MemoryRow) {
	fmt.Fprintln(w, "| arm | workload | idle RSS | peak RSS | RSS after GC | heap in use | GC cycles / 1,000 req |\n|---|---|--:|--:|--:|--:|--:|")
	for _, r := range rows {
		if r.Op == "idle" {
			continue
		}
		op := r.Op
		if r.N > 0 {
			op = fmt.Sprintf("%s n=%d", r.Op, r.N)
		}
		fmt.Fprintf(w, "| %s | %s | %s MiB | %s MiB | %s MiB | %s MiB | %.1f |\n", r.Arm, op, mib(r.Idle.RSSBytes),
			mib(r.Peak.PeakRSSBytes), mib(r.AfterGC.RSSBytes), mib(r.Peak.HeapInuseBytes), r.GCPer1000)
	}
}
