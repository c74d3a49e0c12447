// Package cli holds what the serve, load and study commands share: their
// exit codes and how they parse their flags.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
)

// Exit codes, as for every crudbench command.
const (
	ExitOK    = 0 // done
	ExitFail  = 1 // the run failed
	ExitUsage = 3 // bad flags or arguments
)

// Parse sets the usage text of fs (intro, then the flag defaults), with
// output to stderr, and parses args. If ok is false the command ends with
// code: ExitOK after -h, ExitUsage after a bad flag.
func Parse(fs *flag.FlagSet, args []string, stderr io.Writer, intro string) (code int, ok bool) {
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), intro)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK, false
		}
		return ExitUsage, false
	}
	return ExitOK, true
}

// Logger returns the text logger the commands write to stderr.
func Logger(stderr io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(stderr, nil))
}
