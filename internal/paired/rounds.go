package paired

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// EnvRounds names a directory into which every paired run writes its
// requests, one CSV file per run (WriteRounds); unset writes none. The
// reported ratios summarise each run in a few numbers; the file keeps what
// they summarise, to look at a distribution or try another estimator.
const EnvRounds = "CRUDBENCH_PAIRED_ROUNDS"

// WriteCSV writes every request of r, a line per round under a header:
// the round (from 0), then each target's latency in nanoseconds, then each
// target's place in the round's order (0 went first), in columns named
// "pos:" and the target's name.
func (r *Result) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	head := []string{"round"}
	head = append(head, r.Names...)
	for _, n := range r.Names {
		head = append(head, "pos:"+n)
	}
	if err := cw.Write(head); err != nil {
		return fmt.Errorf("paired: writing the rounds' header: %w", err)
	}
	rounds := 0
	if len(r.Lat) > 0 {
		rounds = len(r.Lat[0])
	}
	line := make([]string, len(head))
	for i := range rounds {
		line[0] = strconv.Itoa(i)
		for t := range r.Names {
			line[1+t] = strconv.FormatInt(int64(r.Lat[t][i]), 10)
			pos := ""
			if t < len(r.Pos) && i < len(r.Pos[t]) {
				pos = strconv.Itoa(r.Pos[t][i])
			}
			line[1+len(r.Names)+t] = pos
		}
		if err := cw.Write(line); err != nil {
			return fmt.Errorf("paired: writing round %d: %w", i, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("paired: writing the rounds: %w", err)
	}
	return nil
}

// WriteRounds writes r to a new file in dir, named after the run
// ("op=relation/posts=10" becomes "op=relation_posts=10-1.csv") with the
// first number not yet taken, so that the runs of a -count never overwrite
// each other or an earlier run's files. It creates dir if needed and
// returns the file's path.
func WriteRounds(dir, run string, r *Result) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("paired: creating the rounds' directory %s=%q: %w", EnvRounds, dir, err)
	}
	base := strings.NewReplacer("/", "_", `\`, "_", ":", "_", " ", "_").Replace(run)
	for k := 1; ; k++ {
		path := filepath.Join(dir, fmt.Sprintf("%s-%d.csv", base, k))
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("paired: creating the rounds' file: %w", err)
		}
		werr := r.WriteCSV(f)
		if cerr := f.Close(); werr == nil && cerr != nil {
			werr = fmt.Errorf("paired: closing %s: %w", path, cerr)
		}
		if werr != nil {
			return "", fmt.Errorf("%w (in %s)", werr, path)
		}
		return path, nil
	}
}
