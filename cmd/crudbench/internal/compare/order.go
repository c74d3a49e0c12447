package compare

import "math/rand/v2"

// Order draws the order in which each round visits its targets: a fresh
// shuffle per round from a seeded generator, so that no target has a fixed
// neighbour (what one target leaves behind, a collection or a cold cache,
// lands on a different one each round) and a run can be repeated from its
// seed, which the results carry in their configuration lines.
type Order struct {
	rng *rand.Rand
}

// NewOrder returns the order generator of seed.
func NewOrder(seed uint64) *Order {
	return &Order{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// Next returns the next round's order of n targets, a permutation of 0..n-1.
func (o *Order) Next(n int) []int {
	return o.rng.Perm(n)
}
