package crudbench_test

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"net"
	"net/url"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/crudbench/crudbench/internal/apitest"
	"github.com/crudbench/crudbench/internal/pgserver"
	"github.com/crudbench/crudbench/internal/pgtest"
	"github.com/jackc/pgx/v5"
)

// TestListenersAreLoopback checks that what tests start listens on
// 127.0.0.1 only: the HTTP servers of the arms, PostgreSQL (the local
// cluster, or the host side of the container's port), and every listener
// the module's code opens.
func TestListenersAreLoopback(t *testing.T) {
	t.Run("httptest", func(t *testing.T) {
		s := apitest.MustServeSeeded(t, "pgx", apitest.Options{})
		addr := s.Addr().(*net.TCPAddr)
		if !addr.IP.Equal(net.IPv4(127, 0, 0, 1)) {
			t.Errorf("the arm's test server listens on %s, want 127.0.0.1", addr)
		}
	})

	t.Run("postgres", func(t *testing.T) {
		server := pgtest.Server(t)
		u, err := url.Parse(server.DSN("postgres"))
		if err != nil {
			t.Fatal(err)
		}
		if server.Provider() != pgserver.ProviderDSN && u.Hostname() != "127.0.0.1" {
			t.Errorf("PostgreSQL is reached at %s, want 127.0.0.1", u.Host)
		}
		switch server.Provider() {
		case pgserver.ProviderLocal:
			ctx := context.Background()
			conn, err := pgx.Connect(ctx, server.DSN("postgres"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			var listen string
			if err := conn.QueryRow(ctx, "SHOW listen_addresses").Scan(&listen); err != nil {
				t.Fatal(err)
			}
			if listen != "127.0.0.1" {
				t.Errorf("the local cluster has listen_addresses = %q, want 127.0.0.1", listen)
			}
		case pgserver.ProviderDocker:
			out, err := exec.Command("docker", "ps", "--filter", "label=crudbench=1", "--format", "{{.Ports}}").Output()
			if err != nil {
				t.Fatalf("docker ps: %v", err)
			}
			found := false
			for line := range strings.Lines(string(out)) {
				for binding := range strings.SplitSeq(strings.TrimSpace(line), ", ") {
					if host, _, ok := strings.Cut(binding, "->"); ok && strings.HasSuffix(host, ":"+u.Port()) {
						found = true
						if host != "127.0.0.1:"+u.Port() {
							t.Errorf("the container publishes PostgreSQL on %s, want 127.0.0.1:%s", host, u.Port())
						}
					}
				}
			}
			if !found {
				t.Errorf("no crudbench container publishes port %s:\n%s", u.Port(), out)
			}
		}
	})

	t.Run("source", func(t *testing.T) {
		for _, bad := range nonLoopbackListeners(t, ".") {
			t.Error(bad)
		}
	})
}

// listenFuncs are the functions that open a listener, and the index of
// their address argument.
var listenFuncs = map[string]int{
	"net.Listen": 1, "net.ListenPacket": 1, "net.ListenTCP": 1, "net.ListenUDP": 1,
	"http.ListenAndServe": 0, "http.ListenAndServeTLS": 0,
}

// flagListeners are files whose listener address comes from a flag and is
// checked at run time: crudbench serve listens on loopback unless given
// -public (cmd/crudbench/internal/serve, TestCheckAddr).
var flagListeners = map[string]bool{"cmd/crudbench/internal/serve/serve.go": true}

// listenSetting is PostgreSQL's setting of the addresses it listens on,
// spelled in two literals so that the scan below does not find itself.
const listenSetting = "listen_" + "addresses="

// nonLoopbackListeners scans the Go files under root (not testdata) for
// listeners and PostgreSQL listen_addresses settings that are not
// 127.0.0.1, or whose host is not constant and so cannot be checked.
func nonLoopbackListeners(t *testing.T, root string) []string {
	t.Helper()
	var bad []string
	var listeners int
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				sel, ok := n.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				pkg, ok := sel.X.(*ast.Ident)
				if !ok {
					return true
				}
				i, ok := listenFuncs[pkg.Name+"."+sel.Sel.Name]
				if !ok || i >= len(n.Args) {
					return true
				}
				listeners++
				arg := n.Args[i]
				// "127.0.0.1:" + port: a constant loopback host, the port
				// computed.
				if bin, isBin := arg.(*ast.BinaryExpr); isBin && bin.Op == token.ADD {
					if l, isLit := bin.X.(*ast.BasicLit); isLit && l.Value == `"127.0.0.1:"` {
						return true
					}
				}
				lit, ok := arg.(*ast.BasicLit)
				addr, err := strconv.Unquote(func() string {
					if ok {
						return lit.Value
					}
					return ""
				}())
				host, _, splitErr := net.SplitHostPort(addr)
				if (!ok || err != nil || splitErr != nil || host != "127.0.0.1") && !flagListeners[filepath.ToSlash(path)] {
					bad = append(bad, fset.Position(n.Pos()).String()+": "+pkg.Name+"."+sel.Sel.Name+" on an address that is not a constant 127.0.0.1:port")
				}
			case *ast.BasicLit:
				if v, err := strconv.Unquote(n.Value); err == nil && strings.Contains(v, listenSetting) {
					_, after, _ := strings.Cut(v, listenSetting)
					if value, _, _ := strings.Cut(after, " "); value != "127.0.0.1" {
						bad = append(bad, fset.Position(n.Pos()).String()+": PostgreSQL "+listenSetting+value+", want 127.0.0.1")
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if listeners == 0 {
		bad = append(bad, "found no listener in the source: the scan is broken (internal/pgserver opens some)")
	}
	t.Logf("%d listeners in the source", listeners)
	return bad
}
