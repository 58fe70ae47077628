package main

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// CPU is read from /proc/PID/stat before and after each measured phase, per
// process, so that each row says which process spent it:
//
//   - the system under test (a dbrelay listener, a River process, the HTTP
//     client): its own utime+stime;
//   - the sink: its own utime+stime;
//   - PostgreSQL: the postmaster's own utime+stime, plus cutime+cstime (the
//     backends it has already reaped, e.g. a listener's connections closed
//     during the phase), plus utime+stime+cutime+cstime of every live child
//     (backends, walwriter, checkpointer, autovacuum workers).
//
// The kernel reports these in clock ticks; Linux's USER_HZ is 100 on every
// architecture Go supports, so a tick is 10 ms and each process's figure is
// exact to within one tick. Phases last seconds, so that is a few percent of
// the smallest column at worst.

const tick = 10 * time.Millisecond

// statFields returns the fields of /proc/PID/stat after the command name
// (which may contain spaces); fields[0] is the state, fields[1] the ppid.
func statFields(pid string) []string {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return nil
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 > len(s) {
		return nil
	}
	return strings.Fields(s[i+2:])
}

// ticksAt sums the given fields (indexes into statFields' result).
func ticksAt(f []string, idx ...int) time.Duration {
	var t int64
	for _, i := range idx {
		if i < len(f) {
			v, _ := strconv.ParseInt(f[i], 10, 64)
			t += v
		}
	}
	return time.Duration(t) * tick
}

// Indexes of utime, stime, cutime, cstime in statFields' result (fields 14–17
// of proc(5), counted from 1 including pid and comm).
const (
	fUtime  = 11
	fStime  = 12
	fCutime = 13
	fCstime = 14
)

// processCPU is a process's own CPU (0 when it is gone).
func processCPU(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
	return ticksAt(statFields(strconv.Itoa(pid)), fUtime, fStime)
}

// postgresCPU is the CPU of a postmaster, the children it reaped and its
// live children.
func postgresCPU(postmaster int) time.Duration {
	pm := strconv.Itoa(postmaster)
	total := ticksAt(statFields(pm), fUtime, fStime, fCutime, fCstime)
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		name := e.Name()
		if name[0] < '0' || name[0] > '9' || name == pm {
			continue
		}
		f := statFields(name)
		if len(f) > fCstime && f[1] == pm {
			total += ticksAt(f, fUtime, fStime, fCutime, fCstime)
		}
	}
	return total
}

// cpuSample is the CPU each party had spent at one moment.
type cpuSample struct {
	PG, SUT, Sink time.Duration
}

func (a cpuSample) sub(b cpuSample) cpuSample {
	return cpuSample{PG: a.PG - b.PG, SUT: a.SUT - b.SUT, Sink: a.Sink - b.Sink}
}

// perUnit converts a phase's CPU into microseconds per message (or per
// host transaction).
func (a cpuSample) perUnit(units int64) cpuPer {
	if units <= 0 {
		return cpuPer{}
	}
	f := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(units) }
	return cpuPer{PG: f(a.PG), SUT: f(a.SUT), Sink: f(a.Sink)}
}

// cpuPer is CPU in µs per unit of work.
type cpuPer struct {
	PG, SUT, Sink float64
}
