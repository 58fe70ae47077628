package main

import (
	"context"
	"fmt"
	"time"

	"github.com/dbrelay/dbrelay/internal/chaos"
)

// The head-of-line row (issue 13, defect 6): what a channel whose endpoint
// accepts TCP connections and never answers does to a healthy channel
// beside it. Each attempt on the stalled channel holds a worker for the
// channel's whole timeout (5 s); with one worker pool for all channels the
// healthy channel can be starved. The stalled endpoint is the fault
// harness's (internal/chaos), which runs the same case as a scenario.

// stallTimeout is the stalled channel's timeout_ms, as in the issue.
const stallTimeout = 5 * time.Second

// runHeadOfLine drains N messages of the sink channel twice, each time in a
// fresh database with both channels registered: alone, then interleaved
// (two healthy, one stalled) with N/2 messages for the stalled channel.
// Each clock runs from starting `dbrelay listen` (default flags) until the
// sink has counted the healthy messages. The second phase is capped at
// max(30 s, 10 × the first): at the cap, its rate is what arrived by then
// (the row says "capped"). Rate is the second phase's; Fraction is it
// divided by the first (target ≥ 0.8). CPU is per healthy message of the
// second phase.
func runHeadOfLine(ctx context.Context, l *lab) (measurement, error) {
	var m measurement
	stall, err := chaos.StartStall()
	if err != nil {
		return m, fmt.Errorf("stalled endpoint: %w", err)
	}
	defer stall.Close()

	n := l.cfg.N
	solo, _, _, err := l.holPhase(ctx, stall, n, false, 0)
	if err != nil {
		return m, fmt.Errorf("alone: %w", err)
	}
	limit := max(30*time.Second, 10*solo)
	mixed, got, used, err := l.holPhase(ctx, stall, n, true, limit)
	if err != nil {
		return m, fmt.Errorf("beside the stalled channel: %w", err)
	}
	soloRate := float64(n) / solo.Seconds()
	m.Rate = float64(got) / mixed.Seconds()
	m.Fraction = m.Rate / soloRate
	m.Capped = got < int64(n)
	m.CPU = used.cpu.perUnit(max(got, 1))
	m.RSS = used.rss
	return m, nil
}

// phaseUse is what a phase's listener used.
type phaseUse struct {
	cpu cpuSample
	rss int64
}

// holPhase runs one phase: n healthy messages (and, when withStall, n/2
// for the stalled channel). It returns the time until the sink counted the
// healthy ones (or the cap, when limit > 0 and it passed), and how many
// arrived.
func (l *lab) holPhase(ctx context.Context, stall *chaos.Stall, n int, withStall bool, limit time.Duration) (time.Duration, int64, phaseUse, error) {
	var use phaseUse
	d, err := l.freshDB(ctx, "hol")
	if err != nil {
		return 0, 0, use, err
	}
	defer l.drop(ctx, d)
	if err := l.installRelay(ctx, d); err != nil {
		return 0, 0, use, err
	}
	if _, err := d.pool.Exec(ctx, `INSERT INTO relay.channel (code, kind, target, timeout_ms) VALUES ('stall', 'webhook', $1, $2)`,
		stall.URL(), stallTimeout.Milliseconds()); err != nil {
		return 0, 0, use, fmt.Errorf("registering the stalled channel: %w", err)
	}
	total, channel := n, `'sink'`
	if withStall {
		total, channel = n+n/2, `CASE WHEN g % 3 = 0 THEN 'stall' ELSE 'sink' END`
	}
	tag, err := d.pool.Exec(ctx, `
INSERT INTO relay.message (sender, receiver, channel, title, payload)
SELECT 'bench', 'bench', `+channel+`, 'order', `+payloadSQL+`
FROM generate_series(1, $2) g`, time.Now().UnixNano(), total)
	if err != nil {
		return 0, 0, use, fmt.Errorf("inserting %d pending messages: %w", total, err)
	}
	healthy := tag.RowsAffected() - tag.RowsAffected()/3
	if !withStall {
		healthy = tag.RowsAffected()
	}
	if _, err := d.pool.Exec(ctx, `VACUUM ANALYZE relay.message`); err != nil {
		return 0, 0, use, fmt.Errorf("VACUUM ANALYZE: %w", err)
	}
	if err := checkpoint(ctx, d); err != nil {
		return 0, 0, use, err
	}
	if err := l.sink.reset(ctx); err != nil {
		return 0, 0, use, err
	}

	before := l.sample(nil)
	start := time.Now()
	lst, err := l.startListener(d)
	if err != nil {
		return 0, 0, use, err
	}
	defer lst.stop(30 * time.Second)
	deadline := deadlineFor(n)
	if limit > 0 {
		deadline = start.Add(limit)
	}
	got, err := l.sink.waitCount(ctx, healthy, deadline, lst)
	elapsed := time.Since(start)
	if err != nil && (limit == 0 || lst.exited()) {
		return 0, 0, use, err
	}
	use.cpu = l.sample(lst).sub(before)
	use.rss = lst.peakRSS()
	return elapsed, min(got, healthy), use, nil
}
