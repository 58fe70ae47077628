package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// rowResult is one workload's runs over all rounds.
type rowResult struct {
	w       workload
	runs    []measurement
	errs    []error
	skipped string // why the workload could not run in this build
}

// report renders the table, the targets and the raw rounds as Markdown.
type report struct {
	cfg   config
	mach  machine
	rows  []*rowResult
	began time.Time
	took  time.Duration
}

// stat is the median, min and max of one column of one row.
type stat struct {
	med, lo, hi float64
	n           int
}

func statOf(vals []float64) stat {
	if len(vals) == 0 {
		return stat{}
	}
	s := slices.Clone(vals)
	slices.Sort(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return stat{med: med, lo: s[0], hi: s[len(s)-1], n: len(s)}
}

// column extracts one figure from each run; ok false means "not
// applicable" (the cell shows —).
func (r *rowResult) column(f func(measurement) (float64, bool)) stat {
	var vals []float64
	for _, m := range r.runs {
		if v, ok := f(m); ok {
			vals = append(vals, v)
		}
	}
	return statOf(vals)
}

func (r report) row(name string) *rowResult {
	for _, row := range r.rows {
		if row.w.name == name {
			return row
		}
	}
	return nil
}

// median of one column of a workload; ok false when it did not run.
func (r report) median(name string, f func(measurement) (float64, bool)) (float64, bool) {
	row := r.row(name)
	if row == nil {
		return 0, false
	}
	s := row.column(f)
	return s.med, s.n > 0
}

// best is the highest median rate among the named workloads that ran.
func (r report) best(names ...string) (float64, bool) {
	top, any := 0.0, false
	for _, name := range names {
		if v, ok := r.median(name, colRate); ok {
			top, any = max(top, v), true
		}
	}
	return top, any
}

// Column extractors.
func colRate(m measurement) (float64, bool)      { return m.Rate, m.Rate > 0 }
func colDelivered(m measurement) (float64, bool) { return m.Delivered, m.Rate > 0 }
func colP50(m measurement) (float64, bool) {
	return latField(m, func(l *latencyStats) float64 { return l.P50 })
}
func colP99(m measurement) (float64, bool) {
	return latField(m, func(l *latencyStats) float64 { return l.P99 })
}
func colMax(m measurement) (float64, bool) {
	return latField(m, func(l *latencyStats) float64 { return l.Max })
}
func colPG(m measurement) (float64, bool)   { return m.CPU.PG, m.Rate > 0 }
func colSUT(m measurement) (float64, bool)  { return m.CPU.SUT, m.Rate > 0 }
func colSink(m measurement) (float64, bool) { return m.CPU.Sink, m.Rate > 0 }
func colRSS(m measurement) (float64, bool)  { return float64(m.RSS) / (1 << 20), m.RSS > 0 }
func colFraction(m measurement) (float64, bool) {
	return m.Fraction, m.Rate > 0 && m.Fraction > 0
}

func latField(m measurement, f func(*latencyStats) float64) (float64, bool) {
	if m.Latency == nil {
		return 0, false
	}
	return f(m.Latency), true
}

// isHost reports whether a row is a host-cost variant, whose rate is
// committed transactions and whose CPU is per transaction.
func isHost(name string) bool { return strings.HasPrefix(name, "host-") }

func (r report) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# dbrelay benchmark results\n\n")
	fmt.Fprintf(&b, "- Command: `%s` (N=%s messages per drain, %d round(s)%s)\n", r.cfg.command(), count(r.cfg.N), r.cfg.Rounds, quickNote(r.cfg))
	fmt.Fprintf(&b, "- Date: %s; the run took %s\n", r.began.UTC().Format("2006-01-02 15:04 UTC"), r.took.Round(time.Second))
	fmt.Fprintf(&b, "- Machine: %d cores, %s, %.1f GiB memory\n", r.mach.Cores, r.mach.CPUModel, r.mach.MemGiB)
	fmt.Fprintf(&b, "- PostgreSQL: %s (private server, fsync and synchronous_commit on)\n", r.mach.Postgres)
	fmt.Fprintf(&b, "- Go %s; River %s with riverpgxv5, pgx %s; dbrelay %s\n\n", r.mach.Go, r.mach.River, r.mach.Pgx, r.mach.Dbrelay)

	b.WriteString(r.table())
	b.WriteString("\nEach cell: median (min–max) over the rounds. Rates are messages/s from the clock's start to its stop; ")
	b.WriteString("host-cost rows show committed host transactions/s and, under delivered/s, messages/s reaching the sink meanwhile. ")
	b.WriteString("CPU is µs per message (host-cost rows: per committed transaction) of PostgreSQL (postmaster and all its children), ")
	b.WriteString("the system under test (SUT: the listener, the River process or the HTTP client) and the sink, each from /proc. ")
	b.WriteString("RSS is the SUT's peak resident set (VmHWM). Latency is insert → arrival at the sink. See README.md for what each row measures.\n\n")

	b.WriteString("## Targets (issues 7 and 13)\n\n")
	b.WriteString(r.targets())

	var fails []string
	for _, row := range r.rows {
		for _, err := range row.errs {
			fails = append(fails, fmt.Sprintf("- %s: %v", row.w.name, err))
		}
	}
	if len(fails) > 0 {
		b.WriteString("\n## Failures\n\n" + strings.Join(fails, "\n") + "\n")
	}
	b.WriteString("\n## Every round\n\n")
	b.WriteString(r.rounds())
	return b.String()
}

func quickNote(c config) string {
	if c.Quick {
		return ", QUICK: host-cost phases " + c.HostDuration.String()
	}
	return ""
}

func (r report) table() string {
	var b strings.Builder
	b.WriteString("| row | msgs/s (host: tx/s) | delivered/s | p50 ms | p99 ms | max ms | PG µs | SUT µs | sink µs | SUT peak RSS MiB |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, row := range r.rows {
		if len(row.runs) == 0 && row.skipped != "" {
			fmt.Fprintf(&b, "| %s | skipped: %s | | | | | | | | |\n", row.w.row, row.skipped)
			continue
		}
		if len(row.runs) == 0 {
			fmt.Fprintf(&b, "| %s | failed | | | | | | | | |\n", row.w.row)
			continue
		}
		delivered := stat{}
		if isHost(row.w.name) {
			delivered = row.column(colDelivered)
		}
		rate := cell(row.column(colRate), fmtRate)
		if slices.ContainsFunc(row.runs, func(m measurement) bool { return m.Capped }) {
			rate += " (capped)"
		}
		cells := []string{
			row.w.row,
			rate,
			cell(delivered, fmtRate),
			cell(row.column(colP50), fmtMs),
			cell(row.column(colP99), fmtMs),
			cell(row.column(colMax), fmtMs),
			cell(row.column(colPG), fmtUs),
			cell(row.column(colSUT), fmtUs),
			cell(row.column(colSink), fmtUs),
			cell(row.column(colRSS), fmtMiB),
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	return b.String()
}

func cell(s stat, f func(float64) string) string {
	switch {
	case s.n == 0:
		return "—"
	case s.n == 1 || s.lo == s.hi:
		return f(s.med)
	default:
		return fmt.Sprintf("%s (%s–%s)", f(s.med), f(s.lo), f(s.hi))
	}
}

func fmtRate(v float64) string { return count(int(v + 0.5)) }
func fmtUs(v float64) string   { return fmt.Sprintf("%.1f", v) }
func fmtMiB(v float64) string  { return fmt.Sprintf("%.1f", v) }
func fmtMs(v float64) string {
	if v < 10 {
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.0f", v)
}

// targets renders the ratios, each from medians of the same run.
func (r report) targets() string {
	var b strings.Builder
	b.WriteString("| check | measured | target | |\n| --- | --- | --- | --- |\n")
	ratioOf := func(label string, n, d float64, ok bool, target float64) {
		if !ok || d == 0 {
			fmt.Fprintf(&b, "| %s | not run | %s | — |\n", label, targetText(target, "×"))
			return
		}
		v := n / d
		mark := "—"
		if target > 0 {
			mark = verdict(v >= target)
		}
		fmt.Fprintf(&b, "| %s | %.2f× | %s | %s |\n", label, v, targetText(target, "×"), mark)
	}
	ratio := func(label, num, den string, target float64) {
		n, ok1 := r.median(num, colRate)
		d, ok2 := r.median(den, colRate)
		ratioOf(label, n, d, ok1 && ok2, target)
	}
	atMost := func(label, name string, col func(measurement) (float64, bool), limit float64, unit string) {
		v, ok := r.median(name, col)
		if !ok {
			fmt.Fprintf(&b, "| %s | not run | ≤ %g %s | — |\n", label, limit, unit)
			return
		}
		fmt.Fprintf(&b, "| %s | %.2f %s | ≤ %g %s | %s |\n", label, v, unit, limit, unit, verdict(v <= limit))
	}
	// The headline compares each peer at its best: the faster of its rows.
	bestDbrelay, ok1 := r.best(wDrain, wDrain100)
	bestRiver, ok2 := r.best(wRiver1ms, wRiver100)
	ratioOf("dbrelay ÷ River, each at its best (faster of drain / drain-100 ÷ faster of river-1ms / river-100)", bestDbrelay, bestRiver, ok1 && ok2, 2.0)
	ratio(fmt.Sprintf("dbrelay drain ÷ River (FetchCooldown 1 ms), both %d workers", r.cfg.Listener.Workers), wDrain, wRiver1ms, 0)
	ratio("dbrelay drain ÷ River (FetchCooldown 1 ms), both 100 workers", wDrain100, wRiver100, 0)
	ratio("dbrelay drain ÷ HTTP ceiling", wDrain, wHTTP, 0.5)
	ratio("River (1 ms) ÷ HTTP ceiling, for reference", wRiver1ms, wHTTP, 0)
	ratio("River (defaults) ÷ HTTP ceiling, for reference", wRiverDefault, wHTTP, 0)
	atMost("latency with NOTIFY, p50", wLatencyNotify, colP50, 2, "ms")
	atMost("latency with NOTIFY, p99", wLatencyNotify, colP99, 5, "ms")
	poll := float64(r.cfg.Listener.PollInterval.Milliseconds()) + 5
	atMost(fmt.Sprintf("latency polling only, p99 (poll interval %s + 5 ms)", r.cfg.Listener.PollInterval), wLatencyPoll, colP99, poll, "ms")
	ratio("host cost (d) ÷ (b): push + current wake-up vs the hand-written row", wHostD, wHostB, 0.9)
	ratio("host cost (d) ÷ (a): vs the host's INSERT alone", wHostD, wHostA, 0)
	ratio("host cost (b) ÷ (a): the outbox row itself", wHostB, wHostA, 0)
	ratio("host cost (c) ÷ (b): push + foundation wake-up (NOTIFY per statement)", wHostC, wHostB, 0)
	ratio("backlog drain ÷ empty-table drain", wBacklog, wDrain, 0.8)
	if f, ok := r.median(wHeadOfLine, colFraction); ok {
		fmt.Fprintf(&b, "| head-of-line: healthy channel beside a stalled one ÷ alone (same run) | %.3f× | ≥ 0.8× | %s |\n", f, verdict(f >= 0.8))
	} else {
		b.WriteString("| head-of-line: healthy channel beside a stalled one ÷ alone | not run | ≥ 0.8× | — |\n")
	}
	ratio("durable claims: drain (default, durable claims) ÷ drain with --durable-claims=false (the cost of keeping claims through a crash)", wDrain, wAsyncClaims, 0)
	if row := r.row(wDrain); row != nil && len(row.runs) > 0 {
		s := row.column(colRSS)
		fmt.Fprintf(&b, "| listener peak RSS during the drain (highest round) | %.1f MiB | ≤ 64 MiB | %s |\n", s.hi, verdict(s.hi <= 64))
	} else {
		b.WriteString("| listener peak RSS during the drain | not run | ≤ 64 MiB | — |\n")
	}
	return b.String()
}

func targetText(t float64, unit string) string {
	if t == 0 {
		return "reported"
	}
	return fmt.Sprintf("≥ %.1f%s", t, unit)
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**not met**"
}

// rounds lists each run's headline figures, so that drift between rounds
// is visible.
func (r report) rounds() string {
	var b strings.Builder
	for _, row := range r.rows {
		var parts []string
		for i, m := range row.runs {
			parts = append(parts, fmt.Sprintf("%d: %s", i+1, m.brief()))
		}
		switch {
		case len(parts) == 0 && row.skipped != "":
			parts = append(parts, "skipped: "+row.skipped)
		case len(parts) == 0:
			parts = append(parts, "no successful run")
		}
		fmt.Fprintf(&b, "- %s — %s\n", row.w.name, strings.Join(parts, "; "))
	}
	return b.String()
}

// brief is one run's headline figures on one line.
func (m measurement) brief() string {
	s := fmt.Sprintf("%s/s", count(int(m.Rate+0.5)))
	if m.Delivered > 0 {
		s += fmt.Sprintf(", delivered %s/s", count(int(m.Delivered+0.5)))
	}
	if m.Latency != nil {
		s += fmt.Sprintf(", p50 %s p99 %s max %s ms", fmtMs(m.Latency.P50), fmtMs(m.Latency.P99), fmtMs(m.Latency.Max))
	}
	s += fmt.Sprintf(", CPU µs pg/sut/sink %.1f/%.1f/%.1f", m.CPU.PG, m.CPU.SUT, m.CPU.Sink)
	if m.RSS > 0 {
		s += fmt.Sprintf(", RSS %.1f MiB", float64(m.RSS)/(1<<20))
	}
	if m.Fraction > 0 {
		s += fmt.Sprintf(", %.3f× of its solo drain", m.Fraction)
		if m.Capped {
			s += " (capped)"
		}
	}
	return s
}
