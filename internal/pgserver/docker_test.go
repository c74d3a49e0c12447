package pgserver

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// dockerTestImage returns the image named by EnvImage, skipping the test
// when it is unset or Docker cannot run it.
func dockerTestImage(t *testing.T) string {
	t.Helper()
	image := os.Getenv(EnvImage)
	if image == "" {
		t.Skipf("%s is not set (e.g. %s=crudbench/postgres:15-local, built by testdata/pgimage/build.sh)", EnvImage, EnvImage)
	}
	if ok, why := dockerUsable(t.Context(), image); !ok {
		t.Skipf("docker not usable: %s", why)
	}
	return image
}

func dockerTestLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), nil))
}

// dockerLabelledContainers lists the IDs of all containers labelled crudbench=1.
func dockerLabelledContainers(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("docker", "ps", "-a", "-q", "--no-trunc", "--filter", "label="+dockerLabel+"=1").Output()
	if err != nil {
		t.Fatalf("docker ps: %v", err)
	}
	return strings.Fields(string(out))
}

func dockerQueryVersion(ctx context.Context, dsn string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	var v string
	err = conn.QueryRow(ctx, "SELECT version()").Scan(&v)
	return v, err
}

func TestDockerHaltResume(t *testing.T) {
	image := dockerTestImage(t)
	ctx := t.Context()

	began := time.Now()
	s, err := startDocker(ctx, image, Options{Logger: dockerTestLogger(t)})
	if err != nil {
		t.Fatalf("startDocker: %v", err)
	}
	id := s.impl.(*dockerBackend).id
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			if err := s.Stop(context.Background()); err != nil {
				t.Errorf("Stop: %v", err)
			}
		}
	})
	if s.Provider() != ProviderDocker {
		t.Errorf("Provider() = %q, want %q", s.Provider(), ProviderDocker)
	}
	dsn := s.DSN("postgres")
	v, err := dockerQueryVersion(ctx, dsn)
	if err != nil {
		t.Fatalf("first query: %v", err)
	}
	t.Logf("start to first query: %s; %s", time.Since(began).Round(time.Millisecond), v)

	// Settings passed on the command line.
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	for name, want := range map[string]string{"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off", "max_connections": "200", "client_connection_check_interval": "500ms"} {
		var got string
		if err := conn.QueryRow(ctx, "SELECT current_setting($1)", name).Scan(&got); err != nil {
			t.Fatalf("current_setting(%s): %v", name, err)
		}
		if got != want {
			t.Errorf("%s = %s, want %s", name, got, want)
		}
	}
	// Data that must survive the crash: checkpointed, as asynchronous
	// commit may lose the last transactions otherwise.
	for _, q := range []string{"CREATE TABLE survivor (v int)", "INSERT INTO survivor VALUES (42)", "CHECKPOINT"} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	conn.Close(ctx)

	if err := s.Halt(ctx); err != nil {
		t.Fatalf("Halt: %v", err)
	}
	if _, err := dockerQueryVersion(ctx, dsn); err == nil {
		t.Fatal("query after Halt succeeded, want an error")
	} else {
		t.Logf("query after Halt fails as it should: %v", err)
	}

	began = time.Now()
	if err := s.Resume(ctx); err != nil {
		t.Fatalf("Resume: %v", err)
	}
	if s.DSN("postgres") != dsn {
		t.Errorf("DSN changed across resume: %s, then %s", dsn, s.DSN("postgres"))
	}
	if _, err := dockerQueryVersion(ctx, dsn); err != nil {
		t.Fatalf("query after Resume: %v", err)
	}
	t.Logf("resume to first query: %s", time.Since(began).Round(time.Millisecond))
	conn, err = pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect after Resume: %v", err)
	}
	var got int
	if err := conn.QueryRow(ctx, "SELECT v FROM survivor").Scan(&got); err != nil || got != 42 {
		t.Errorf("row after Resume: %d, %v; want 42", got, err)
	}
	conn.Close(ctx)

	if err := s.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	stopped = true
	if err := s.Stop(ctx); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if left := dockerLabelledContainers(t); slices.Contains(left, id) {
		t.Errorf("container %s still exists after Stop", dockerShortID(id))
	} else if len(left) > 0 {
		t.Logf("other crudbench containers exist (other tests?): %v", left)
	}
}

// TestDockerReaper kills a process that started a container and checks
// that the reaper removes the container.
func TestDockerReaper(t *testing.T) {
	if os.Getenv("CRUDBENCH_REAPER_CHILD") == "1" {
		reaperChild(t)
		return
	}
	dockerTestImage(t)

	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestDockerReaper$", "-test.v")
	cmd.Env = append(os.Environ(), "CRUDBENCH_REAPER_CHILD=1")
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting child: %v", err)
	}
	var id string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "CONTAINER "); ok {
			id = v
		}
	}
	err = cmd.Wait()
	if id == "" {
		t.Fatalf("child reported no container (exit: %v)", err)
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die of SIGKILL: %v", err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for slices.Contains(dockerLabelledContainers(t), id) {
		if time.Now().After(deadline) {
			_ = exec.Command("docker", "rm", "-f", "-v", id).Run()
			t.Fatalf("container %s still exists 15 s after its owner died", dockerShortID(id))
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("reaper removed container %s", dockerShortID(id))
}

func reaperChild(t *testing.T) {
	s, err := startDocker(t.Context(), os.Getenv(EnvImage), Options{Logger: dockerTestLogger(t)})
	if err != nil {
		t.Fatalf("startDocker: %v", err)
	}
	fmt.Printf("CONTAINER %s\n", s.impl.(*dockerBackend).id)
	if p, err := os.FindProcess(os.Getpid()); err == nil {
		_ = p.Kill() // SIGKILL: no deferred cleanup runs
	}
	select {}
}

// TestDockerUsableMissingImage checks that a missing, unpullable image is
// reported, within the bounded pull attempt.
func TestDockerUsableMissingImage(t *testing.T) {
	dockerTestImage(t)
	began := time.Now()
	ok, why := dockerUsable(t.Context(), "crudbench/no-such-image:0")
	took := time.Since(began)
	if ok {
		t.Fatalf("dockerUsable = true (%s), want false", why)
	}
	if limit := dockerPingTimeout + dockerProbePull + 5*time.Second; took > limit {
		t.Errorf("dockerUsable took %s, want under %s", took, limit)
	}
	t.Logf("after %s: %s", took.Round(time.Millisecond), why)
}
