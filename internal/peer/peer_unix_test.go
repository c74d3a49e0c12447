//go:build !windows

package peer_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/crudbench/crudbench/internal/peer"
)

// TestMain doubles as a fake peer: with PEER_FAKE set, the test binary
// serves /healthz on CRUDBENCH_PORT after starting a child (a sleep) in
// its process group, and ignores SIGTERM when PEER_FAKE is "stubborn".
func TestMain(m *testing.M) {
	if mode := os.Getenv("PEER_FAKE"); mode != "" {
		fake(mode)
		return
	}
	if os.Getenv("PEER_PARENT") != "" {
		parent()
		return
	}
	os.Exit(m.Run())
}

func fake(mode string) {
	if mode == "stubborn" {
		signal := make(chan os.Signal, 1)
		notifyTerm(signal)
	}
	child := exec.Command("sleep", "300")
	if err := child.Start(); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Printf("child %d dsn %s\n", child.Process.Pid, os.Getenv("CRUDBENCH_DSN"))
	l, err := net.Listen("tcp", "127.0.0.1:"+os.Getenv("CRUDBENCH_PORT"))
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	http.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintf(w, "child %d", child.Process.Pid) })
	_ = http.Serve(l, nil)
}

// parent starts a stubborn fake peer, says its process group, and waits
// to be killed.
func parent() {
	p, err := peer.Start(context.Background(), fakeSpec("fake-orphaned", "stubborn"), "", nil)
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Printf("group %d\n", p.Pid)
	select {}
}

func fakeSpec(name, mode string) peer.Spec {
	exe, err := os.Executable()
	if err != nil {
		panic(err)
	}
	return peer.Spec{Name: name, Dir: ".", Argv: []string{exe}, Env: []string{"PEER_FAKE=" + mode}}
}

// TestStartStop starts the fake peer, checks that it got its port and DSN,
// and that Stop leaves nothing of its process group, whether it obeys
// SIGTERM or not.
func TestStartStop(t *testing.T) {
	for _, mode := range []string{"obedient", "stubborn"} {
		t.Run(mode, func(t *testing.T) {
			p, err := peer.Start(context.Background(), fakeSpec("fake-"+mode, mode), "postgres://example/db", nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.Get(p.URL + "/healthz")
			if err != nil {
				p.Stop()
				t.Fatal(err)
			}
			var child int
			_, _ = fmt.Fscanf(resp.Body, "child %d", &child)
			resp.Body.Close()
			if !strings.Contains(p.Output(), "dsn postgres://example/db") {
				t.Errorf("the peer did not get the DSN: output %q", p.Output())
			}
			start := time.Now()
			p.Stop()
			took := time.Since(start)
			if !p.Exited() {
				t.Error("the leader has not exited after Stop")
			}
			// The killed child is reaped by init, which may take a moment.
			var kerr error
			for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
				if kerr = syscall.Kill(-p.Pid, 0); kerr == syscall.ESRCH {
					break
				}
			}
			if kerr != syscall.ESRCH {
				t.Errorf("process group %d still there after Stop (kill 0: %v); child %d", p.Pid, kerr, child)
			}
			if mode == "obedient" && took >= peer.StopGrace {
				t.Errorf("Stop of a peer that obeys SIGTERM took the whole grace period")
			}
		})
	}
}

// TestOrphaned kills a process that started a peer (one that ignores
// SIGTERM, with a child) and checks that the peer's whole process group
// goes with it.
func TestOrphaned(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), "PEER_PARENT=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var group int
	if _, err := fmt.Fscanf(out, "group %d\n", &group); err != nil || group <= 0 {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("the parent did not start the peer: %v", err)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	var kerr error
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if kerr = syscall.Kill(-group, 0); kerr == syscall.ESRCH {
			return
		}
	}
	_ = syscall.Kill(-group, syscall.SIGKILL)
	t.Errorf("process group %d of a peer is still there after its parent died (kill 0: %v)", group, kerr)
}

// TestStartFails checks that a peer that exits before it is ready fails
// Start with its output, and that a missing requirement names the
// install command.
func TestStartFails(t *testing.T) {
	s := peer.Spec{Name: "exits", Dir: ".", Argv: []string{"sh", "-c", "echo no database here; exit 3"}}
	if _, err := peer.Start(context.Background(), s, "", nil); err == nil || !strings.Contains(err.Error(), "no database here") {
		t.Errorf("Start of a peer that exits: %v; want an error quoting its output", err)
	}
	s.Check, s.Install = []string{"false"}, "apt-get install -y something"
	if why := s.Missing(); !strings.Contains(why, "apt-get install -y something") {
		t.Errorf("Missing() = %q; want the install command", why)
	}
	s.Check = []string{"true"}
	if why := s.Missing(); why != "" {
		t.Errorf("Missing() = %q with the check passing", why)
	}
}

// TestRegistered checks that the Flask peers are registered with their
// install command.
func TestRegistered(t *testing.T) {
	for _, name := range []string{"flask-raw-gunicorn", "flask-orm-gunicorn", "flask-raw-dev", "flask-orm-dev"} {
		s, ok := peer.Lookup(name)
		if !ok || s.Install != peer.FlaskInstall {
			t.Errorf("%s: registered %v, install %q", name, ok, s.Install)
		}
	}
}
