package listener

import (
	"context"
	"time"

	"github.com/dbrelay/dbrelay/dialect"
)

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
