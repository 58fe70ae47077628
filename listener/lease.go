package listener

import (
	"context"
	"sync"
	"time"

	"github.com/dbrelay/dbrelay/dialect"
)

// Leases of held messages (issue 13, defect 1).
//
// A claim leases its messages for Config.Lease, but a message may wait in
// the listener's own queue (up to Workers+BatchSize are held) and then run
// for its channel's timeout before its outcome is written. A lease counted
// from the claim alone runs out under a slow endpoint, and the same listener
// claims the message again while the first copy still waits or runs.
//
// Of the three ways out (claim only what the workers can start now; renew
// the leases of held messages; check and renew before each send) the
// listener renews: it keeps the claim pipeline that a fast drain needs (a
// claim per free worker would cost a statement per message), and costs one
// UPDATE every Lease/4 over the messages held longer than that, however
// many there are. Renewal covers a message from its claim until its
// outcome is taken up by the writer, so a send may last longer than the
// lease. It stops there: renewing rows a write-back is updating would only
// contend with it for their locks (and, on connections cut mid-statement,
// leave orphaned backends waiting on each other); a write-back delayed past
// the lease by an unreachable database is fenced off if the message was
// claimed again meanwhile, and its attempt recorded as not applied.
//
// A send never starts on a lease that may have run out: each held message
// carries a deadline on the listener's clock (taken before the claim or
// renewal was sent, so it ends no later than the database's), and a worker
// checks it before sending. A message whose renewal found it no longer
// claimed under its token (claimed again after its lease ran out while the
// database was unreachable, or deleted) is not sent either. Both are given
// back (a fenced release) instead.
type leases struct {
	mu   sync.Mutex
	held map[*dialect.Claimed]*lease
}

type lease struct {
	until   time.Time // the lease holds at least until then (listener's clock)
	lost    bool      // a renewal found the message no longer claimed under its token
	started bool      // a worker took it: it is being sent, or was
}

func newLeases() *leases { return &leases{held: map[*dialect.Claimed]*lease{}} }

// hold records a claimed message whose lease holds until until.
func (ls *leases) hold(c *dialect.Claimed, until time.Time) {
	ls.mu.Lock()
	ls.held[c] = &lease{until: until}
	ls.mu.Unlock()
}

// drop forgets a message whose outcome the writer took up.
func (ls *leases) drop(c *dialect.Claimed) {
	ls.mu.Lock()
	delete(ls.held, c)
	ls.mu.Unlock()
}

// begin is called by a worker before it sends c. It returns "" when the
// lease holds, else why the message must not be sent.
func (ls *leases) begin(c *dialect.Claimed, now time.Time) string {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	l := ls.held[c]
	switch {
	case l == nil:
		return "" // not claimed through claim() (tests build Claimed by hand)
	case l.lost:
		return "the message is no longer claimed by this listener (its lease ran out and it was claimed again, or it was deleted)"
	case !now.Before(l.until):
		return "its lease ran out before a worker was free, and no renewal succeeded in time"
	}
	l.started = true
	return ""
}

// due returns the held messages whose lease was last set before cutoff.
func (ls *leases) due(cutoff time.Time) ([]*dialect.Claimed, []dialect.Held) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	var cs []*dialect.Claimed
	var hs []dialect.Held
	for c, l := range ls.held {
		if !l.lost && l.until.Before(cutoff) {
			cs = append(cs, c)
			hs = append(hs, dialect.Held{ID: c.ID, Token: c.Token})
		}
	}
	return cs, hs
}

// renewed applies a renewal's result: the messages in renewed hold until
// until; the others asked for are lost. It returns those lost before a
// worker took them (they will not be sent).
func (ls *leases) renewed(asked []*dialect.Claimed, renewed []dialect.Held, until time.Time) (unsent []*dialect.Claimed) {
	ok := make(map[dialect.Held]bool, len(renewed))
	for _, h := range renewed {
		ok[h] = true
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	for _, c := range asked {
		l := ls.held[c]
		switch {
		case l == nil: // written meanwhile
		case ok[dialect.Held{ID: c.ID, Token: c.Token}]:
			l.until = until
		default:
			l.lost = true
			if !l.started {
				unsent = append(unsent, c)
			}
		}
	}
	return unsent
}

// renewEvery is how often the listener renews: a lease is renewed once it
// is older than this, so it has at least half its length left when the
// renewal is sent.
func (l *Listener) renewEvery() time.Duration { return l.cfg.Lease / 4 }

// startRenewing runs the renewal loop until the returned stop is called
// (after the last outcome is written).
func (l *Listener) startRenewing() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		every := l.renewEvery()
		t := time.NewTimer(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			t.Reset(l.renew(ctx))
		}
	}()
	return func() { cancel(); <-done }
}

// renew extends, in one statement, the leases of the messages held longer
// than renewEvery, and returns when to renew next: sooner after a failure,
// since the leases keep running out.
func (l *Listener) renew(ctx context.Context) time.Duration {
	every := l.renewEvery()
	start := time.Now()
	asked, held := l.leases.due(start.Add(l.cfg.Lease - every))
	if len(held) == 0 {
		return every
	}
	rctx, cancel := context.WithTimeout(ctx, min(queryTimeout, every))
	renewed, err := l.queue.Renew(rctx, held, l.cfg.Lease)
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			l.log.Warn("could not renew the leases of held messages; a message whose lease runs out before a renewal succeeds is given back unsent",
				"err", err, "n", len(held))
		}
		return min(every, time.Second)
	}
	for _, c := range l.leases.renewed(asked, renewed, start.Add(l.cfg.Lease)) {
		l.log.Warn("held message no longer claimed by this listener: its lease ran out and it was claimed again, or it was deleted; it will not be sent from here",
			"id", c.ID, "key", c.Key, "token", c.Token)
	}
	l.log.Debug("leases renewed", "n", len(renewed), "asked", len(held))
	return every
}
