package cpus

import (
	"slices"
	"strings"
	"testing"
)

func TestPlan(t *testing.T) {
	for _, c := range []struct {
		mode        string
		avail       []int
		goes, pgs   []int
		shared      bool
		wantErrText string
	}{
		{mode: "", avail: []int{0, 1}, goes: []int{0}, pgs: []int{1}},
		{mode: "split", avail: []int{0, 1, 2, 3}, goes: []int{0, 1}, pgs: []int{2, 3}},
		{mode: " split ", avail: []int{0, 1, 2}, goes: []int{0, 1}, pgs: []int{2}},
		{mode: "", avail: []int{2, 5, 7, 9}, goes: []int{2, 5}, pgs: []int{7, 9}},
		{mode: "", avail: []int{3}, shared: true},
		{mode: "shared", avail: []int{0, 1}, shared: true},
		{mode: "half", avail: []int{0, 1}, wantErrText: `CRUDBENCH_CPUS="half": want split or shared`},
	} {
		s, err := Plan(c.mode, c.avail)
		if c.wantErrText != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErrText) {
				t.Errorf("Plan(%q, %v) error %v, want one saying %q", c.mode, c.avail, err, c.wantErrText)
			}
			continue
		}
		if err != nil {
			t.Errorf("Plan(%q, %v): %v", c.mode, c.avail, err)
			continue
		}
		if s.Shared() != c.shared || !slices.Equal(s.Go, c.goes) || !slices.Equal(s.Postgres, c.pgs) {
			t.Errorf("Plan(%q, %v) = %+v (shared %v), want go %v postgres %v (shared %v)", c.mode, c.avail, s, s.Shared(), c.goes, c.pgs, c.shared)
		}
	}
	s, _ := Plan("", []int{0, 1, 2, 3})
	if got := s.String(); got != "go=0-1 postgres=2-3" {
		t.Errorf("String() = %q, want go=0-1 postgres=2-3", got)
	}
	if got := (Split{}).String(); got != "shared" {
		t.Errorf("zero Split's String() = %q, want shared", got)
	}
}

func TestList(t *testing.T) {
	for _, c := range []struct {
		cpus []int
		want string
	}{
		{nil, ""},
		{[]int{1}, "1"},
		{[]int{0, 1}, "0-1"},
		{[]int{0, 1, 2, 5, 7, 8}, "0-2,5,7-8"},
	} {
		if got := List(c.cpus); got != c.want {
			t.Errorf("List(%v) = %q, want %q", c.cpus, got, c.want)
		}
	}
}
