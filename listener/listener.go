// Package listener delivers the messages of relay.message: it wakes on a
// notification (or a poll), claims a batch of due messages under a lease,
// delivers them with bounded concurrency, and writes the outcomes back in
// batches, each fenced by the claim's token.
//
// Delivery is at-least-once. A listener that dies leaves its claimed
// messages to be claimed again when their lease runs out; every outbound call
// carries the message key so receivers can de-duplicate.
//
// Shape of a running listener:
//
//	claimer ──claimed──▶ workers (Config.Workers) ──outcomes──▶ writer
//	   ▲  wake: NOTIFY, poll timer, retry timer, freed capacity  │
//	   └──────────────────── capacity released ◀─────────────────┘
//
// At most Workers+BatchSize messages are held at a time; a message's slot is
// freed only when its outcome is written, so a database that stops taking
// write-backs stops the claiming too. The leases of held messages are
// renewed while they wait and run (lease.go), so a send never starts on a
// lease that may have run out.
//
// Memory is bounded whatever the table holds: a message over
// relay.settings.max_message_bytes is claimed without its content and
// marked dead, so the content held is at most (Workers+BatchSize) ×
// max_message_bytes.
package listener

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dbrelay/dbrelay/channel"
	"github.com/dbrelay/dbrelay/dialect"
	"github.com/dbrelay/dbrelay/schema"
)

// Listener is one delivery process against one database.
type Listener struct {
	cfg   Config
	conn  *dialect.Conn
	queue dialect.Queue
	waker dialect.Waker // nil: polling only
	log   *slog.Logger

	channels *channelCache
	dispatch *dispatcher // claimed messages, per channel, for the workers (dispatch.go)
	outcomes chan finished
	slots    chan struct{} // one token per message held; capacity Workers+BatchSize
	freed    chan struct{} // signalled when slots are released
	// deferWake asks for a bulk deferral of held-back channels (defer.go).
	deferWake chan struct{}
	claims    atomic.Uint64 // claim counter, for tokens
	leases    *leases       // of every message held, renewed by one goroutine

	// nextRetry is the earliest due time of a retry this listener wrote
	// (UnixNano; 0 = none), so it claims a retry on time without polling.
	nextRetry atomic.Int64

	// Shutdown (shutdown.go): stopping is closed when it begins; stopBy is
	// its deadline (UnixNano; 0 before).
	stopping chan struct{}
	stopBy   atomic.Int64
	// Progress, for Ready: since when the claimer and the writer have been
	// trying without success.
	claiming, writing trying
	// echoFailed holds, per channel, why its last ECHO health check failed
	// (channel code → string), until an attempt on it succeeds (echo.go).
	echoFailed sync.Map
}

// finished is an outcome on its way to the writers, with what the metrics
// and logs need.
type finished struct {
	dialect.Outcome
	claimed *dialect.Claimed
	entry   *channelEntry // nil when the channel was unknown
}

// New prepares a listener: it checks that the database's schema is the one
// this binary knows, prepares the statements, reads the channels and, when
// the dialect can notify, starts listening.
func New(ctx context.Context, conn *dialect.Conn, cfg Config) (*Listener, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	if err := schema.Check(ctx, conn); err != nil {
		return nil, err
	}
	q, err := conn.Dialect.NewQueue(ctx, conn, dialect.QueueOptions{AsyncClaims: cfg.AsyncClaims})
	if err != nil {
		return nil, err
	}
	q.OnlyChannels(cfg.Channels)
	capacity := cfg.Workers + cfg.BatchSize
	l := &Listener{
		cfg:       cfg,
		conn:      conn,
		queue:     q,
		log:       cfg.Logger.With("listener", cfg.ID),
		dispatch:  newDispatcher(cfg.Workers),
		outcomes:  make(chan finished, capacity),
		slots:     make(chan struct{}, capacity),
		freed:     make(chan struct{}, 1),
		deferWake: make(chan struct{}, 1),
		leases:    newLeases(),
		stopping:  make(chan struct{}),
	}
	l.channels = newChannelCache(q, cfg, l.log)
	cfg.Metrics.watch(conn, l)
	if err := l.channels.reload(ctx); err != nil {
		q.Close()
		return nil, err
	}
	if err := l.channels.checkKnown(cfg.Channels); err != nil {
		q.Close()
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	if n, ok := conn.Dialect.(dialect.Notifying); ok && !cfg.NoNotify {
		if l.waker, err = n.Listen(ctx, conn, cfg.ID, l.log); err != nil {
			q.Close()
			l.channels.close()
			return nil, err
		}
	}
	return l, nil
}

// Run delivers until ctx is cancelled, then shuts down gracefully: it stops
// claiming, releases claimed messages it has not started, gives deliveries in
// flight Config.Grace to finish (then interrupts them), and writes every
// outcome back before returning.
//
// The shutdown is bounded even when the database does not answer: the
// write-backs get shutdownBound after the grace period, then every
// connection still waiting is closed (see shutdown.go). Messages whose
// outcome could not be written stay 'sending' until their lease ends, and
// are claimed again then.
func (l *Listener) Run(ctx context.Context) error {
	l.log.Info("listener started", "workers", l.cfg.Workers, "batch_size", l.cfg.BatchSize,
		"lease", l.cfg.Lease.String(), "poll_interval", l.cfg.PollInterval.String(), "notify", l.waker != nil,
		"durable_claims", !l.cfg.AsyncClaims)
	// Leases are renewed until the writer has taken up the last outcome
	// (stopped below, before the queue is closed).
	stopRenew := l.startRenewing()

	// Deliveries get their own context: cancelled only when the grace
	// period after ctx ends has run out.
	deliverCtx, interrupt := context.WithCancel(context.WithoutCancel(ctx))
	defer interrupt()

	var workers, writers sync.WaitGroup
	for i := 0; i < l.cfg.Workers; i++ {
		workers.Add(1)
		go func() { defer workers.Done(); l.deliverLoop(ctx, deliverCtx) }()
	}
	// One writer: while it writes a batch the next one gathers, so batches
	// grow with the load; two writers halve them and cost the database ~5
	// µs more per message (measured).
	writers.Add(1)
	go func() { defer writers.Done(); l.writeLoop() }()
	// Hooks run after their outcomes are committed, apart from the
	// write-back (hooks.go).
	stopHooks, hooksDone := make(chan struct{}), make(chan struct{})
	go func() { defer close(hooksDone); l.hookLoop(stopHooks) }()
	// Channel health goes to relay.channel_health (health.go).
	stopHealth, healthDone := make(chan struct{}), make(chan struct{})
	go func() { defer close(healthDone); l.healthLoop(stopHealth) }()
	defer func() { close(stopHealth); <-healthDone }()
	claimed := make(chan struct{})
	go func() { defer close(claimed); l.claimLoop(ctx) }()
	deferDone := make(chan struct{})
	go func() { defer close(deferDone); l.deferLoop(ctx) }()

	<-ctx.Done()
	// Shutting down. From here on everything is bounded by the deadline:
	// a claim or write-back still waiting then has its connection closed.
	graceEnd := time.Now().Add(l.cfg.Grace)
	stopBy := l.beginShutdown()
	l.log.Info("shutting down: no more claims; deliveries in flight get the grace period", "grace", l.cfg.Grace.String(),
		"deadline", stopBy.Format(time.RFC3339Nano))
	stopAbort := l.abortAt(stopBy)
	defer stopAbort()
	<-claimed
	<-deferDone
	// No more claims. Workers release what they have not started (they
	// see ctx done) and finish what is in flight.
	l.dispatch.close()
	done := make(chan struct{})
	go func() { workers.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Until(graceEnd)):
		l.log.Warn("grace period over: interrupting deliveries in flight", "grace", l.cfg.Grace.String())
		interrupt()
		<-done
	}
	close(l.outcomes)
	writers.Wait()
	stopRenew()
	close(stopHooks)
	<-hooksDone
	if l.waker != nil {
		l.waker.Close()
	}
	l.queue.Close()
	l.channels.close()
	l.log.Info("listener stopped")
	return nil
}

// claimLoop claims while there is room and work, and sleeps otherwise.
//
// With notifications (PostgreSQL) the listener tells the database when it is
// idle, so that hosts' inserts pay for a NOTIFY only then. While it finds
// work it claims again at once. When a claim finds nothing it lingers:
// still marked busy, it claims every LingerPoll until Linger has passed
// since it last found work, so a steady flow of messages never makes it go
// idle (and every insert notify). Then it marks itself idle and claims once
// more before sleeping (a message committed just before the mark sent no
// notification). A claim that finds work marks it busy again.
//
// Without notifications (SQL Server, or NoNotify) polling adapts: at once
// again after a full claim, PollMin after a partial one, then doubling up to
// PollInterval while claims come back empty.
func (l *Listener) claimLoop(ctx context.Context) {
	poll := time.NewTimer(0)
	defer poll.Stop()
	var wake <-chan struct{}
	if l.waker != nil {
		wake = l.waker.Wake()
	}
	failures := 0
	quick := 0             // claims retried at once since the last one that worked
	idle := false          // marked idle in the database (with a waker)
	sleep := l.cfg.PollMin // adaptive polling's next sleep (without a waker)
	var lastWork time.Time // when a claim last found work
	for ctx.Err() == nil {
		room := cap(l.slots) - len(l.slots)
		if room == 0 || room < l.cfg.BatchSize/2 {
			// Wait for write-backs to free a useful amount of room.
			select {
			case <-ctx.Done():
				return
			case <-l.freed:
			}
			continue
		}
		n := min(room, l.cfg.BatchSize)
		l.claiming.start()
		l.channels.maybeReload(ctx)
		got, err := l.claim(ctx, n)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if errors.Is(err, errGivenBack) && quick < maxQuickRetries {
				// The claim failed (typically on a pooled connection that
				// had broken: it runs once, on a *sql.Conn, so database/sql
				// does not retry it on a fresh one by itself), and the
				// database answered the give-back at once: it is
				// reachable, so claim again at once, as database/sql
				// would have.
				quick++
				l.log.Warn("claim failed; what it may have taken was given back; claiming again", "err", err)
				continue
			}
			failures++
			backoff := min(time.Duration(failures)*100*time.Millisecond, 5*time.Second)
			l.log.Error("claim failed; retrying", "err", err, "in", backoff)
			pause(ctx, backoff)
			continue
		}
		failures, quick = 0, 0
		l.claiming.done()

		if got > 0 {
			lastWork = time.Now()
			sleep = l.cfg.PollMin
			if idle {
				idle = !l.mark(ctx, l.waker.Busy, "busy")
			}
		}
		var wait time.Duration
		switch {
		case got == n:
			continue // probably more due: claim again at once
		case got > 0 && l.waker != nil:
			// A partial claim: the backlog is gone and messages trickle in.
			// Wait a little so the next claim takes several at once; the
			// more this one found, the faster they come, the longer the
			// wait (at most maxPace), so claims stay amortised and do not
			// spin against the hosts for the CPU.
			wait = min(time.Duration(got)*l.cfg.LingerPoll, maxPace)
		case got > 0:
			wait = l.cfg.PollMin
		case l.waker == nil:
			wait, sleep = sleep, min(sleep*2, l.cfg.PollInterval)
		case !idle && time.Since(lastWork) < l.cfg.Linger:
			wait = l.cfg.LingerPoll
		case !idle:
			// Even if the mark fails, sleep after the next claim: the
			// fallback poll still finds everything.
			l.mark(ctx, l.waker.Idle, "idle")
			idle = true
			continue // one more claim before sleeping
		default:
			wait = l.cfg.PollInterval
		}
		// Drained: sleep until a notification, the poll, a retry of ours
		// falling due, or ctx.
		resetTimer(poll, l.untilNextPoll(wait))
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-poll.C:
		}
	}
}

// mark records the listener idle or busy, reporting whether it worked. A
// failure is logged and costs only efficiency: the fallback poll still runs.
func (l *Listener) mark(ctx context.Context, fn func(context.Context) error, state string) bool {
	if err := fn(ctx); err != nil {
		if ctx.Err() == nil {
			l.log.Warn("could not record the listener as "+state, "err", err)
		}
		return false
	}
	return true
}

// untilNextPoll is d, or less when a retry this listener scheduled falls
// due sooner.
func (l *Listener) untilNextPoll(d time.Duration) time.Duration {
	if next := l.nextRetry.Load(); next != 0 {
		if until := time.Until(time.Unix(0, next)); until < d {
			l.nextRetry.CompareAndSwap(next, 0)
			d = max(until, time.Millisecond)
		}
	}
	return d
}

// claim takes up to n messages and hands them to the workers. The query
// itself is not cancelled with ctx: a claim cancelled after the server
// committed it would strand its rows until their lease ran out.
//
// The token is chosen before the claim is sent, so a claim whose reply is
// lost (it may have committed) is recoverable: unclaim gives back whatever
// the token took. Each message's lease is counted from before the claim was
// sent, so the listener's idea of it ends no later than the database's.
func (l *Listener) claim(ctx context.Context, n int) (int, error) {
	token := l.cfg.ID + ":" + strconv.FormatUint(l.claims.Add(1), 36)
	qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), queryTimeout)
	defer cancel()
	sent := time.Now()
	claimed, deferred, err := l.queue.Claim(qctx, token, n, l.cfg.Lease, l.dispatch.deferrals())
	if err != nil {
		if l.unclaim(ctx, token) {
			return 0, fmt.Errorf("%w; %w", err, errGivenBack)
		}
		return 0, err
	}
	until := sent.Add(l.cfg.Lease)
	l.channels.recheck(qctx, claimed)
	batch := make([]*dialect.Claimed, 0, len(claimed))
	for i := range claimed {
		c := &claimed[i]
		l.slots <- struct{}{} // never blocks: n ≤ free slots
		l.leases.hold(c, until)
		e := l.channels.get(c.Channel)
		if e != nil && e.metrics != nil {
			e.metrics.claimed.Inc()
		}
		if c.Oversize {
			l.outcomes <- l.tooLarge(c, e) // never blocks: it has a slot
			continue
		}
		batch = append(batch, c)
	}
	released := l.dispatch.add(batch, l.channels.timeout)
	l.releaseAll(released)
	if len(released) > 0 && len(released) == len(batch) {
		// Only messages of parked or saturated channels (dispatch.go):
		// each claim moves them out of the due set, so claiming on finds
		// the others' messages behind them; a short pause bounds how fast
		// a large backlog of them is churned through.
		pause(ctx, l.cfg.PollMin)
	}
	if len(claimed)+deferred > 0 {
		l.log.Debug("claimed", "n", len(claimed), "deferred", deferred, "token", token)
	}
	if bulkDeferWorth(len(claimed), deferred) {
		l.wakeDefer()
	}
	return len(claimed) + deferred, nil
}

// errGivenBack marks a claim error after which the database at once gave
// back whatever the claim may have taken.
var errGivenBack = errors.New("given back")

// maxQuickRetries bounds the claims retried at once after errGivenBack (a
// pool of broken connections is used up within a few).
const maxQuickRetries = 10

// unclaim gives back what a failed claim may have taken (its reply may have
// been lost after it committed), retrying until the database answers or the
// listener stops. Until then nothing else is claimed: the claim loop waits
// here. It reports whether the first try worked.
func (l *Listener) unclaim(ctx context.Context, token string) (atOnce bool) {
	for attempt := 1; ; attempt++ {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), queryTimeout)
		n, err := l.queue.Unclaim(uctx, token)
		cancel()
		if err == nil {
			if n > 0 {
				l.log.Warn("a claim failed after it had taken messages (its reply was lost); gave them back, due now",
					"token", token, "n", n)
			}
			return attempt == 1
		}
		wait := min(time.Duration(attempt)*100*time.Millisecond, 5*time.Second)
		if ctx.Err() != nil {
			l.log.Error("stopping before the messages a failed claim may have taken could be given back; they are claimed again when their lease ends",
				"token", token, "lease", l.cfg.Lease, "err", err)
			return false
		}
		l.log.Error("could not give back what a failed claim may have taken; retrying", "token", token, "err", err, "in", wait)
		pause(ctx, wait)
	}
}

// ErrMessageTooLarge names the error stored in last_error when a message in
// the table is over relay.settings.max_message_bytes (the limit was lowered
// after it was pushed, or it was written around relay.push's check). The
// listener does not load it: its memory stays bounded whatever the table
// holds.
var ErrMessageTooLarge = errors.New("message_too_large")

// tooLarge is the outcome of an oversize message: dead, without an attempt
// (the endpoint was never called), with last_error saying what to do.
func (l *Listener) tooLarge(c *dialect.Claimed, e *channelEntry) finished {
	why := fmt.Sprintf("%v: the message is %d bytes (title, body and payload), over relay.settings.max_message_bytes (%d); the listener does not load it. Raise the limit (UPDATE relay.settings SET max_message_bytes = …) and retry it (dbrelay retry %d)",
		ErrMessageTooLarge, c.Size, c.MaxBytes, c.ID)
	l.log.Error("message too large to deliver; marked dead", "id", c.ID, "key", c.Key, "channel", c.Channel,
		"bytes", c.Size, "max_message_bytes", c.MaxBytes)
	return finished{claimed: c, entry: e, Outcome: dialect.Outcome{ID: c.ID, Token: c.Token,
		Status: dialect.StatusDead, Released: true, Result: channel.Result{Outcome: channel.Permanent, Err: why}}}
}

// release frees the slots of n written outcomes and wakes the claimer.
func (l *Listener) release(n int) {
	for i := 0; i < n; i++ {
		<-l.slots
	}
	select {
	case l.freed <- struct{}{}:
	default:
	}
}

func resetTimer(t *time.Timer, d time.Duration) {
	if !t.Stop() {
		select {
		case <-t.C:
		default:
		}
	}
	t.Reset(d)
}

func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// ErrConfig marks a configuration the listener refuses.
var ErrConfig = errors.New("listener configuration")

// maxPace caps the wait after a partial claim (see claimLoop).
const maxPace = 5 * time.Millisecond

// queryTimeout bounds each claim and write-back statement.
const queryTimeout = 30 * time.Second
