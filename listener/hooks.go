package listener

import (
	"context"
	"time"

	"github.com/dbrelay/dbrelay/dialect"
)

// hookBatch is the most hook runs one call of RunHooks takes: one round
// trip per batch, a transaction per hook inside it.
const hookBatch = 100

// hookLoop runs the hooks queued after outcomes (relay.on_outcome, queued in
// relay.hook_run by the outcome trigger when the write-back commits), so
// that a hook never runs inside the write-back: a failing hook is rolled
// back alone, recorded (relay_api.hook_failures) and retried with its own
// backoff (RetryBase doubling up to RetryMax), and never makes a message be
// delivered again. Every listener runs one; they share the queue (a hook
// runs once, in whichever listener locks it first).
//
// It polls adaptively, as the claimer does without notifications: at once
// again after a full batch, PollMin after a partial one, then doubling up to
// PollInterval while there is nothing to run. When stop is closed (after
// the last write-back at shutdown) it runs what is due once more and
// returns; Grace after stop, a batch still running is interrupted (the hook
// it interrupts is rolled back and runs again later, the ones before it
// have committed).
func (l *Listener) hookLoop(stop <-chan struct{}) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-stop
		t := time.AfterFunc(l.cfg.Grace, cancel)
		<-ctx.Done()
		t.Stop()
	}()
	// The periodic ECHO health check (echo.go) lives and stops with the
	// hook runner: both are housekeeping beside the drain.
	echoDone := make(chan struct{})
	go func() { defer close(echoDone); l.echoLoop(ctx, stop) }()
	defer func() { <-echoDone }()
	sleep := l.cfg.PollMin
	timer := time.NewTimer(0)
	defer timer.Stop()
	failures := 0
	for {
		select {
		case <-stop:
			l.drainHooks(ctx)
			return
		case <-timer.C:
		}
		runs, err := l.runHooks(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			// Interrupted at shutdown: stop is closed, the next select returns.
		case err != nil:
			failures++
			sleep = min(time.Duration(failures)*100*time.Millisecond, 5*time.Second)
			l.log.Error("running queued hooks failed; retrying", "err", err, "in", sleep)
		case runs.Ran+runs.Failed == hookBatch:
			failures, sleep = 0, 0
		case runs.Ran+runs.Failed > 0:
			failures, sleep = 0, l.cfg.PollMin
		default:
			failures, sleep = 0, min(max(sleep*2, l.cfg.PollMin), l.cfg.PollInterval)
		}
		resetTimer(timer, sleep)
	}
}

// runHooks runs one batch and logs the hooks that failed.
func (l *Listener) runHooks(ctx context.Context) (dialect.HookRuns, error) {
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	runs, err := l.conn.Dialect.RunHooks(ctx, l.conn.DB, dialect.RunHooksParams{
		Max: hookBatch, RetryBase: l.cfg.RetryBase, RetryMax: l.cfg.RetryMax,
	})
	if err == nil && runs.Failed > 0 {
		l.log.Warn("relay.on_outcome failed; the outcomes are recorded, and the hooks are retried on their own: see relay_api.hook_failures",
			"failed", runs.Failed, "ran", runs.Ran)
	}
	return runs, err
}

// drainHooks runs the hooks due at shutdown, batch after batch, until none
// is left or ctx ends (Grace after the shutdown began).
func (l *Listener) drainHooks(ctx context.Context) {
	for ctx.Err() == nil {
		runs, err := l.runHooks(ctx)
		if err != nil || runs.Ran+runs.Failed < hookBatch {
			return
		}
	}
}
