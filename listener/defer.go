package listener

import (
	"context"
	"time"

	"github.com/dbrelay/dbrelay/dialect"
)

// Moving a held-back channel's backlog on in one statement.
//
// Every claim moves on the due messages of held-back channels (parked, or
// their share of workers busy: dispatcher.deferrals) that its scan meets,
// so none is met by claim after claim. But each one moved is still a row
// the claim updates, in the claim loop, which is one statement at a time:
// beside a stalled channel whose messages are a third of those due, the
// claims do half as much moving on as claiming, and the healthy channel
// drained at 0.75 of its solo rate (make bench ONLY=head-of-line, 50,000
// messages). So when a claim finds that a good part of what it met was
// held back, the listener moves every due message of those channels on in
// one statement, on its own connection, beside the claims (0.84 in the
// same bench). That statement reads every due message to find them, so it
// runs at most once per channel every bulkDeferEvery (and the claims keep
// moving on what arrives meanwhile).

const (
	// bulkDeferShare: a claim that moved on at least 1/bulkDeferShare of
	// the rows it met (and at least bulkDeferMin) wakes the bulk deferral.
	bulkDeferShare = 10
	bulkDeferMin   = 10
	// bulkDeferEvery is the least time between two bulk deferrals of a
	// channel, however short its deferral: each reads the whole due set.
	bulkDeferEvery = 10 * time.Second
)

// bulkDeferWorth reports whether a claim that took claimed messages and
// moved deferred on should wake the bulk deferral.
func bulkDeferWorth(claimed, deferred int) bool {
	return deferred >= bulkDeferMin && deferred*bulkDeferShare >= claimed+deferred
}

// bulkDeferrals remembers, per channel, until when its last bulk deferral
// holds.
type bulkDeferrals map[string]time.Time

// due is the deferrals to run in bulk now: those whose channel was not
// moved on in bulk within the last bulkDeferEvery, nor within its last
// deferral's time (less a tenth, as the rows come due again ±10 %). It
// records them as done.
func (b bulkDeferrals) due(now time.Time, ds []dialect.Deferral) []dialect.Deferral {
	var out []dialect.Deferral
	for _, d := range ds {
		if now.Before(b[d.Channel]) {
			continue
		}
		out = append(out, d)
		b[d.Channel] = now.Add(max(d.For*9/10, bulkDeferEvery))
	}
	return out
}

// deferLoop runs the bulk deferrals the claims ask for (wakeDefer) until
// ctx ends. A failure costs only speed: the claims move the messages on as
// they meet them.
func (l *Listener) deferLoop(ctx context.Context) {
	done := bulkDeferrals{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.deferWake:
		}
		start := time.Now()
		todo := done.due(start, l.dispatch.deferrals())
		if len(todo) == 0 {
			continue
		}
		qctx, cancel := context.WithTimeout(ctx, queryTimeout)
		n, err := l.queue.DeferDue(qctx, todo)
		cancel()
		codes := make([]string, len(todo))
		for i, d := range todo {
			codes[i] = d.Channel
		}
		if err != nil {
			if ctx.Err() == nil {
				l.log.Warn("could not move on the due messages of held-back channels in one statement; the claims move them on as they meet them",
					"channels", codes, "err", err)
			}
			continue
		}
		l.log.Info("moved on the due messages of held-back channels (parked, or all their workers busy); not counted as attempts",
			"channels", codes, "n", n, "took", time.Since(start).String())
	}
}

// wakeDefer asks deferLoop for a bulk deferral, without waiting.
func (l *Listener) wakeDefer() {
	select {
	case l.deferWake <- struct{}{}:
	default:
	}
}
