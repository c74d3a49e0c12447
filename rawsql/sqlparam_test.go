package rawsql

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/printer"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// sqlMethods are the methods, of any type, that send a statement given as
// a string: pgx's pool, connection and transaction, database/sql's DB, Conn
// and Tx, ent's driver. Their statement is the string parameter named sql
// or query, else their first string parameter.
var sqlMethods = map[string]bool{
	"Query": true, "QueryRow": true, "Exec": true, "Prepare": true,
	"QueryContext": true, "QueryRowContext": true, "ExecContext": true, "PrepareContext": true,
}

// sqlCheck is the result of checking a package.
type sqlCheck struct {
	calls      []string // statement arguments found, by position
	violations []string // those that are not constants, by position
}

// checkSQLParams finds every call in files that sends a statement and
// checks that the statement is a constant expression: literals and
// constants, joined by + if need be. A statement that is a parameter of
// the calling function makes that function a sender too, checked at each
// of its call sites in turn; anything else (fmt.Sprintf, a variable,
// concatenation with a variable) is a violation.
func checkSQLParams(fset *token.FileSet, info *types.Info, files []*ast.File) sqlCheck {
	// Derived senders: functions of the package and which parameter of
	// theirs is a statement.
	derived := map[*types.Func]int{}
	stmtParam := func(fn *types.Func) (int, bool) {
		if i, ok := derived[fn]; ok {
			return i, true
		}
		sig, ok := fn.Type().(*types.Signature)
		if !ok || !sqlMethods[fn.Name()] || sig.Recv() == nil {
			return 0, false
		}
		first := -1
		for i := range sig.Params().Len() {
			p := sig.Params().At(i)
			if b, ok := p.Type().Underlying().(*types.Basic); !ok || b.Kind() != types.String {
				continue
			}
			if p.Name() == "sql" || p.Name() == "query" {
				return i, true
			}
			if first < 0 {
				first = i
			}
		}
		return first, first >= 0
	}
	var result sqlCheck
	for changed := true; changed; {
		changed = false
		result = sqlCheck{}
		for _, f := range files {
			ast.Inspect(f, func(n ast.Node) bool {
				decl, ok := n.(*ast.FuncDecl)
				if !ok {
					return true
				}
				caller, _ := info.Defs[decl.Name].(*types.Func)
				ast.Inspect(decl, func(n ast.Node) bool {
					call, ok := n.(*ast.CallExpr)
					if !ok {
						return true
					}
					var id *ast.Ident
					switch fun := ast.Unparen(call.Fun).(type) {
					case *ast.Ident:
						id = fun
					case *ast.SelectorExpr:
						id = fun.Sel
					default:
						return true
					}
					fn, ok := info.Uses[id].(*types.Func)
					if !ok {
						return true
					}
					i, ok := stmtParam(fn)
					if !ok || i >= len(call.Args) {
						return true
					}
					arg := call.Args[i]
					where := fmt.Sprintf("%s: %s(…%s…)", fset.Position(arg.Pos()), fn.Name(), exprString(fset, arg))
					result.calls = append(result.calls, where)
					if tv, ok := info.Types[arg]; ok && tv.Value != nil {
						return true // a constant
					}
					if param := paramIndex(info, caller, arg); param >= 0 {
						if _, known := derived[caller]; !known {
							derived[caller] = param
							changed = true
						}
						return true // checked where caller is called
					}
					result.violations = append(result.violations, where)
					return true
				})
				return false
			})
		}
	}
	return result
}

// paramIndex returns the index of the parameter of fn that arg names, or -1.
func paramIndex(info *types.Info, fn *types.Func, arg ast.Expr) int {
	id, ok := ast.Unparen(arg).(*ast.Ident)
	if !ok || fn == nil {
		return -1
	}
	v, ok := info.Uses[id].(*types.Var)
	if !ok {
		return -1
	}
	params := fn.Type().(*types.Signature).Params()
	for i := range params.Len() {
		if params.At(i) == v {
			return i
		}
	}
	return -1
}

func exprString(fset *token.FileSet, e ast.Expr) string {
	var b bytes.Buffer
	printer.Fprint(&b, fset, e)
	s := b.String()
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return s
}

// exportImporter returns an importer reading the compiler's export data of
// patterns and everything they depend on, as go list reports it.
func exportImporter(t *testing.T, fset *token.FileSet, patterns ...string) types.Importer {
	t.Helper()
	args := append([]string{"list", "-export", "-deps", "-f", "{{if .Export}}{{.ImportPath}}={{.Export}}{{end}}"}, patterns...)
	out, err := exec.Command("go", args...).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("go list -export: %v\n%s", err, stderr)
	}
	exports := map[string]string{}
	for line := range strings.Lines(string(out)) {
		if path, file, ok := strings.Cut(strings.TrimSpace(line), "="); ok {
			exports[path] = file
		}
	}
	return importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		if file, ok := exports[path]; ok {
			return os.Open(file)
		}
		return nil, fmt.Errorf("no export data for %s", path)
	})
}

// typeCheck parses the named files (all in one package) and type-checks
// them.
func typeCheck(t *testing.T, fset *token.FileSet, imp types.Importer, path string, sources map[string]string) (*types.Info, []*ast.File) {
	t.Helper()
	var files []*ast.File
	for name, src := range sources {
		f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Defs: map[*ast.Ident]types.Object{}, Uses: map[*ast.Ident]types.Object{}}
	if _, err := (&types.Config{Importer: imp}).Check(path, fset, files, info); err != nil {
		t.Fatalf("type-checking %s: %v", path, err)
	}
	return info, files
}

// packageSources reads the non-test Go files of dir.
func packageSources(t *testing.T, dir string) map[string]string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	sources := map[string]string{}
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		sources[name] = string(b)
	}
	return sources
}

// TestSQLIsParameterised checks that rawsql, and ent/store.go, send only
// constant statements: every value reaches PostgreSQL as a bind parameter,
// never spliced into the SQL text.
func TestSQLIsParameterised(t *testing.T) {
	fset := token.NewFileSet()
	imp := exportImporter(t, fset, ".", "../ent")

	t.Run("rawsql", func(t *testing.T) {
		info, files := typeCheck(t, fset, imp, "github.com/crudbench/crudbench/rawsql", packageSources(t, "."))
		res := checkSQLParams(fset, info, files)
		for _, v := range res.violations {
			t.Errorf("statement built at run time, not a constant: %s", v)
		}
		// Each of the 11 statements is sent once, by the store both arms share.
		if len(res.calls) < 11 {
			t.Errorf("found only %d statements sent; the check missed some:\n\t%s", len(res.calls), strings.Join(res.calls, "\n\t"))
		}
		t.Logf("%d statement arguments checked", len(res.calls))
	})
	t.Run("ent/store.go", func(t *testing.T) {
		info, files := typeCheck(t, fset, imp, "github.com/crudbench/crudbench/ent", packageSources(t, "../ent"))
		res := checkSQLParams(fset, info, files)
		var inStore int
		for _, c := range res.calls {
			if strings.HasPrefix(filepath.Base(c), "store.go:") {
				inStore++
			}
		}
		for _, v := range res.violations {
			if strings.HasPrefix(filepath.Base(v), "store.go:") {
				t.Errorf("statement built at run time, not a constant: %s", v)
			}
		}
		// ent's generated code sends what its builders render, with
		// placeholders; only the hand-written store is held to constants.
		t.Logf("store.go sends %d statements of its own; the rest goes through ent's builders (%d statement arguments in the package)", inStore, len(res.calls))
	})
}

// TestSQLCheckCatches runs the check on code that splices values into SQL
// in every way it should catch, and on code that does not.
func TestSQLCheckCatches(t *testing.T) {
	const src = `package fixture

import (
	"context"
	"fmt"
)

type DB interface {
	QueryContext(ctx context.Context, query string, args ...any) error
	Exec(ctx context.Context, sql string, args ...any) error
}

const cols = "id, name"

func constant(db DB, id int)                { db.QueryContext(nil, "SELECT "+cols+" FROM users WHERE id = $1", id) }
func viaParam(db DB, stmt string, a ...any) { db.Exec(nil, stmt, a...) }
func callsWithConstant(db DB)               { viaParam(db, "DELETE FROM users WHERE id = $1", 1) }
func callsWithVariable(db DB, table string) { viaParam(db, "DELETE FROM "+table) }
func sprintf(db DB, id int)                 { db.QueryContext(nil, fmt.Sprintf("SELECT * FROM users WHERE id = %d", id)) }
func concatenation(db DB, name string)      { db.Exec(nil, "SELECT * FROM users WHERE name = '"+name+"'") }
func localVariable(db DB) {
	q := "SELECT 1"
	db.Exec(nil, q)
}
`
	fset := token.NewFileSet()
	info, files := typeCheck(t, fset, exportImporter(t, fset, "context", "fmt"), "fixture", map[string]string{"fixture.go": src})
	res := checkSQLParams(fset, info, files)
	want := []string{"callsWithVariable", "sprintf", "concatenation", "localVariable"}
	if len(res.violations) != len(want) {
		t.Errorf("violations:\n\t%s\nwant one in each of %v", strings.Join(res.violations, "\n\t"), want)
	}
	for _, fn := range want {
		line := 0
		for i, l := range strings.Split(src, "\n") {
			if strings.HasPrefix(l, "func "+fn+"(") {
				line = i + 1
			}
		}
		found := false
		for _, v := range res.violations {
			// The violation is on the function's line, or just below it.
			found = found || strings.HasPrefix(v, fmt.Sprintf("fixture.go:%d:", line)) || strings.HasPrefix(v, fmt.Sprintf("fixture.go:%d:", line+2))
		}
		if !found {
			t.Errorf("no violation reported in %s (line %d)", fn, line)
		}
	}
}
