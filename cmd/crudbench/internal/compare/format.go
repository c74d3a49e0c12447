package compare

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/crudbench/crudbench/cmd/crudbench/internal/table"
	"github.com/crudbench/crudbench/internal/paired"
)

// Unit is the unit of the ratio samples: head time over base time.
const Unit = "head/base"

// Name returns the benchmark name of op's ratios for arm, without the
// "Benchmark" prefix: Pair/arm=pgx/op=read.
func Name(arm, op string) string { return "Pair/arm=" + arm + "/op=" + op }

// Write writes the results in the Go benchmark format: configuration lines,
// unit metadata (every unit is better lower), and per op one line per
// block with the head/base ratio and the mean request time of each side.
// The iteration count is the rounds per block.
func Write(w io.Writer, arm string, rounds int, res []OpResult) error {
	var ew bytes.Buffer
	fmt.Fprintf(&ew, "goos: %s\ngoarch: %s\ncrudbench-pair-arm: %s\ncrudbench-pair-rounds-per-block: %d\n",
		runtime.GOOS, runtime.GOARCH, arm, rounds)
	for _, u := range []string{Unit, "base-ns/op", "head-ns/op"} {
		fmt.Fprintf(&ew, "Unit %s better=lower\n", u)
	}
	for _, r := range res {
		for b := range r.Ratios {
			fmt.Fprintf(&ew, "Benchmark%s %d %.6f %s %.0f base-ns/op %.0f head-ns/op\n",
				Name(arm, r.Op), rounds, r.Ratios[b], Unit, r.BaseNs[b], r.HeadNs[b])
		}
	}
	if _, err := w.Write(ew.Bytes()); err != nil {
		return fmt.Errorf("writing compare results: %w", err)
	}
	return nil
}

// WriteSummary writes a table of the results: per op the geometric mean
// head/base ratio with its 95 % interval, the CV of the blocks, the
// one-sided p-value that head is slower than base, and the smallest
// slowdown the blocks detect at alpha with power 0.8.
func WriteSummary(w io.Writer, arm string, res []OpResult, alpha float64) error {
	rows := [][]string{{"op", "blocks", "base", "head", "head/base", "95% CI", "CV", "CV of sums", "p(head slower)", "detectable"}}
	for _, r := range res {
		s := r.Summary()
		rows = append(rows, []string{
			r.Op, fmt.Sprint(s.N),
			fmtNs(mean(r.BaseNs)), fmtNs(mean(r.HeadNs)),
			fmt.Sprintf("%.4f", s.Mean), fmt.Sprintf("[%.4f, %.4f]", s.Lo, s.Hi),
			fmt.Sprintf("%.2f%%", 100*s.CV), fmt.Sprintf("%.2f%%", 100*paired.Summarize(r.SumRatios, 0.95).CV), fmt.Sprintf("%.3g", paired.PGreater(r.Ratios, 1)),
			fmt.Sprintf("%.2f%%", 100*paired.MinDetectable(s.CV, s.N, alpha)),
		})
	}
	_, err := fmt.Fprintf(w, "crudbench compare, arm %s (detectable: smallest slowdown found at alpha %v with power 0.8)\n%s",
		arm, alpha, table.Text(rows, table.RightFrom(len(rows[0]), 1)))
	if err != nil {
		return fmt.Errorf("writing the compare summary: %w", err)
	}
	return nil
}

func fmtNs(ns float64) string { return time.Duration(ns).Round(100 * time.Nanosecond).String() }

func mean(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}
