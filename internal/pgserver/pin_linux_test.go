package pgserver

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/crudbench/crudbench/internal/cpus"
	"github.com/jackc/pgx/v5"
	"github.com/moby/moby/client"
)

// pinTarget returns the first of this process's CPUs, skipping the test
// when it has fewer than two: pinning to one of one shows nothing.
func pinTarget(t *testing.T) []int {
	t.Helper()
	avail, err := cpus.Available()
	if err != nil {
		t.Fatal(err)
	}
	if len(avail) < 2 {
		t.Skipf("this process may use %d CPU; pinning needs two to show", len(avail))
	}
	return avail[:1]
}

// checkPinned checks that a new backend of s and every process of the tree
// at root run on want.
func checkPinned(t *testing.T, s *Server, root func() int, hostBackend bool, want []int, when string) {
	t.Helper()
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, s.DSN("postgres"))
	if err != nil {
		t.Fatalf("%s: connect: %v", when, err)
	}
	defer conn.Close(ctx)
	var backend int
	if err := conn.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&backend); err != nil {
		t.Fatalf("%s: %v", when, err)
	}
	pids := []int{root()}
	if hostBackend {
		pids = append(pids, backend) // a container's pids are its own
	}
	for _, p := range pids {
		if got, err := cpus.Of(p); err != nil || !slices.Equal(got, want) {
			t.Errorf("%s: process %d runs on %v (%v), want %v", when, p, got, err, want)
		}
	}
}

func TestLocalPinCPUs(t *testing.T) {
	want := pinTarget(t)
	if _, err := findBindir(); err != nil {
		t.Skipf("no PostgreSQL binaries: %v", err)
	}
	ctx := t.Context()
	s, err := startLocal(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop(context.Background()) })
	l := s.impl.(*local)
	postmaster := func() int {
		data, err := os.ReadFile(l.data() + "/postmaster.pid")
		if err != nil {
			t.Fatal(err)
		}
		var pid int
		if _, err := fmt.Sscan(string(data), &pid); err != nil {
			t.Fatal(err)
		}
		return pid
	}
	if err := s.PinCPUs(ctx, want); err != nil {
		t.Fatal(err)
	}
	checkPinned(t, s, postmaster, true, want, "after PinCPUs")
	if err := s.Halt(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	checkPinned(t, s, postmaster, true, want, "after Halt and Resume")
}

func TestDockerPinCPUs(t *testing.T) {
	want := pinTarget(t)
	image := dockerTestImage(t)
	ctx := t.Context()
	s, err := startDocker(ctx, image, Options{Logger: dockerTestLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop(context.Background()) })
	b := s.impl.(*dockerBackend)
	root := func() int {
		res, err := b.cli.ContainerInspect(ctx, b.id, client.ContainerInspectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return res.Container.State.Pid
	}
	if err := s.PinCPUs(ctx, want); err != nil {
		t.Fatal(err)
	}
	checkPinned(t, s, root, false, want, "after PinCPUs")
	if err := s.Halt(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	checkPinned(t, s, root, false, want, "after Halt and Resume")
}

func TestDSNPinCPUs(t *testing.T) {
	s, err := fromDSN("postgres://u@127.0.0.1:1/db")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PinCPUs(t.Context(), []int{0}); err != ErrNotSupported {
		t.Errorf("PinCPUs on a server given by DSN = %v, want ErrNotSupported", err)
	}
}
