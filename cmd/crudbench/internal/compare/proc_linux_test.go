//go:build linux

package compare

import (
	"os"
	"os/exec"
	"slices"
	"testing"
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
	threadCPU([]int{os.Getpid()}, cpu)
	if cpu[os.Getpid()] <= 0 {
		t.Errorf("CPU of this process's main thread: %d ns", cpu[os.Getpid()])
	}
	if h, ok := hostPID(os.Getpid(), "nonesuch"); ok {
		t.Errorf("hostPID found %d for a command that is not running", h)
	}
}
