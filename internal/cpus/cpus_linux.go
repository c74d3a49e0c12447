package cpus

import (
	"fmt"
	"os"
	"strconv"

	"github.com/crudbench/crudbench/internal/proc"
	"golang.org/x/sys/unix"
)

// Available returns the CPUs this process may run on, ascending.
func Available() ([]int, error) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return nil, fmt.Errorf("cpus: reading this process's CPUs: %w", err)
	}
	return members(&set), nil
}

// PinSelf keeps every thread of this process, and so every thread and
// child process it starts later, on cpus.
func PinSelf(cpus []int) error {
	// Twice: a thread started while the first pass ran may have copied
	// its creator's old set.
	for range 2 {
		if err := pinThreads(os.Getpid(), cpus); err != nil {
			return err
		}
	}
	return nil
}

// PinTree keeps the process pid, its descendants and every process they
// start later on cpus.
func PinTree(pid int, cpus []int) error {
	pids, err := proc.Tree(pid, nil)
	if err != nil {
		return fmt.Errorf("cpus: finding the processes under %d: %w", pid, err)
	}
	for _, p := range pids {
		if err := pinThreads(p, cpus); err != nil {
			if _, serr := os.Stat(fmt.Sprintf("/proc/%d", p)); serr != nil && p != pid {
				continue // a descendant that has exited since
			}
			return err
		}
	}
	return nil
}

// Of returns the CPUs that thread or process id may run on.
func Of(id int) ([]int, error) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(id, &set); err != nil {
		return nil, fmt.Errorf("cpus: reading the CPUs of %d: %w", id, err)
	}
	return members(&set), nil
}

// pinThreads sets the CPUs of every thread of process pid.
func pinThreads(pid int, cpus []int) error {
	var set unix.CPUSet
	for _, c := range cpus {
		set.Set(c)
	}
	tids, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return fmt.Errorf("cpus: listing the threads of %d: %w", pid, err)
	}
	for _, t := range tids {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		if err := unix.SchedSetaffinity(tid, &set); err != nil && err != unix.ESRCH {
			return fmt.Errorf("cpus: keeping thread %d of %d on CPUs %s: %w", tid, pid, List(cpus), err)
		}
	}
	return nil
}

func members(set *unix.CPUSet) []int {
	var out []int
	for c := 0; c < 1024 && len(out) < set.Count(); c++ { // CPUSet's capacity
		if set.IsSet(c) {
			out = append(out, c)
		}
	}
	return out
}
