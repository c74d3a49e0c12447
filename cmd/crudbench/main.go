// Crudbench reads the results of the crudbench benchmark suite (the
// output of go test -bench in the Go benchmark format) and either gates a
// change on them or writes a report.
//
// Usage:
//
//	crudbench gate [flags] base.txt head.txt
//	crudbench report [flags] results.txt...
//	crudbench serve -arm ARM [flags]
//	crudbench load -url URL [flags]
//	crudbench study load|memory [flags]
//	crudbench compare -arms pgx,sql,ent [flags]
//	crudbench compare -base-bin BIN -head-bin BIN [flags]
//	crudbench soak [flags]
//	crudbench help [gate|report|serve|load|study|compare|soak]
//	crudbench -version
//
// Run "crudbench help gate" or "crudbench help report" for the flags and
// exit codes of each command.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/crudbench/crudbench/cmd/crudbench/internal/compare"
	"github.com/crudbench/crudbench/cmd/crudbench/internal/load"
	"github.com/crudbench/crudbench/cmd/crudbench/internal/serve"
	"github.com/crudbench/crudbench/cmd/crudbench/internal/soak"
	"github.com/crudbench/crudbench/cmd/crudbench/internal/study"
	"github.com/crudbench/crudbench/internal/arms"
)

// Exit codes shared by the commands. 1 and 2 are the gate's verdicts;
// every command ends with 3 on bad usage or input, so a script can tell
// "the gate could not decide" from "the gate was not run properly".
const (
	exitOK         = 0 // no regression / report written
	exitRegression = 1 // gate: a metric regressed
	exitUndecided  = 2 // gate: could not decide
	exitUsage      = 3 // bad flags or arguments, an unreadable or unparsable file, output not written
)

// usage is the top-level help; ARM lists the arms of package arms' table.
var usage = strings.ReplaceAll(usageText, "ARM|…", arms.Usage(arms.Names()))

const usageText = `Usage:

	crudbench gate [flags] base.txt head.txt
	crudbench report [flags] results.txt...
	crudbench serve -arm ARM|… [flags]
	crudbench load -url URL [flags]
	crudbench study load|memory [flags]
	crudbench compare -arms pgx,sql,ent [flags]
	crudbench compare -base-bin BIN -head-bin BIN [flags]
	crudbench soak [flags]
	crudbench help [gate|report|serve|load|study|compare|soak]
	crudbench -version

Commands:

	gate    compare two result sets and fail on a regression
	report  write a Markdown report with charts from result sets
	serve   serve one arm over HTTP on a seeded PostgreSQL
	load    send open-loop load at a constant rate to a server
	study   load and memory studies of every arm, each in its own process
	compare compare servers side by side: arms, builds or running servers
	        (capacity, CPU per request, tail latency, memory), or two builds
	        request by request (head/base time ratios); "pair" is an alias
	soak    every arm under long open-loop load, PostgreSQL restarted midway
	help    print this text, or the flags and exit codes of a command

Flags:

	-version  print the module version and the Go version it was built with

Inputs are go test -bench output of the crudbench suite. Run
"crudbench help COMMAND" for the flags and exit codes of a command.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// commands are the subcommands by name; each parses its own flags.
var commands = map[string]func(args []string, stdout, stderr io.Writer) int{
	"gate":    runGate,
	"report":  runReport,
	"serve":   serve.Main,
	"load":    load.Main,
	"compare": compare.Main,
	"pair":    compare.Main, // the older name
	"study":   study.Main,
	"soak":    soak.Main,
}

// run dispatches to a command and returns the process exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	if c, ok := commands[cmd]; ok {
		return c(rest, stdout, stderr)
	}
	switch cmd {
	case "-version", "--version", "version":
		fmt.Fprintln(stdout, version())
		return exitOK
	case "help", "-h", "-help", "--help":
		if len(rest) == 0 {
			fmt.Fprint(stdout, usage)
			return exitOK
		}
		if c, ok := commands[rest[0]]; ok {
			return c([]string{"-h"}, stdout, stdout)
		}
		fmt.Fprintf(stderr, "crudbench help: unknown command %q\n\n%s", rest[0], usage)
		return exitUsage
	}
	fmt.Fprintf(stderr, "crudbench: unknown command %q\n\n%s", cmd, usage)
	return exitUsage
}

// version returns the module version crudbench was built from, "(devel)"
// for a build from a checkout, and the Go version.
func version() string {
	v := "(devel)"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		v = bi.Main.Version
	}
	return fmt.Sprintf("crudbench %s %s", v, runtime.Version())
}

// parse sets the usage text of a command's flags, the flag defaults
// between intro and exitCodes, and parses args. If it returns !ok the
// command ends with code: exitOK after -h, exitUsage after a bad flag.
func parse(fs *flag.FlagSet, args []string, intro, exitCodes string) (code int, ok bool) {
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), intro)
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), exitCodes)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, false
		}
		return exitUsage, false
	}
	return 0, true
}
