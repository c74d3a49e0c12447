// Package progress tells the person waiting for a long benchmark run what
// it is doing, while the results go to a file. go test merges the test
// binary's stderr into its stdout, so "go test -bench . > new.txt" would
// put anything written to stderr into the results; progress therefore
// writes to the controlling terminal (/dev/tty), and only when the results
// themselves are not already on that terminal.
//
// CRUDBENCH_PROGRESS chooses:
//
//	auto (default)  /dev/tty, if it opens and stdout does not reach a terminal; else nothing
//	on, 1           /dev/tty if it opens, else stderr
//	stderr          stderr (for a test binary run directly, its stderr apart from its stdout)
//	off, 0          nothing
//
// Every line starts with "[crudbench", so it is never a benchmark result
// ("Benchmark…") nor a configuration line ("key: value") to benchstat,
// wherever it lands.
package progress

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Env is the environment variable that turns progress on or off.
const Env = "CRUDBENCH_PROGRESS"

// Namer is what Leaf and Family need of a benchmark: *testing.B is one.
type Namer interface{ Name() string }

// Reporter writes progress lines. Its methods are safe for concurrent use;
// a Reporter with a nil writer writes nothing.
type Reporter struct {
	w     io.Writer
	now   func() time.Time
	start time.Time
	match func(name string) bool // whether -test.bench selects a benchmark name

	mu       sync.Mutex
	seen     map[string]bool // leaves already reported
	leaves   int             // leaves started
	families map[string]*family
}

type family struct {
	total, started int
}

// New returns a Reporter writing to w (nil for none), timing from now()
// and counting only the declared leaves that match selects (nil: all).
func New(w io.Writer, now func() time.Time, selects func(name string) bool) *Reporter {
	if selects == nil {
		selects = func(string) bool { return true }
	}
	return &Reporter{w: w, now: now, start: now(), match: selects, seen: map[string]bool{}, families: map[string]*family{}}
}

// Family declares the leaves family b will run, named relative to it
// ("arm=pgx/op=read"), so that Leaf can say "3 of 15". Leaves the -bench
// filter does not select are not counted. Call it in the family's
// function before its b.Run calls.
func (r *Reporter) Family(b Namer, leaves ...string) {
	name := b.Name()
	n := 0
	for _, l := range leaves {
		if r.match(name + "/" + l) {
			n++
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.families[name]; !ok {
		r.families[name] = &family{total: n}
	}
}

// Leaf reports that leaf benchmark b starts. The testing package calls a
// leaf's function several times (rising b.N, each -count); only the
// first call prints.
func (r *Reporter) Leaf(b Namer) {
	name := b.Name()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen[name] {
		return
	}
	r.seen[name] = true
	r.leaves++
	msg := fmt.Sprintf("leaf %d", r.leaves)
	if fam, f := r.familyOf(name); f != nil {
		f.started++
		if f.started <= f.total {
			msg += fmt.Sprintf(", %d of %d in %s", f.started, f.total, fam)
		}
	}
	r.printLocked(msg + ": " + name)
}

// familyOf returns the declared family that name is a leaf of, if any.
func (r *Reporter) familyOf(name string) (string, *family) {
	for i := len(name); i > 0; i = strings.LastIndexByte(name[:i], '/') {
		if f, ok := r.families[name[:i]]; ok && i < len(name) {
			return name[:i], f
		}
	}
	return "", nil
}

// Step reports a long step outside any benchmark's timing, such as
// seeding: "seeding 10000 users…".
func (r *Reporter) Step(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.printLocked(msg)
}

func (r *Reporter) printLocked(msg string) {
	if r.w == nil {
		return
	}
	d := r.now().Sub(r.start).Round(time.Second)
	// Write errors are ignored: progress must never fail a benchmark.
	_, _ = fmt.Fprintf(r.w, "[crudbench %s] %s\n", clock(d), strings.ReplaceAll(msg, "\n", " "))
}

// clock formats a duration as m:ss, or h:mm:ss from an hour.
func clock(d time.Duration) string {
	s := int(d / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

var (
	defaultOnce sync.Once
	defaultRep  *Reporter
	processT0   = time.Now()
)

// Default returns the Reporter of the process, set up from Env on first
// use, timing from the start of the process and filtering by -test.bench.
func Default() *Reporter {
	defaultOnce.Do(func() {
		defaultRep = New(output(os.Getenv(Env)), time.Now, benchFilter())
		defaultRep.start = processT0
	})
	return defaultRep
}

// Family declares the leaves of family b on the Default Reporter.
func Family(b Namer, leaves ...string) { Default().Family(b, leaves...) }

// Leaf reports the start of leaf benchmark b on the Default Reporter.
func Leaf(b Namer) { Default().Leaf(b) }

// Step reports a long setup step on the Default Reporter.
func Step(msg string) { Default().Step(msg) }

// Mode is where progress goes, as chosen by Env.
type Mode int

// The modes of Env.
const (
	Auto   Mode = iota // the terminal, unless the results already go there
	On                 // the terminal, else stderr
	Stderr             // stderr
	Off                // nowhere
)

// ParseMode reads a value of Env; unknown values are Auto.
func ParseMode(v string) Mode {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "on", "1", "true", "yes", "tty":
		return On
	case "stderr":
		return Stderr
	case "off", "0", "false", "no":
		return Off
	}
	return Auto
}

// output returns the writer for a value of Env, or nil for none.
func output(env string) io.Writer {
	switch ParseMode(env) {
	case Off:
		return nil
	case Stderr:
		return os.Stderr
	case On:
		if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
			return tty
		}
		return os.Stderr
	}
	if resultsOnTerminal() {
		return nil
	}
	if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
		return tty
	}
	return nil
}

// resultsOnTerminal reports whether the benchmark results are shown on a
// terminal anyway: stdout is one, or stdout is a pipe to the go command
// (go test) whose own stdout is one. Linux's /proc tells the latter;
// elsewhere the answer is no.
func resultsOnTerminal() bool {
	fi, err := os.Stdout.Stat()
	if err != nil {
		return false
	}
	if isTerminal(fi) {
		return true
	}
	if fi.Mode()&os.ModeNamedPipe == 0 {
		return false
	}
	parent := fmt.Sprintf("/proc/%d/", os.Getppid())
	if exe, err := os.Readlink(parent + "exe"); err != nil || strings.TrimSuffix(filepath.Base(exe), ".exe") != "go" {
		return false
	}
	pfi, err := os.Stat(parent + "fd/1")
	return err == nil && isTerminal(pfi)
}

// isTerminal reports whether a file is a character device other than
// /dev/null: a terminal, for all practical purposes.
func isTerminal(fi os.FileInfo) bool {
	if fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	null, err := os.Stat(os.DevNull)
	return err != nil || !os.SameFile(fi, null)
}

// benchFilter returns the -test.bench filter as go test applies it, or
// nil when there is none.
func benchFilter() func(string) bool {
	f := flag.Lookup("test.bench")
	if f == nil || f.Value.String() == "" {
		return nil
	}
	m, err := Matcher(f.Value.String())
	if err != nil {
		return nil
	}
	return m
}

// Matcher returns a function reporting whether go test's -bench pattern
// selects a benchmark name: the pattern is split at slashes (and at "|"
// into alternatives) outside brackets and parentheses, and each part
// must match the name's element at the same level.
func Matcher(pattern string) (func(name string) bool, error) {
	var alts [][]*regexp.Regexp
	for _, alt := range split(pattern) {
		var res []*regexp.Regexp
		for _, part := range alt {
			re, err := regexp.Compile(part)
			if err != nil {
				return nil, fmt.Errorf("compiling the -bench pattern %q: %w", pattern, err)
			}
			res = append(res, re)
		}
		alts = append(alts, res)
	}
	return func(name string) bool {
		elems := strings.Split(name, "/")
		for _, res := range alts {
			ok := true
			for i, re := range res {
				if i < len(elems) && !re.MatchString(elems[i]) {
					ok = false
					break
				}
			}
			if ok {
				return true
			}
		}
		return false
	}, nil
}

// split splits a -bench pattern the way the testing package does.
func split(s string) [][]string {
	var alts [][]string
	var parts []string
	brackets, parens := 0, 0
	for i := 0; i < len(s); {
		switch s[i] {
		case '[':
			brackets++
		case ']':
			brackets = max(brackets-1, 0)
		case '(':
			if brackets == 0 {
				parens++
			}
		case ')':
			if brackets == 0 {
				parens--
			}
		case '\\':
			i++
		case '/', '|':
			if brackets == 0 && parens == 0 {
				parts = append(parts, s[:i])
				if s[i] == '|' {
					alts, parts = append(alts, parts), nil
				}
				s, i = s[i+1:], 0
				continue
			}
		}
		i++
	}
	return append(alts, append(parts, s))
}
