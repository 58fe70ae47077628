package chaos

import (
	"context"
	"time"
)

// grace is every listener's --grace in the harness; SIGTERM must end the
// process within grace + termBound.
const (
	grace     = 5 * time.Second
	termBound = 10 * time.Second
)

// Scenarios are all the cases, in the order `make chaos` runs them: first
// the defects of issue 13 (each fails on the listener it was filed
// against), then the faults the listener already survived.
func Scenarios() []Scenario {
	return []Scenario{
		{Name: "lease-slow-receiver", Issue: "defect 1", N: 200, Run: leaseSlowReceiver,
			About: "one healthy listener, receiver answering after 2 s, timeout 2.5 s, lease 6 s: no message may be delivered twice"},
		{Name: "db-blackhole", Issue: "defect 2", N: 20000, Run: dbBlackhole,
			About: "the database connection black-holed mid-drain: /readyz must stop saying ready, SIGTERM must end the listener within grace + 10 s"},
		{Name: "lost-writeback-reply", Issue: "defect 3", N: 5000, Run: lostWritebackReply,
			About: "5 write-backs commit but their replies are lost: no attempt row twice, the sent metric equals the database"},
		{Name: "lost-claim-reply", Issue: "defect 4", N: 5000, Run: lostClaimReply,
			About: "3 claims commit but their replies are lost: their rows must not wait in sending for the 45 s lease"},
		{Name: "shutdown-db-down", Issue: "defect 5", N: 3000, Run: shutdownDBDown,
			About: "PostgreSQL stopped, then SIGTERM: the listener exits within grace + 10 s, and nothing is lost"},
		{Name: "head-of-line", Issue: "defect 6", N: 2000, Run: headOfLine,
			About: "a healthy channel beside one whose endpoint accepts TCP and never answers: the healthy one must drain (target ≥ 80% of its solo rate)"},
		{Name: "pg-crash-immediate", Issue: "defect 7", N: 20000, Run: pgCrashImmediate,
			About: "PostgreSQL crashed 3 times (-m immediate) mid-drain: duplicates are explained, a repeated attempt number is not"},
		{Name: "deleted-mid-flight", Issue: "defect 8", N: 500, Run: deletedMidFlight,
			About: "one message deleted while in flight: the other outcomes of its batch are written at once, nothing delivered twice"},
		{Name: "sigkill-loop", Issue: "passes today", N: 20000, Run: sigkillLoop,
			About: "the listener SIGKILLed 5 times mid-drain, lease 3 s: nothing lost"},
		{Name: "pg-restart-fast", Issue: "passes today", N: 20000, Run: pgRestartFast,
			About: "PostgreSQL restarted 3 times (-m fast) mid-drain: nothing lost, nothing twice"},
		{Name: "conn-cuts", Issue: "passes today", N: 20000, Run: connCuts,
			About: "every database connection cut each time another 1% of the messages is finished (at least every 250 ms) during the drain"},
		{Name: "flapping", Issue: "passes today", N: 5000, Run: flapping,
			About: "the endpoint answers 30% 503 and leaves 3% hanging past the 1 s timeout"},
		{Name: "host-concurrency", Issue: "passes today", N: 20000, Run: hostConcurrency,
			About: "16 host connections CALL relay.push in transactions (25% roll back) beside a drain: all committed delivered, no rolled-back one"},
		{Name: "backlog-rss", Issue: "passes today", N: 100000, Run: backlogRSS,
			About: "a 100,000-message backlog drained by one listener: peak RSS reported"},
	}
}

// drainDeadline bounds a drain of n messages generously for a busy 2-core
// machine (the listener does several thousand a second here).
func drainDeadline(n int) time.Duration {
	return time.Minute + time.Duration(n)*2*time.Millisecond
}

// pause waits d unless ctx ends first. It paces faults; it never waits for
// a condition (those are polled with deadlines).
func pause(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// startDrain registers the run's usual channel (answering as b, timeout
// 5 s, 100 attempts so that no fault makes a message dead), pushes N
// messages, starts a listener with args plus the harness's grace, and
// waits until the receiver has accepted frac of them.
func startDrain(ctx context.Context, r *Run, b Behaviour, frac float64, args ...string) (*Listener, error) {
	if err := r.Channel(ctx, "hook", b, 5*time.Second, 100); err != nil {
		return nil, err
	}
	if err := r.Push(ctx, "hook", r.N); err != nil {
		return nil, err
	}
	lst, err := r.Listen(ctx, append(args, "--grace", grace.String())...)
	if err != nil {
		return nil, err
	}
	if frac > 0 {
		err = r.AwaitFraction(ctx, frac, 2*time.Minute)
	}
	return lst, err
}
