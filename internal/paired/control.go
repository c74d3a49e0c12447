package paired

import (
	"math"
	"strings"
)

// controlMark ends a control's name: "pgx'" is pgx a second time.
const controlMark = "'"

// ControlName returns the name of the control of the reference target
// ref: ref a second time, on its own resources, so that the ratio
// ControlName(ref)/ref reads as what it is ("pgx'/pgx").
func ControlName(ref string) string { return ref + controlMark }

// ControlOf returns the target that the control name repeats, and whether
// name is a control at all.
func ControlOf(name string) (string, bool) {
	ref, ok := strings.CutSuffix(name, controlMark)
	return ref, ok && ref != ""
}

// ControlBand is how far from 1 a control's interval may reach before the
// harness's own bias is taken to exceed it: 1 %.
const ControlBand = 0.01

// CVTarget is the largest coefficient of variation across runs that a
// ratio of a leaf may show and still be quoted as precise: 2 % for the
// single-row and relation leaves, 3 % for the bulk leaves, which run fewer
// rounds of longer requests.
func CVTarget(bulk bool) float64 {
	if bulk {
		return 0.03
	}
	return 0.02
}

// Spread returns how far s's interval reaches from 1, on either side: for
// a control, the size of an effect the harness cannot tell from its own
// bias. It is NaN when the interval is.
func (s Summary) Spread() float64 {
	return math.Max(math.Abs(s.Hi-1), math.Abs(1-s.Lo))
}

// Biased reports whether the control summarised by s strays beyond
// ControlBand: its interval does not lie within [1-ControlBand,
// 1+ControlBand]. An interval that cannot be computed counts as biased:
// nothing vouches for the harness.
func (s Summary) Biased() bool {
	return !(s.Lo >= 1-ControlBand-1e-12 && s.Hi <= 1+ControlBand+1e-12)
}

// Distinguishable reports whether ratio stands further from 1 than the
// control's spread: closer, the harness's own bias could account for it.
func Distinguishable(ratio float64, control Summary) bool {
	spread := control.Spread()
	return !math.IsNaN(spread) && math.Abs(ratio-1) > spread
}
