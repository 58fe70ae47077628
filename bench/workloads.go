package main

import (
	"context"
	"fmt"
	"time"
)

// workload is one row of the table. Every workload runs once per round, in
// the order of workloadList, so that the systems alternate inside each round
// and drift of the shared machine spreads over all of them.
type workload struct {
	name string // what ONLY selects
	row  string // the table's label
	run  func(ctx context.Context, l *lab) (measurement, error)
}

// measurement is what one run of a workload yields. Zero fields do not
// apply to the workload.
type measurement struct {
	// Rate is messages per second from the clock's start to its stop; for
	// host-cost rows, committed host transactions per second.
	Rate float64
	// Delivered is, for host-cost rows, messages per second arriving at the
	// sink during the phase.
	Delivered float64
	// Latency is insert → arrival at the sink, for latency rows.
	Latency *latencyStats
	// CPU is per message (host-cost rows: per committed transaction).
	CPU cpuPer
	// RSS is the peak resident set (VmHWM) of the system under test.
	RSS int64
	// Fraction is, for the head-of-line row, the healthy channel's rate
	// beside the stalled one divided by its rate alone, both measured in
	// the same run.
	Fraction float64
	// Capped is set when the head-of-line phase hit its time cap: Rate is
	// then what was delivered by the cap.
	Capped bool
}

// Workload names, for ONLY.
const (
	wHTTP          = "http"
	wDrain         = "drain"
	wDrain100      = "drain-100"
	wRiver1ms      = "river-1ms"
	wRiver100      = "river-100"
	wRiverDefault  = "river-default"
	wBacklog       = "backlog"
	wHeadOfLine    = "head-of-line"
	wAsyncClaims   = "drain-async-claims"
	wLatencyNotify = "latency-notify"
	wLatencyRiver  = "latency-river"
	wLatencyPoll   = "latency-poll"
	wHostA         = "host-a"
	wHostB         = "host-b"
	wHostC         = "host-c"
	wHostD         = "host-d"
)

func workloadList(c config) []workload {
	w := c.Listener.Workers
	return []workload{
		{wHTTP, fmt.Sprintf("HTTP ceiling: Go client → sink, %d in flight, no database", w), runHTTPCeiling},
		{wDrain, "dbrelay drain (listen, default flags)", func(ctx context.Context, l *lab) (measurement, error) {
			return runDrain(ctx, l, false)
		}},
		{wDrain100, "dbrelay drain (listen --workers 100)", func(ctx context.Context, l *lab) (measurement, error) {
			return runDrain(ctx, l, false, "--workers", "100")
		}},
		{wRiver1ms, fmt.Sprintf("River drain, FetchCooldown 1 ms, MaxWorkers %d", w), func(ctx context.Context, l *lab) (measurement, error) {
			return runRiverDrain(ctx, l, riverFast(c))
		}},
		{wRiver100, "River drain, FetchCooldown 1 ms, MaxWorkers 100", func(ctx context.Context, l *lab) (measurement, error) {
			return runRiverDrain(ctx, l, riverFast100())
		}},
		{wRiverDefault, "River drain, defaults (MaxWorkers 100)", func(ctx context.Context, l *lab) (measurement, error) {
			return runRiverDrain(ctx, l, riverDefaults())
		}},
		{wBacklog, fmt.Sprintf("dbrelay drain, %s finished rows already there", count(c.Backlog)), func(ctx context.Context, l *lab) (measurement, error) {
			return runDrain(ctx, l, true)
		}},
		{wHeadOfLine, "dbrelay drain of a healthy channel beside one whose endpoint never answers (timeout 5 s)", runHeadOfLine},
		{wAsyncClaims, "dbrelay drain, claims committed asynchronously (--durable-claims=false)", runDrainAsyncClaims},
		{wLatencyNotify, "dbrelay latency, NOTIFY (default)", func(ctx context.Context, l *lab) (measurement, error) {
			return runLatencyDbrelay(ctx, l, false)
		}},
		{wLatencyRiver, "River latency, FetchCooldown 1 ms", func(ctx context.Context, l *lab) (measurement, error) {
			return runLatencyRiver(ctx, l, riverFast(c))
		}},
		{wLatencyPoll, fmt.Sprintf("dbrelay latency, polling only (--no-notify, poll interval %s)", c.Listener.PollInterval), func(ctx context.Context, l *lab) (measurement, error) {
			return runLatencyDbrelay(ctx, l, true)
		}},
		{wHostA, "host cost (a): host INSERT alone", hostVariant(hostAlone)},
		{wHostB, "host cost (b): + INSERT into relay.message, no wake-up", hostVariant(hostDirect)},
		{wHostC, "host cost (c): + CALL relay.push, foundation wake-up (NOTIFY per statement)", hostVariant(hostFoundation)},
		{wHostD, "host cost (d): + CALL relay.push, dbrelay's current wake-up", hostVariant(hostCurrent)},
	}
}

func workloadNames() []string {
	var names []string
	for _, w := range workloadList(config{}) {
		names = append(names, w.name)
	}
	return names
}

func workloadByName(name string) (workload, bool) {
	for _, w := range workloadList(config{}) {
		if w.name == name {
			return w, true
		}
	}
	return workload{}, false
}

// deadlineFor bounds a drain of n messages generously (River on defaults
// manages about 1,000/s here), so a wedged system fails the run instead of
// hanging it.
func deadlineFor(n int) time.Time {
	return time.Now().Add(2*time.Minute + time.Duration(n)*5*time.Millisecond)
}

// count formats 1000000 as 1,000,000.
func count(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
