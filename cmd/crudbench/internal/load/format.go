package load

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Units are the Unit lines of load results in the Go benchmark format:
// the direction of each metric.
var Units = []string{
	"Unit p50-ns/op better=lower",
	"Unit p90-ns/op better=lower",
	"Unit p99-ns/op better=lower",
	"Unit p99.9-ns/op better=lower",
	"Unit max-ns/op better=lower",
	"Unit errors better=lower assume=exact",
	"Unit req/s better=higher",
}

// WriteUnits writes Units.
func WriteUnits(w io.Writer) {
	fmt.Fprintln(w, strings.Join(Units, "\n"))
}

// Name returns the benchmark name of r for arm: BenchmarkLoad/arm=A/op=O/rate=N
// for an open loop, BenchmarkLoadClosed/arm=A/op=O/conc=N for a closed one.
func Name(arm string, r *Result) string {
	if r.Workers > 0 {
		return fmt.Sprintf("BenchmarkLoadClosed/arm=%s/op=%s/conc=%d", arm, r.Op, r.Workers)
	}
	return fmt.Sprintf("BenchmarkLoad/arm=%s/op=%s/rate=%d", arm, r.Op, r.Rate)
}

// WriteResult writes r as one benchmark line: the request count, the
// latency quantiles and maximum, the errors and the throughput.
func WriteResult(w io.Writer, arm string, r *Result) {
	fmt.Fprintf(w, "%s\t%d\t%d p50-ns/op\t%d p90-ns/op\t%d p99-ns/op\t%d p99.9-ns/op\t%d max-ns/op\t%d errors\t%.1f req/s\n",
		Name(arm, r), r.Requests, r.Quantile(0.50), r.Quantile(0.90), r.Quantile(0.99), r.Quantile(0.999),
		r.Latency.Max(), r.Errors, r.Throughput())
}

// Summary is one human-readable line about r.
func Summary(r *Result) string {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/1e6) }
	return fmt.Sprintf("%d requests, %d errors, %.0f req/s, p50 %s p99 %s max %s",
		r.Requests, r.Errors, r.Throughput(), ms(r.Quantile(0.5)), ms(r.Quantile(0.99)), ms(time.Duration(r.Latency.Max())))
}
