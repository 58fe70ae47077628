package listener

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/dbrelay/dbrelay/channel"
	"github.com/dbrelay/dbrelay/dialect"
)

// postponeFor is how long a message waits when this listener cannot deliver
// on its channel at all (disabled, unknown kind, unusable configuration). It
// is not counted as an attempt: the endpoint was never tried.
const postponeFor = time.Minute

// deliverLoop is one worker. After ctx ends it releases what it has not
// started; deliverCtx interrupts what is in flight once the grace is over.
func (l *Listener) deliverLoop(ctx, deliverCtx context.Context) {
	for {
		c, ok := l.dispatch.take()
		if !ok {
			return
		}
		if ctx.Err() != nil {
			l.dispatch.done(c, false, channel.Result{}, 0) // not attempted: releases nothing
			l.outcomes <- finished{claimed: c, Outcome: dialect.Outcome{
				ID: c.ID, Token: c.Token, Status: dialect.StatusPending, Released: true}}
			continue
		}
		f := l.deliver(deliverCtx, c)
		held, park := l.dispatch.done(c, !f.Released, f.Result, f.Duration)
		l.outcomes <- f
		l.releaseAll(held)
		if park > 0 {
			l.parked(c.Channel, park, len(held))
		}
	}
}

// parked logs a channel just parked. Its messages held here were released
// until the park ends; those still due in the table are moved on by the
// claims that meet them (dispatcher.deferrals), not attempts either.
func (l *Listener) parked(code string, park time.Duration, held int) {
	l.log.Warn("channel parked: its endpoint did not answer several attempts in a row; its messages wait until the park ends, not counted as attempts",
		"channel", code, "park", park, "released", held)
}

// releaseAll hands messages the dispatcher will not run now to the writer:
// pending again after their delay, the claim's attempt given back.
func (l *Listener) releaseAll(rs []release) {
	for _, r := range rs {
		l.outcomes <- finished{claimed: r.c, entry: l.channels.get(r.c.Channel), Outcome: dialect.Outcome{
			ID: r.c.ID, Token: r.c.Token, Status: dialect.StatusPending, Released: true,
			RetryIn: r.delay, Result: channel.Result{Outcome: channel.Transient, Err: r.why}}}
	}
}

func (l *Listener) deliver(ctx context.Context, c *dialect.Claimed) finished {
	e := l.channels.get(c.Channel)
	var why string
	switch {
	case e == nil:
		why = fmt.Sprintf("channel %q is not known to this listener yet", c.Channel)
	case !e.ch.Enabled:
		why = fmt.Sprintf("channel %q is disabled; enable it (relay.channel.enabled) to deliver", c.Channel)
	case e.err != nil:
		why = e.reason
	}
	if why != "" {
		l.log.Warn("message postponed", "id", c.ID, "channel", c.Channel, "reason", why, "retry_in", postponeFor)
		return finished{claimed: c, entry: e, Outcome: dialect.Outcome{
			ID: c.ID, Token: c.Token, Status: dialect.StatusPending, Released: true,
			RetryIn: postponeFor, Result: channel.Result{Outcome: channel.Transient, Err: why}}}
	}

	// Never start a send on a lease that may have run out (lease.go).
	if why := l.leases.begin(c, time.Now()); why != "" {
		l.log.Warn("message given back unsent: "+why, "id", c.ID, "key", c.Key, "channel", c.Channel, "token", c.Token)
		return finished{claimed: c, entry: e, Outcome: dialect.Outcome{
			ID: c.ID, Token: c.Token, Status: dialect.StatusPending, Released: true}}
	}
	start := time.Now()
	res := e.send(ctx, &c.Message)
	if res.Outcome == channel.Deferred {
		// Not attempted (the channel is over its rate limit): the message
		// waits, pending, and its attempt is given back.
		l.log.Debug("message deferred", "id", c.ID, "channel", c.Channel, "retry_in", res.RetryAfter, "err", res.Err)
		return finished{claimed: c, entry: e, Outcome: dialect.Outcome{
			ID: c.ID, Token: c.Token, Status: dialect.StatusPending, Released: true, RetryIn: res.RetryAfter, Result: res}}
	}
	// The response and the error are stored and shown in relay_api: mask
	// what an endpoint may have echoed of the request's credentials.
	res.Body, res.Err = channel.RedactCredentials(res.Body), channel.RedactCredentials(res.Err)
	o := dialect.Outcome{ID: c.ID, Token: c.Token, Attempt: c.Attempt, StartedAt: start,
		Duration: time.Since(start), Result: res}
	switch {
	case res.Outcome == channel.Sent:
		o.Status = dialect.StatusSent
	case res.Outcome == channel.Permanent:
		o.Status = dialect.StatusDead
	case c.Attempt >= e.ch.MaxAttempts:
		o.Status = dialect.StatusDead
		o.Result.Err = fmt.Sprintf("gave up after %d attempts: %s", c.Attempt, res.Err)
	default:
		o.Status = dialect.StatusPending
		if ctx.Err() == nil {
			o.RetryIn = l.backoff(c.Attempt, res.RetryAfter)
		} // interrupted by shutdown: due again at once, for whichever listener
	}
	l.logAttempt(c, &o)
	l.noteEcho(c, &o)
	if l.cfg.Observe != nil {
		l.cfg.Observe(Attempt{Message: &c.Message, Result: o.Result, Status: o.Status, RetryIn: o.RetryIn, Duration: o.Duration})
	}
	return finished{claimed: c, entry: e, Outcome: o}
}

func (l *Listener) logAttempt(c *dialect.Claimed, o *dialect.Outcome) {
	switch o.Status {
	case dialect.StatusSent:
		l.log.Debug("delivered", "id", c.ID, "key", c.Key, "channel", c.Channel, "attempt", c.Attempt,
			"code", o.Result.StatusCode, "duration", o.Duration)
	case dialect.StatusDead:
		l.log.Error("delivery failed; message is dead", "id", c.ID, "key", c.Key, "channel", c.Channel,
			"attempt", c.Attempt, "code", o.Result.StatusCode, "err", o.Result.Err)
	default:
		l.log.Warn("delivery failed; will retry", "id", c.ID, "key", c.Key, "channel", c.Channel,
			"attempt", c.Attempt, "code", o.Result.StatusCode, "err", o.Result.Err, "retry_in", o.RetryIn)
	}
}

// backoff is RetryBase doubled for each attempt after the first, capped at
// RetryMax, with ±20% jitter so that messages failing together do not retry
// together; an endpoint's Retry-After wins when it asks for longer.
func (l *Listener) backoff(attempt int, retryAfter time.Duration) time.Duration {
	d := l.cfg.RetryBase
	for i := 1; i < attempt && d < l.cfg.RetryMax; i++ {
		d *= 2
	}
	d = min(d, l.cfg.RetryMax)
	d = time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
	return max(d, retryAfter)
}

// noteRetry remembers the earliest retry this listener scheduled, so the
// claimer wakes for it instead of waiting for the next poll.
func (l *Listener) noteRetry(due time.Time) {
	at := due.UnixNano()
	for {
		cur := l.nextRetry.Load()
		if cur != 0 && cur <= at {
			return
		}
		if l.nextRetry.CompareAndSwap(cur, at) {
			return
		}
	}
}
