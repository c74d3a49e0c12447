//go:build !linux

package compare

func procAvailable() bool             { return false }
func treePIDs(int) ([]int, error)     { return nil, errNoProc }
func processCPU([]int, map[int]int64) {}
func cgroupCPU(string) (int64, error) { return 0, errNoProc }
func treeMem([]int) (Mem, error)      { return Mem{}, errNoProc }
func hostPID(int, string) (int, bool) { return 0, false }
func cpuModel() string                { return "" }
func loadAvg() string                 { return "" }
