package proc

import (
	"os"
	"os/exec"
	"slices"
	"strconv"
	"testing"
)

// A shell whose child is a sleep: Tree finds both under this process, and
// a prune of the shell drops the sleep with it.
func TestTree(t *testing.T) {
	cmd := exec.Command("sh", "-c", "sleep 30 & echo $!; wait")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Skip("no shell to start:", err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	buf := make([]byte, 32)
	n, err := out.Read(buf)
	if err != nil || n < 2 {
		t.Fatalf("reading the sleep's pid: %v", err)
	}
	sleep, err := strconv.Atoi(string(buf[:n-1]))
	if err != nil {
		t.Fatalf("the sleep's pid %q: %v", buf[:n], err)
	}
	defer func() {
		if p, err := os.FindProcess(sleep); err == nil {
			p.Kill()
		}
	}()
	self, shell := os.Getpid(), cmd.Process.Pid
	all, err := Tree(self, nil)
	if err != nil {
		t.Fatal(err)
	}
	if all[0] != self || !slices.Contains(all, shell) || !slices.Contains(all, sleep) {
		t.Errorf("Tree(%d) = %v, want this process, the shell %d and the sleep %d", self, all, shell, sleep)
	}
	if i, j := slices.Index(all, shell), slices.Index(all, sleep); i > j {
		t.Errorf("Tree(%d) = %v: the sleep %d before its parent %d", self, all, sleep, shell)
	}
	pruned, err := Tree(self, func(pid int) bool { return pid == shell })
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(pruned, shell) || slices.Contains(pruned, sleep) {
		t.Errorf("Tree(%d) pruning %d = %v, want neither it nor its child %d", self, shell, pruned, sleep)
	}
	if got := Comm(sleep); got != "sleep" {
		t.Errorf("Comm(%d) = %q, want sleep", sleep, got)
	}
}

func TestTreeOfNoProcess(t *testing.T) {
	if _, err := Tree(-1, nil); err == nil {
		t.Error("Tree(-1): no error")
	}
}

func TestStat(t *testing.T) {
	f, err := Stat("/proc/self/stat")
	if err != nil {
		t.Fatal(err)
	}
	if ppid, err := strconv.Atoi(f[1]); err != nil || ppid != os.Getppid() {
		t.Errorf("parent in /proc/self/stat = %q, want %d", f[1], os.Getppid())
	}
	bad := t.TempDir() + "/stat"
	if err := os.WriteFile(bad, []byte("1 sh S 0"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Stat(bad); err == nil {
		t.Error("Stat of a file with no command name: no error")
	}
}
