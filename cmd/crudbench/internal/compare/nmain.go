package compare

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"flag"

	"github.com/crudbench/crudbench/cmd/crudbench/internal/cli"
	"github.com/crudbench/crudbench/cmd/crudbench/internal/study"
	"github.com/crudbench/crudbench/internal/arms"
	"github.com/crudbench/crudbench/internal/paired"
	"github.com/crudbench/crudbench/internal/peer"
)

// multiFlag collects a repeated flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, " ") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// nOpts are the flags of the N-target comparison.
type nOpts struct {
	arms          *string
	peers         *string
	armBins       *string
	targets, bins multiFlag
	run           RunConfig
	seed          *uint64
	noControl     *bool
	buildArms     *bool
}

func nFlags(fs *flag.FlagSet) *nOpts {
	n := &nOpts{}
	n.arms = fs.String("arms", "", "arms to start and compare, comma-separated, the reference first: "+strings.Join(arms.Names(), ", "))
	n.peers = fs.String("peers", "", "peers (servers in other languages, under peers/) to start and compare after the arms and builds, comma-separated; the first is the reference when no arm or build is given: "+strings.Join(peerNames(), ", "))
	n.armBins = fs.String("arm-bins", "", "`dir`ectory of per-arm crudbench binaries named crudbench-ARM (built with -tags crudbench_onearm,crudbench_ARM); an arm without one runs this program")
	fs.Var(&n.targets, "target", "a running server to compare: name=N,url=URL[,dsn=DSN][,pid=PID][,cgroup=DIR][,bin=FILE]; repeat for more")
	fs.Var(&n.bins, "bin", "a build to start serving -arm: NAME=BINARY; repeat for more")
	fs.IntVar(&n.run.Clients, "clients", 4*runtime.NumCPU(), "closed-loop clients of a capacity slice")
	fs.DurationVar(&n.run.Slice, "slice", 250*time.Millisecond, "length of a capacity slice")
	fs.IntVar(&n.run.Slices, "slices", 40, "capacity slices per target and op")
	fs.Float64Var(&n.run.Discard, "discard", 0.2, "fraction at the start of every slice whose answers are not counted")
	fs.DurationVar(&n.run.TailSlice, "tail-slice", 500*time.Millisecond, "length of an open-loop slice")
	fs.IntVar(&n.run.TailSlices, "tail-slices", 10, "open-loop slices per target and op; 0 skips tail latency")
	fs.Float64Var(&n.run.TailFraction, "tail-fraction", 0.5, "open-loop rate as a fraction of the slowest target's capacity")
	fs.DurationVar(&n.run.CPUSlice, "cpu-slice", 500*time.Millisecond, "length of a slice of CPU per request at equal load, all targets at once")
	fs.IntVar(&n.run.CPUSlices, "cpu-slices", 40, "slices per op of CPU per request at equal load, all targets at once; 0 skips them")
	fs.Float64Var(&n.run.CPUFraction, "cpu-fraction", 0.5, "load of the CPU slices, all targets together, as a fraction of the slowest target's capacity (each target gets this ÷ the number of targets)")
	n.seed = fs.Uint64("seed", 0, "seed of the order of the rounds; 0 takes "+paired.EnvSeed+" or draws one (it is written with the results); "+paired.EnvOrder+" picks the design")
	n.buildArms = fs.Bool("build-arms", false, "build a binary per arm that links only its library (go build -tags crudbench_onearm,crudbench_ARM ./cmd/crudbench, run in the module's root) and serve each arm with its own")
	n.noControl = fs.Bool("no-control", false, "do not add the reference's control to the arms or builds")
	return n
}

func (n *nOpts) any() bool {
	return *n.arms != "" || *n.peers != "" || len(n.targets) > 0 || len(n.bins) > 0
}

// main runs the N-target comparison.
func (n *nOpts) main(args []string, arm, ops string, rows int, out string, maxTime time.Duration, stderr, stdout io.Writer) int {
	log := cli.Logger(stderr)
	usageErr := func(err error) int {
		fmt.Fprintln(stderr, "crudbench compare:", err)
		return cli.ExitUsage
	}
	var urlTargets []Target
	for _, s := range n.targets {
		t, err := ParseTarget(s)
		if err != nil {
			return usageErr(err)
		}
		urlTargets = append(urlTargets, t)
	}
	// Started targets: arms by name, or builds by NAME=BINARY serving arm.
	var names []string
	exes := map[string]study.Exe{}
	for _, a := range splitList(*n.arms) {
		if !slices.Contains(arms.Names(), a) {
			return usageErr(fmt.Errorf("-arms: %q is not an arm (%v)", a, arms.Names()))
		}
		names = append(names, a)
	}
	for _, b := range n.bins {
		name, bin, ok := strings.Cut(b, "=")
		if !ok || name == "" || bin == "" || strings.ContainsAny(name, " /=,'") {
			return usageErr(fmt.Errorf("-bin %q: want NAME=BINARY", b))
		}
		if !slices.Contains(arms.Names(), arm) {
			return usageErr(fmt.Errorf("-arm %q is not an arm (%v)", arm, arms.Names()))
		}
		names = append(names, name)
		exes[name] = study.Exe{bin}
	}
	if len(names) > 0 && !*n.noControl {
		ref := names[0]
		names = slices.Insert(names, 1, paired.ControlName(ref))
		if e, ok := exes[ref]; ok {
			exes[paired.ControlName(ref)] = e
		}
	}
	peers, err := peerList(*n.peers, len(names) == 0 && !*n.noControl)
	if err != nil {
		return usageErr(err)
	}
	n.run.Ops = append(n.run.Ops, splitList(ops)...)
	n.run.Rows = rows
	n.run.Log = log
	order, err := paired.ConfigFromEnv()
	if err != nil {
		return usageErr(err)
	}
	if *n.seed != 0 {
		order.Seed = *n.seed
	}
	n.run.Order = order
	seed := order.Seed
	self, err := study.DefaultExe()
	if err != nil {
		log.Error("compare failed", "err", err)
		return cli.ExitFail
	}
	armOf := func(name string) string {
		if len(exes) > 0 {
			return arm
		}
		if ref, ok := paired.ControlOf(name); ok {
			return ref
		}
		return name
	}
	if *n.buildArms {
		if *n.armBins != "" || len(exes) > 0 {
			return usageErr(errors.New("-build-arms does not mix with -arm-bins or -bin"))
		}
		dir, err := os.MkdirTemp("", "crudbench-arms-")
		if err != nil {
			log.Error("compare failed", "err", err)
			return cli.ExitFail
		}
		defer os.RemoveAll(dir)
		for _, name := range names {
			if err := buildArm(armOf(name), dir, stderr); err != nil {
				log.Error("compare failed", "err", err)
				return cli.ExitFail
			}
		}
		*n.armBins = dir
	}
	bin := func(name string) study.Exe {
		if e, ok := exes[name]; ok {
			return e
		}
		if *n.armBins != "" {
			p := filepath.Join(*n.armBins, "crudbench-"+armOf(name))
			if _, err := os.Stat(p); err == nil {
				return study.Exe{p}
			}
		}
		return self
	}
	// Validate the run's settings before starting anything.
	check := n.run
	check.Targets = make([]Target, len(names)+len(peers)+len(urlTargets))
	for i := range check.Targets {
		check.Targets[i] = Target{Name: fmt.Sprint(i)}
	}
	if err := check.check(); err != nil {
		return usageErr(err)
	}
	for _, p := range peers {
		if spec, ok := peer.Lookup(p); ok {
			if why := spec.Missing(); why != "" {
				log.Error("compare failed", "err", why)
				return cli.ExitFail
			}
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, maxTime)
	defer cancel()

	var (
		targets []Target
		runs    []OpRun
		av      Availability
		mem     []MemRow
	)
	provider := "given by each target's DSN"
	loadBefore := loadAvg() // the machine's load before this run added its own
	err = func() (err error) {
		if len(names) > 0 || len(peers) > 0 {
			own, cleanup, err := ownCopies(names, bin)
			if err != nil {
				return err
			}
			defer cleanup()
			a, err := StartArms(ctx, names, armOf, own, rows, log, stderr)
			if err != nil {
				return err
			}
			defer func() { err = errors.Join(err, a.Stop()) }()
			peerLog, _ := stderr.(*os.File)
			if err := a.StartPeers(ctx, peers, peerLog); err != nil {
				return err
			}
			targets = a.Targets
			provider = a.Provider()
		}
		targets = append(targets, urlTargets...)
		n.run.Targets = targets
		if len(names) == 0 && len(peers) == 0 && !slices.ContainsFunc(targets, func(t Target) bool { return t.Name == paired.ControlName(targets[0].Name) }) {
			log.Warn("no control: add the reference a second time as a target named " + paired.ControlName(targets[0].Name) + " to see the harness's own bias")
		}
		mem = append(mem, memRows(targets, "idle")...)
		if runs, av, err = Run(ctx, n.run); err != nil {
			return err
		}
		mem = append(mem, memRows(targets, "loaded")...)
		return nil
	}()
	if err != nil {
		log.Error("compare failed", "err", err)
		return cli.ExitFail
	}
	tnames := make([]string, len(targets))
	for i, t := range targets {
		tnames[i] = t.Name
	}
	config := [][2]string{
		{"cpu", cpuModel()},
		{"cpu-cores", fmt.Sprint(runtime.NumCPU())},
		{"crudbench-compare-loadavg-before", loadBefore},
		{"crudbench-compare-command", "crudbench compare " + strings.Join(args, " ")},
		{"paired-order", order.Design},
		{"paired-seed", fmt.Sprint(seed)},
		{"crudbench-compare-reference", tnames[0]},
		{"crudbench-compare-targets", strings.Join(tnames, ",")},
		{"crudbench-compare-postgres", provider},
		{"crudbench-compare-rows", fmt.Sprint(rows)},
		{"crudbench-compare-capacity", fmt.Sprintf("%d clients, %d slices of %s per target and op, first %.0f%% of each not counted", n.run.Clients, n.run.Slices, n.run.Slice, 100*n.run.Discard)},
		{"crudbench-compare-tail", fmt.Sprintf("%d open-loop slices of %s per target and op at %.0f%% of the slowest capacity", n.run.TailSlices, n.run.TailSlice, 100*n.run.TailFraction)},
		{"crudbench-compare-cpu", cpuPhase(n.run, len(tnames))},
	}
	for i, t := range tnames {
		if av.App[i] != "" {
			config = append(config, [2]string{"crudbench-compare-app-cpu-" + t, av.App[i]})
		}
		if av.PG[i] != "" {
			config = append(config, [2]string{"crudbench-compare-pg-cpu-" + t, av.PG[i]})
		}
	}
	w := stdout
	if out != "" {
		f, err := os.Create(out)
		if err != nil {
			fmt.Fprintln(stderr, "crudbench compare:", err)
			return cli.ExitFail
		}
		defer f.Close()
		w = f
	}
	if err := WriteN(w, config, tnames, runs, mem, seed); err != nil {
		fmt.Fprintln(stderr, "crudbench compare:", err)
		return cli.ExitFail
	}
	if err := WriteNSummary(stderr, tnames, runs, av, seed); err != nil {
		fmt.Fprintln(stderr, "crudbench compare:", err)
		return cli.ExitFail
	}
	return cli.ExitOK
}

// cpuPhase describes the slices of CPU per request at equal load.
func cpuPhase(c RunConfig, targets int) string {
	if c.CPUSlices == 0 {
		return "not run"
	}
	return fmt.Sprintf("%d slices of %s per op, every target at once at %.0f%% of the slowest capacity ÷ %d targets, open loop; "+
		"server and PostgreSQL CPU read for all targets before and after each slice, divided by the requests answered; the load generator's CPU not counted",
		c.CPUSlices, c.CPUSlice, 100*c.CPUFraction, targets)
}

// ownCopies copies each started target's executable to a file of its own,
// so that no two servers, and not this process, share code pages: a shared
// page is in the cache for both, which favours whichever runs second, and
// splits PSS between them. It returns the copies by target name.
func ownCopies(names []string, bin func(string) study.Exe) (func(string) study.Exe, func(), error) {
	dir, err := os.MkdirTemp("", "crudbench-servers-")
	if err != nil {
		return nil, nil, fmt.Errorf("making a directory for the servers' binaries: %w", err)
	}
	cleanup := func() { os.RemoveAll(dir) }
	exes := map[string]study.Exe{}
	for i, name := range names {
		exe := slices.Clone(bin(name))
		dst := filepath.Join(dir, fmt.Sprintf("crudbench-%d-%s", i, strings.ReplaceAll(name, "'", "-control")))
		if err := copyFile(dst, exe[0]); err != nil {
			cleanup()
			return nil, nil, err
		}
		exe[0] = dst
		exes[name] = exe
	}
	return func(name string) study.Exe { return exes[name] }, cleanup, nil
}

// copyFile copies the executable src to dst.
func copyFile(dst, src string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("copying a server binary: %w", err)
	}
	if err := os.WriteFile(dst, b, 0o755); err != nil {
		return fmt.Errorf("copying a server binary: %w", err)
	}
	return nil
}

// buildArm builds a crudbench binary that links only arm's library into
// dir/crudbench-ARM, unless it is there already.
func buildArm(arm, dir string, stderr io.Writer) error {
	out := filepath.Join(dir, "crudbench-"+arm)
	if _, err := os.Stat(out); err == nil {
		return nil
	}
	cmd := exec.Command("go", "build", "-tags", arms.BuildTags(arm), "-o", out, "./cmd/crudbench")
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building the %s binary (go build -tags %s ./cmd/crudbench, in the module's root): %w", arm, arms.BuildTags(arm), err)
	}
	return nil
}

// memRows measures the memory of each target whose process tree is known.
func memRows(targets []Target, at string) []MemRow {
	var out []MemRow
	for _, t := range targets {
		if t.PID == 0 {
			continue
		}
		pids, err := treePIDs(t.PID)
		if err != nil {
			continue
		}
		m, err := treeMem(pids)
		if err != nil {
			continue
		}
		row := MemRow{Target: t.Name, At: at, Mem: m}
		if fi, err := os.Stat(t.Binary); t.Binary != "" && err == nil {
			row.Binary = fi.Size()
		}
		out = append(out, row)
	}
	return out
}

// peerNames returns the names of the registered peers.
func peerNames() []string {
	var out []string
	for _, s := range peer.All() {
		out = append(out, s.Name)
	}
	return out
}

// peerList parses -peers: registered peer names, each once. With control
// set (the first peer is the reference), the first peer's control follows
// it: a second instance on its own clone, named with a trailing '.
func peerList(s string, control bool) ([]string, error) {
	var out []string
	for _, p := range splitList(s) {
		if _, ok := peer.Lookup(p); !ok {
			return nil, fmt.Errorf("-peers: %q is not a peer (%v)", p, peerNames())
		}
		if slices.Contains(out, p) {
			return nil, fmt.Errorf("-peers: %q is named twice", p)
		}
		out = append(out, p)
	}
	if control && len(out) > 0 {
		out = slices.Insert(out, 1, paired.ControlName(out[0]))
	}
	return out, nil
}

func splitList(s string) []string {
	var out []string
	for v := range strings.SplitSeq(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
