//go:build unix

package luasweep

import "syscall"

// processCPUNs is the CPU time (user + system) the process used so far, in
// ns; benchmarks report per-branch CPU cost with it because wall time on a
// shared machine depends on the other processes.
func processCPUNs() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
