package listener

import (
	"context"
	"time"

	"github.com/dbrelay/dbrelay/dialect"
)

// writeLoop writes outcomes back in batches: it takes one outcome, then
// everything else already waiting (up to BatchSize), and writes them in one
// statement. While a batch is being written the next one gathers, so the
// batch size follows the load without a timer adding latency.
func (l *Listener) writeLoop() {
	batch := make([]finished, 0, l.cfg.BatchSize)
	outs := make([]dialect.Outcome, 0, l.cfg.BatchSize)
	for f := range l.outcomes {
		batch = append(batch[:0], f)
	gather:
		for len(batch) < l.cfg.BatchSize {
			select {
			case f, ok := <-l.outcomes:
				if !ok {
					break gather
				}
				batch = append(batch, f)
			default:
				break gather
			}
		}
		// From here the fence decides: renewing rows a write-back is
		// updating would only contend with it for their locks.
		l.unhold(batch)
		outs = outs[:0]
		for i := range batch {
			outs = append(outs, batch[i].Outcome)
		}
		l.writeAudits(batch) // email attempts' audit rows (audit.go)
		l.flush(batch, outs)
	}
}

// flush writes one batch, retrying while the database is unreachable
// (retryWrite). The write-back is idempotent (an attempt is recorded once,
// under its claim token), so retrying one whose reply was lost is safe.
// Giving up after one lease is right: by then other listeners may have
// claimed these messages again, and the fence would reject the write
// anyway. Given up, the messages stay 'sending' until their lease ends, then
// are claimed again.
func (l *Listener) flush(batch []finished, outs []dialect.Outcome) {
	defer l.release(len(batch))
	l.writing.start()
	defer l.writing.done()
	var fates []dialect.Fate
	ok := l.retryWrite("write-back", "these messages stay 'sending' until their lease ends, then are claimed again",
		len(batch), func(i int) int64 { return batch[i].ID },
		func(ctx context.Context) (err error) { fates, err = l.queue.Finish(ctx, outs); return err })
	if ok {
		l.recordWritten(batch, fates)
	}
}

// retryWrite runs write until it succeeds, retrying while the database is
// unreachable, and reports whether it did. It gives up after one lease, or
// at the shutdown's deadline when that comes first (shutdown.go), logging
// what failed, what that leaves (lost) and the n ids (id(i)). Each run is
// bounded by l.statementContext.
func (l *Listener) retryWrite(what, lost string, n int, id func(int) int64, write func(context.Context) error) bool {
	deadline := time.Now().Add(l.cfg.Lease)
	stopping := l.stopping // nil once seen: it wakes the wait once
	for attempt := 1; ; attempt++ {
		ctx, cancel := l.statementContext()
		err := write(ctx)
		cancel()
		if err == nil {
			return true
		}
		giveUp, why := deadline, "for a whole lease"
		if by, ok := l.shutdownDeadline(); ok && by.Before(giveUp) {
			giveUp, why = by, "until the shutdown deadline"
		}
		if !time.Now().Before(giveUp) {
			ids := make([]int64, n)
			for i := range ids {
				ids[i] = id(i)
			}
			l.log.Error(what+" failed "+why+"; "+lost, "err", err, "ids", ids)
			return false
		}
		wait := min(time.Duration(attempt)*100*time.Millisecond, 5*time.Second, time.Until(giveUp))
		l.log.Error(what+" failed; retrying", "err", err, "n", n, "in", wait.String())
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-stopping: // the shutdown's deadline may be sooner: retry now
			t.Stop()
			stopping = nil
		}
	}
}

// unhold stops renewing the leases of a batch's messages.
func (l *Listener) unhold(batch []finished) {
	for i := range batch {
		l.leases.drop(batch[i].claimed)
	}
}

// recordWritten updates metrics from what the database holds (an outcome
// an earlier run of the same write-back applied counts as applied),
// schedules the wake-up for retries, and says what happened to outcomes
// that were not applied.
func (l *Listener) recordWritten(batch []finished, fates []dialect.Fate) {
	now := time.Now()
	for i := range batch {
		f := &batch[i]
		switch {
		case fates[i] == dialect.Deleted:
			l.log.Warn("outcome not recorded: the message was deleted while this listener held it",
				"id", f.ID, "key", f.claimed.Key, "status", f.Status, "token", f.Token)
			continue
		case fates[i] == dialect.Superseded && f.Released:
			l.log.Info("message not given back: it is no longer claimed by this listener (its lease ran out and it was claimed again)",
				"id", f.ID, "key", f.claimed.Key, "token", f.Token)
			continue
		case fates[i] == dialect.Superseded:
			l.log.Warn("outcome not applied: the lease ran out before the write-back and the message was claimed again (by this or another listener), which decides its status; this attempt is recorded in relay.delivery with applied = false",
				"id", f.ID, "key", f.claimed.Key, "status", f.Status, "attempt", f.Attempt, "token", f.Token)
			continue
		}
		if f.Status == dialect.StatusPending && (!f.Released || f.RetryIn > 0) {
			// A little slack: the retry's due time is the database's now()
			// plus RetryIn, and the write committed just before this.
			// Released messages with a RetryIn (postponed, or deferred by a
			// rate limit) are due again then too.
			l.noteRetry(now.Add(f.RetryIn + 10*time.Millisecond))
		}
		l.cfg.Metrics.finished(f)
	}
}
