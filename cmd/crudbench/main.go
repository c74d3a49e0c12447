// Crudbench reads the results of the crudbench benchmark suite (the
// output of go test -bench in the Go benchmark format) and either gates a
// change on them or writes a report.
//
// Usage:
//
//	crudbench gate [flags] base.txt head.txt
//	crudbench report [flags] results.txt...
//
// Run "crudbench help gate" or "crudbench help report" for the flags and
// exit codes of each command.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/crudbench/crudbench/cmd/crudbench/internal/load"
	"github.com/crudbench/crudbench/cmd/crudbench/internal/serve"
	"github.com/crudbench/crudbench/cmd/crudbench/internal/study"
)

// Exit codes shared by the commands.
const (
	exitOK         = 0 // no regression / report written
	exitRegression = 1 // gate: a metric regressed
	exitUsage      = 2 // usage or input error, or gate could not decide
)

const usage = `Usage:

	crudbench gate [flags] base.txt head.txt
	crudbench report [flags] results.txt...
	crudbench serve -arm pgx|sql|ent [flags]
	crudbench load -url URL -rate N [flags]
	crudbench study load|memory [flags]
	crudbench help [gate|report]

Commands:

	gate    compare two result sets and fail on a regression
	report  write a Markdown report with charts from result sets
	serve   serve one arm over HTTP on a seeded PostgreSQL
	load    send open-loop load at a constant rate to a server
	study   load and memory studies of every arm, each in its own process

Inputs are go test -bench output of the crudbench suite. Run
"crudbench help COMMAND" for the flags and exit codes of a command.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches to a command and returns the process exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "gate":
		return runGate(rest, stdout, stderr)
	case "report":
		return runReport(rest, stdout, stderr)
	case "serve":
		return serve.Main(rest, stdout, stderr)
	case "load":
		return load.Main(rest, stdout, stderr)
	case "study":
		return study.Main(rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		switch {
		case len(rest) == 0:
			fmt.Fprint(stdout, usage)
			return exitOK
		case rest[0] == "gate":
			return runGate([]string{"-h"}, stdout, stdout)
		case rest[0] == "report":
			return runReport([]string{"-h"}, stdout, stdout)
		}
		fmt.Fprintf(stderr, "crudbench help: unknown command %q\n\n%s", rest[0], usage)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "crudbench: unknown command %q\n\n%s", cmd, usage)
		return exitUsage
	}
}
