package cpus

import (
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/crudbench/crudbench/internal/proc"
)

// twoCPUs returns the CPUs this process may use, skipping the test when
// there are fewer than two: pinning to one of one shows nothing.
func twoCPUs(t *testing.T) []int {
	t.Helper()
	avail, err := Available()
	if err != nil {
		t.Fatal(err)
	}
	if len(avail) < 2 {
		t.Skipf("this process may use %d CPU; pinning needs two to show", len(avail))
	}
	return avail
}

func TestPinSelf(t *testing.T) {
	avail := twoCPUs(t)
	last := avail[len(avail)-1:]
	if err := PinSelf(last); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := PinSelf(avail); err != nil {
			t.Error(err)
		}
	})
	tids, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	for _, tid := range tids {
		id, _ := strconv.Atoi(tid.Name())
		if got, err := Of(id); err == nil && !slices.Equal(got, last) {
			t.Errorf("thread %d runs on %v, want %v", id, got, last)
		}
	}
	// Threads started from now on copy a pinned thread's set: lock
	// goroutines to threads so that the runtime must start more.
	var wg sync.WaitGroup
	release := make(chan struct{})
	got := make([][]int, 8)
	for i := range got {
		wg.Go(func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			got[i], _ = Of(0)
			<-release
		})
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	for i, g := range got {
		if !slices.Equal(g, last) {
			t.Errorf("a thread started after PinSelf (%d) runs on %v, want %v", i, g, last)
		}
	}
}

func TestPinTree(t *testing.T) {
	avail := twoCPUs(t)
	first := avail[:1]
	// A shell with a child now, and another it starts after the pin.
	cmd := exec.Command("sh", "-c", "sleep 30 & read -r _; sleep 30 & echo $!; wait")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, p := range mustTree(t, cmd.Process.Pid) {
			if p != cmd.Process.Pid {
				syscallKill(p)
			}
		}
		cmd.Process.Kill()
		cmd.Wait()
	})
	// Wait for the first sleep to be forked.
	for deadline := time.Now().Add(5 * time.Second); len(mustTree(t, cmd.Process.Pid)) < 2; {
		if time.Now().After(deadline) {
			t.Fatal("the shell started no child in 5 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := PinTree(cmd.Process.Pid, first); err != nil {
		t.Fatal(err)
	}
	in.Write([]byte("go\n"))
	buf := make([]byte, 32)
	n, err := out.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	later, err := strconv.Atoi(string(buf[:n-1]))
	if err != nil {
		t.Fatalf("reading the later child's pid from %q: %v", buf[:n], err)
	}
	pids := mustTree(t, cmd.Process.Pid)
	if !slices.Contains(pids, later) || len(pids) < 3 {
		t.Fatalf("tree of %d = %v, want the shell, its first child and %d", cmd.Process.Pid, pids, later)
	}
	for _, p := range pids {
		if got, err := Of(p); err != nil || !slices.Equal(got, first) {
			t.Errorf("process %d runs on %v (%v), want %v", p, got, err, first)
		}
	}
}

func mustTree(t *testing.T, pid int) []int {
	t.Helper()
	pids, err := proc.Tree(pid, nil)
	if err != nil {
		t.Fatal(err)
	}
	return pids
}

func syscallKill(pid int) {
	if p, err := os.FindProcess(pid); err == nil {
		p.Kill()
	}
}
