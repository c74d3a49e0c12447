package paired

import (
	crand "crypto/rand"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
)

// The designs an Order can follow.
const (
	// Shuffle draws each round's order afresh, uniformly among all
	// permutations: no target has a fixed neighbour, so what one request
	// leaves behind (garbage, a cold cache, a backend still busy) lands
	// on every other target alike, and noise with a period cannot alias
	// onto a fixed target.
	Shuffle = "shuffle"
	// Williams runs Williams squares: blocks of n rounds (2n for odd n)
	// in which every target immediately follows every other one equally
	// often, exactly; each square's targets are relabelled and its rows
	// reordered at random.
	Williams = "williams"
	// Rotate is the former design, kept so that a run can show what it
	// costs: round r visits r, r+1, … (mod n), so every target always
	// follows the same one. Do not measure with it.
	Rotate = "rotate"
)

// Designs are the designs NewOrder accepts, the default first.
var Designs = []string{Shuffle, Williams, Rotate}

// EnvOrder selects the design of every paired run (one of Designs);
// unset means Shuffle.
const EnvOrder = "CRUDBENCH_PAIRED_ORDER"

// EnvSeed sets the seed of every paired run's order, so that a run can be
// repeated in the same order; unset means a random seed, which the run
// records.
const EnvSeed = "CRUDBENCH_PAIRED_SEED"

// Config is the design and seed of a run's orders. Its config lines
// (ConfigLines) go into the run's output, so that a run can be repeated.
type Config struct {
	Design string
	Seed   uint64
}

// ConfigFromEnv returns the Config that EnvOrder and EnvSeed set, drawing a
// random seed when EnvSeed is unset.
func ConfigFromEnv() (Config, error) {
	c := Config{Design: os.Getenv(EnvOrder)}
	if c.Design == "" {
		c.Design = Shuffle
	}
	if !slices.Contains(Designs, c.Design) {
		return Config{}, fmt.Errorf("paired: %s=%q: want one of %s", EnvOrder, c.Design, strings.Join(Designs, ", "))
	}
	if v := os.Getenv(EnvSeed); v != "" {
		seed, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return Config{}, fmt.Errorf("paired: %s=%q: want an unsigned integer: %w", EnvSeed, v, err)
		}
		c.Seed = seed
		return c, nil
	}
	var b [8]byte
	if _, err := crand.Read(b[:]); err != nil {
		return Config{}, fmt.Errorf("paired: drawing a seed: %w", err)
	}
	c.Seed = binary.LittleEndian.Uint64(b[:]) >> 1 // fits an int64, for tools that parse it so
	return c, nil
}

// ConfigLines returns the benchmark-format configuration lines that
// record c: "paired-order: shuffle" and "paired-seed: 42".
func (c Config) ConfigLines() string {
	return fmt.Sprintf("paired-order: %s\npaired-seed: %d\n", c.Design, c.Seed)
}

// Order yields the order of each round of a paired run over n targets.
// Each stream (a benchmark leaf, an op) draws from its own generator,
// seeded from the Config's seed and the stream's name, so that running one
// leaf alone repeats the order it had in the whole run.
type Order struct {
	design string
	n      int
	round  int
	rng    *rand.Rand
	rows   [][]int // Williams: the rows of the current square not yet used
	buf    []int
}

// NewOrder returns the Order of c's design for n targets, for the named
// stream.
func (c Config) NewOrder(n int, stream string) (*Order, error) {
	if n < 1 {
		return nil, fmt.Errorf("paired: an order of %d targets", n)
	}
	if !slices.Contains(Designs, c.Design) {
		return nil, fmt.Errorf("paired: order design %q: want one of %s", c.Design, strings.Join(Designs, ", "))
	}
	h := fnv.New64a()
	h.Write([]byte(stream))
	return &Order{design: c.Design, n: n, rng: rand.New(rand.NewPCG(c.Seed, h.Sum64())), buf: make([]int, n)}, nil
}

// Len returns the number of targets o orders.
func (o *Order) Len() int { return o.n }

// Next returns the order of the next round: a permutation of 0..n-1,
// valid until the next call.
func (o *Order) Next() []int {
	defer func() { o.round++ }()
	switch o.design {
	case Rotate:
		for k := range o.buf {
			o.buf[k] = (o.round + k) % o.n
		}
	case Williams:
		if len(o.rows) == 0 {
			o.rows = o.square()
		}
		copy(o.buf, o.rows[0])
		o.rows = o.rows[1:]
	default:
		for k := range o.buf {
			o.buf[k] = k
		}
		o.rng.Shuffle(o.n, func(i, j int) { o.buf[i], o.buf[j] = o.buf[j], o.buf[i] })
	}
	return o.buf
}

// square returns a Williams square for n targets with its targets
// relabelled and its rows in random order.
func (o *Order) square() [][]int {
	rows := WilliamsSquare(o.n)
	label := o.rng.Perm(o.n)
	for _, r := range rows {
		for k, v := range r {
			r[k] = label[v]
		}
	}
	o.rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	return rows
}

// WilliamsSquare returns the rows of a Williams design for n treatments:
// n rows for even n, 2n for odd n (the square and its mirror image), each
// a permutation of 0..n-1, in which every ordered pair of distinct
// treatments stands side by side equally often (once, or twice for odd n).
func WilliamsSquare(n int) [][]int {
	first := make([]int, n)
	for k := 1; k < n; k++ {
		if k%2 == 1 {
			first[k] = (k + 1) / 2
		} else {
			first[k] = n - k/2
		}
	}
	rows := make([][]int, 0, 2*n)
	for i := range n {
		r := make([]int, n)
		for k, v := range first {
			r[k] = (v + i) % n
		}
		rows = append(rows, r)
	}
	if n%2 == 1 {
		for i := range n {
			r := slices.Clone(rows[i])
			slices.Reverse(r)
			rows = append(rows, r)
		}
	}
	return rows
}
