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
		outs = outs[:0]
		for i := range batch {
			outs = append(outs, batch[i].Outcome)
		}
		l.flush(batch, outs)
	}
}

// flush writes one batch, retrying while the database is unreachable. It
// gives up after one lease: by then other listeners may have claimed these
// messages again, and the fence would reject the write anyway.
func (l *Listener) flush(batch []finished, outs []dialect.Outcome) {
	defer l.release(len(batch))
	deadline := time.Now().Add(l.cfg.Lease)
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), queryTimeout)
		written, err := l.queue.Finish(ctx, outs)
		cancel()
		if err == nil {
			l.recordWritten(batch, written)
			return
		}
		if time.Now().After(deadline) {
			ids := make([]int64, len(batch))
			for i := range batch {
				ids[i] = batch[i].ID
			}
			l.log.Error("write-back failed for a whole lease; these messages stay 'sending' and will be claimed again",
				"err", err, "ids", ids)
			return
		}
		wait := min(time.Duration(attempt)*100*time.Millisecond, 5*time.Second)
		l.log.Error("write-back failed; retrying", "err", err, "n", len(batch), "in", wait)
		time.Sleep(wait)
	}
}

// recordWritten updates metrics, schedules the wake-up for retries, and
// reports outcomes whose fence did not hold.
func (l *Listener) recordWritten(batch []finished, written []int64) {
	held := make(map[int64]bool, len(written))
	for _, id := range written {
		held[id] = true
	}
	now := time.Now()
	for i := range batch {
		f := &batch[i]
		if !held[f.ID] {
			l.log.Warn("outcome not recorded: the lease ran out and another listener took the message over",
				"id", f.ID, "key", f.claimed.Key, "status", f.Status, "token", f.Token)
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
