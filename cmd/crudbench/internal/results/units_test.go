package results

import (
	"testing"

	"golang.org/x/perf/benchfmt"
)

func TestBetter(t *testing.T) {
	units := benchfmt.UnitMetadataMap{
		{Unit: "req/s", Key: "better"}:  {Value: "higher"},
		{Unit: "odd/op", Key: "better"}: {Value: "higher"},
	}
	tests := []struct {
		unit string
		want int
	}{
		{"sec/op", -1}, {"p50-sec/op", -1}, {"p99-sec/op", -1}, {"sec/row", -1},
		{"B/op", -1}, {"allocs/op", -1}, {"queries/op", -1},
		{"req/s", 1}, {"B/s", 1}, {"odd/op", 1}, {"widgets", 0},
	}
	for _, tt := range tests {
		t.Run(tt.unit, func(t *testing.T) {
			if got := Better(units, tt.unit); got != tt.want {
				t.Errorf("Better(%q) = %d, want %d", tt.unit, got, tt.want)
			}
		})
	}
}

func TestAssumption(t *testing.T) {
	declared := benchfmt.UnitMetadataMap{
		{Unit: "queries/op", Key: "assume"}: {Value: "nothing"},
		{Unit: "size/op", Key: "assume"}:    {Value: "exact"},
	}
	tests := []struct {
		name  string
		units benchfmt.UnitMetadataMap
		unit  string
		want  string
	}{
		{"queries/op is exact without metadata", nil, "queries/op", "exact"},
		{"metadata overrides the queries/op default", declared, "queries/op", "median"},
		{"assume=exact metadata", declared, "size/op", "exact"},
		{"time is not exact", nil, "sec/op", "median"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Assumption(tt.units, tt.unit).SummaryLabel(); got != tt.want {
				t.Errorf("Assumption(%q) = %s, want %s", tt.unit, got, tt.want)
			}
		})
	}
}
