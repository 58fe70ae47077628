package listener

import (
	"context"
	"fmt"
	"sort"
	"sync/atomic"
	"time"

	"github.com/dbrelay/dbrelay/dialect"
)

// Channel health (issue 12, item 7): a channel this listener cannot deliver
// on keeps its messages pending, postponed a minute at a time, which looks
// like nothing at all from outside. So the listener says, for each channel
// it serves, whether it can deliver on it and why not, in three places:
// relay.channel_health (read by relay_api.channel_stats and `dbrelay
// status`), the metric dbrelay_channel_up, and its log (channels.go).

// healthEvery is how often the listener rewrites its rows of
// relay.channel_health; the view ignores rows older than a minute, so a
// listener that died stops counting within a minute.
const healthEvery = 10 * time.Second

// forgetWait bounds the removal of the listener's rows at shutdown.
const forgetWait = 3 * time.Second

// health is this listener's view of each channel it serves, sorted by
// channel.
func (l *Listener) health() []dialect.ChannelHealth {
	entries := *l.channels.entries.Load()
	parked := l.dispatch.parked()
	out := make([]dialect.ChannelHealth, 0, len(entries))
	for code, e := range entries {
		if !l.serves(code) {
			continue
		}
		h := dialect.ChannelHealth{Channel: code, Up: true}
		switch until, isParked := parked[code]; {
		case e.err != nil:
			h.Up, h.Reason = false, e.reason
		case !e.ch.Enabled:
			h.Up, h.Reason = false, fmt.Sprintf("channel %q is disabled; enable it (relay.channel.enabled) to deliver", code)
		case isParked:
			h.Up, h.ParkedUntil = false, until
			h.Reason = fmt.Sprintf("channel %q is parked: %d attempts in a row got no answer (timeout or connection failure); the listener tries it again at parked_until",
				code, breakerFailures)
		default:
			if why, failed := l.echoFailed.Load(code); failed {
				h.Up = false
				h.Reason = fmt.Sprintf("the last ECHO health check on channel %q failed (%s); it counts as up again after a delivery on it succeeds", code, why)
			}
		}
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Channel < out[j].Channel })
	return out
}

// serves reports whether this listener delivers the channel's messages
// (all channels unless Config.Channels names some).
func (l *Listener) serves(code string) bool {
	if len(l.cfg.Channels) == 0 {
		return true
	}
	for _, c := range l.cfg.Channels {
		if c == code {
			return true
		}
	}
	return false
}

// healthLoop writes the listener's view of its channels into
// relay.channel_health every healthEvery and whenever a channel is parked
// or unparked, until stop; then it deletes its rows. A failed write is
// logged and tried again at the next turn: it costs visibility, never
// deliveries.
func (l *Listener) healthLoop(stop <-chan struct{}) {
	t := time.NewTicker(healthEvery)
	defer t.Stop()
	var failing atomic.Bool
	report := func() {
		ctx, cancel := context.WithTimeout(context.Background(), queryTimeout)
		defer cancel()
		err := l.conn.Dialect.ReportHealth(ctx, l.conn.DB, l.cfg.ID, l.health())
		switch {
		case err != nil && !failing.Swap(true):
			l.log.Warn("could not write channel health (relay.channel_health); relay_api.channel_stats shows no listener until it works again", "err", err)
		case err == nil && failing.Swap(false):
			l.log.Info("channel health written again")
		}
	}
	report()
	for {
		select {
		case <-stop:
			// Not waited for beyond forgetWait: a database that does not
			// answer must not hold up the shutdown (the rows are ignored
			// after a minute anyway).
			done := make(chan struct{})
			go func() {
				defer close(done)
				ctx, cancel := context.WithTimeout(context.Background(), forgetWait)
				defer cancel()
				if err := l.conn.Dialect.ForgetHealth(ctx, l.conn.DB, l.cfg.ID); err != nil {
					l.log.Warn("could not remove this listener's rows of relay.channel_health; they are ignored after a minute", "err", err)
				}
			}()
			select {
			case <-done:
			case <-time.After(forgetWait):
			}
			return
		case <-t.C:
		case <-l.dispatch.changed:
		}
		report()
	}
}
