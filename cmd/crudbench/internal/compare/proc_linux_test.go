//go:build linux

package compare

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestProcessTree(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Skip("no sleep to start:", err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	pids, err := treePIDs(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if pids[0] != os.Getpid() || !slices.Contains(pids, cmd.Process.Pid) {
		t.Errorf("tree %v lacks this process or its child %d", pids, cmd.Process.Pid)
	}
	m, err := treeMem(pids)
	if err != nil {
		t.Fatal(err)
	}
	if m.Procs < 2 || m.PSS == 0 || m.RSS < m.PSS {
		t.Errorf("memory of the tree %+v: want two processes, PSS > 0, RSS ≥ PSS", m)
	}
	cpu := map[int]int64{}
	processCPU([]int{os.Getpid()}, cpu)
	if cpu[os.Getpid()] <= 0 {
		t.Errorf("CPU of this process: %d ns", cpu[os.Getpid()])
	}
	if h, ok := hostPID(os.Getpid(), "nonesuch"); ok {
		t.Errorf("hostPID found %d for a command that is not running", h)
	}
}

// A server with a thread per connection (Flask's development server) ends
// most of its threads between two readings: their CPU must still count.
func TestProcessCPUCountsEndedThreads(t *testing.T) {
	pid := os.Getpid()
	before := map[int]int64{}
	processCPU([]int{pid}, before)
	type run struct{ tid, ns int }
	burned := make(chan run)
	var r run
	// A goroutine that exits locked ends its thread, unless that is the
	// main thread, which Go keeps: try until one runs on another thread.
	for try := 0; try < 10 && (r.tid == 0 || r.tid == pid); try++ {
		go func() {
			runtime.LockOSThread() // never unlocked: the thread ends with this goroutine
			if tid := unix.Gettid(); tid == pid {
				burned <- run{tid, 0}
				return
			}
			var start, now unix.Timespec
			unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &start)
			for now = start; now.Nano()-start.Nano() < int64(50*time.Millisecond); {
				unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &now)
			}
			burned <- run{unix.Gettid(), int(now.Nano() - start.Nano())}
		}()
		r = <-burned
	}
	if r.tid == pid {
		t.Skip("no goroutine ran outside the main thread")
	}
	b := int64(r.ns)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		if _, err := os.Stat(fmt.Sprintf("/proc/self/task/%d", r.tid)); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Skip("the locked thread did not end within 5 s")
		}
	}
	after := map[int]int64{}
	processCPU([]int{pid}, after)
	if d := after[pid] - before[pid]; d < b {
		t.Errorf("CPU of this process grew by %v while an ended thread alone ran %v", time.Duration(d), time.Duration(b))
	}
}

func TestLoadAvgAndCPUModel(t *testing.T) {
	if f := strings.Fields(loadAvg()); len(f) != 3 {
		t.Errorf("loadAvg() = %q, want three load averages", loadAvg())
	}
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		t.Skip(err)
	}
	if want := strings.Contains(string(b), "model name"); want != (cpuModel() != "") {
		t.Errorf("cpuModel() = %q; /proc/cpuinfo has a model name: %v", cpuModel(), want)
	}
}
