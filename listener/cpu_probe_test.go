package listener_test

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// procCPU is utime+stime+cutime+cstime of pid, from /proc (clock ticks of 10ms).
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndex(s, ")")+2:])
	var t int64
	for _, i := range []int{11, 12, 13, 14} {
		v, _ := strconv.ParseInt(f[i], 10, 64)
		t += v
	}
	return time.Duration(t) * 10 * time.Millisecond
}

// pgCPU is the CPU of a postmaster, its live children and those it reaped.
func pgCPU(post int) time.Duration {
	total := procCPU(post)
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndex(s, ")")+2:])
		if f[1] == strconv.Itoa(post) {
			total += procCPU(pid)
		}
	}
	return total
}

// selfCPU is this process's CPU.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
