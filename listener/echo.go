package listener

import (
	"context"
	"time"

	"github.com/dbrelay/dbrelay/dialect"
)

// echoEvent is the event of the health checks (and of `dbrelay channel
// test`): relay.raise routes it straight to the channel named in its ref.
const echoEvent = "ECHO"

// noteEcho feeds the ECHO health checks into the channel's health
// (health.go: relay_api.channel_stats, `dbrelay status`,
// dbrelay_channel_up): an ECHO attempt that failed marks the channel down,
// with its error as the reason, until an attempt on the channel succeeds.
// An endpoint that answers but refuses (a 404 after a route changed, a 401
// after a key was rotated) would otherwise look up while idle, since only
// attempts without an answer park a channel.
func (l *Listener) noteEcho(c *dialect.Claimed, o *dialect.Outcome) {
	switch {
	case o.Status == dialect.StatusSent:
		if _, failed := l.echoFailed.Load(c.Channel); failed {
			l.echoFailed.Delete(c.Channel)
			l.dispatch.signal()
		}
	case c.Event == echoEvent && !o.Released:
		l.echoFailed.Store(c.Channel, o.Result.Err)
		l.dispatch.signal()
	}
}

// echoLoop raises the periodic ECHO health checks (docs/events.md): every
// Config.EchoCheck it calls relay.echo_due, which raises an ECHO event on
// each channel whose relay.channel.echo_every_s has passed since its last
// one and that has nothing waiting. The ECHO is an ordinary message, so
// this listener (or another) delivers it and records its outcome;
// relay_api.channel_echo shows it. Listeners share the work: the database
// lets one of them raise at a time, so the channel gets one ECHO per
// interval. It returns when stop is closed (at shutdown, after the last
// write-back); ctx bounds a check in progress then.
func (l *Listener) echoLoop(ctx context.Context, stop <-chan struct{}) {
	events, err := dialect.EventsOf(l.conn)
	if err != nil || l.cfg.EchoCheck < 0 {
		return
	}
	t := time.NewTicker(l.cfg.EchoCheck)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		qctx, cancel := context.WithTimeout(ctx, queryTimeout)
		n, err := events.EchoDue(qctx, l.conn.DB)
		cancel()
		switch {
		case err != nil && ctx.Err() == nil:
			l.log.Error("raising the periodic ECHO health checks failed; trying again later", "err", err, "in", l.cfg.EchoCheck)
		case n > 0:
			l.log.Debug("ECHO health checks raised", "channels", n)
		}
	}
}
