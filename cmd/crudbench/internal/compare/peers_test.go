package compare

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crudbench/crudbench/cmd/crudbench/internal/cli"
	"github.com/crudbench/crudbench/cmd/crudbench/internal/serve"
	"github.com/crudbench/crudbench/internal/peer"
)

func TestPeerList(t *testing.T) {
	for _, c := range []struct {
		in      string
		control bool
		want    []string
		err     string
	}{
		{in: "", control: true, want: nil},
		{in: "rust, flask-raw-gunicorn", control: false, want: []string{"rust", "flask-raw-gunicorn"}},
		{in: "rust,flask-raw-gunicorn", control: true, want: []string{"rust", "rust'", "flask-raw-gunicorn"}},
		{in: "flask-orm-dev", control: true, want: []string{"flask-orm-dev", "flask-orm-dev'"}},
		{in: "django", err: `"django" is not a peer`},
		{in: "pgx", err: `"pgx" is not a peer`},
		{in: "rust,rust", err: `"rust" is named twice`},
		{in: "rust'", err: `is not a peer`},
	} {
		got, err := peerList(c.in, c.control)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("peerList(%q): error %v, want one saying %s", c.in, err, c.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("peerList(%q, %v) = %q, %v; want %q", c.in, c.control, got, err, c.want)
		}
	}
}

func TestPeersFlag(t *testing.T) {
	var stderr bytes.Buffer
	if code := Main([]string{"-peers", "rust,nosuch"}, &bytes.Buffer{}, &stderr); code != cli.ExitUsage {
		t.Fatalf("exit %d, want %d (bad flags); stderr: %s", code, cli.ExitUsage, stderr.String())
	}
	if !strings.Contains(stderr.String(), `"nosuch" is not a peer`) || !strings.Contains(stderr.String(), "flask-raw-gunicorn") {
		t.Errorf("stderr %q: want the unknown name and the known peers", stderr.String())
	}
	stderr.Reset()
	if code := Main([]string{"-peers", "rust", "-base", "http://x"}, &bytes.Buffer{}, &stderr); code != cli.ExitUsage {
		t.Errorf("-peers with -base: exit %d, want %d; stderr: %s", code, cli.ExitUsage, stderr.String())
	}
}

func TestPeersOnClonesOfTheSeed(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL and two peers")
	}
	spec, ok := peer.Lookup("flask-raw-gunicorn")
	if !ok {
		t.Fatal("flask-raw-gunicorn is not registered")
	}
	if why := spec.Missing(); why != "" {
		t.Skip(why)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rows := serve.MinRows
	a, err := StartArms(ctx, nil, nil, nil, rows, log, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := a.Stop(); err != nil {
			t.Error(err)
		}
	}()
	names, err := peerList(spec.Name, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.StartPeers(ctx, names, nil); err != nil {
		t.Fatal(err)
	}
	if len(a.Targets) != 2 || a.Targets[0].DSN == a.Targets[1].DSN || a.Targets[1].Name != spec.Name+"'" {
		t.Fatalf("targets %+v: want the peer and its control, each on a database of its own", a.Targets)
	}
	for _, tg := range a.Targets {
		checkServesSeed(ctx, t, tg, rows)
		if pids, err := treePIDs(tg.PID); runtime.GOOS == "linux" && (err != nil || len(pids) < 2) {
			t.Errorf("%s: process tree %v (%v): want gunicorn's master and its workers", tg.Name, pids, err)
		}
	}
}
