package listener

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/dbrelay/dbrelay/channel"
	"github.com/dbrelay/dbrelay/dialect"
)

// Fair dispatch (issue 13, defect 6). One worker pool serves every channel,
// and an attempt holds its worker for as long as the endpoint takes: up to
// the channel's timeout. Handed out first come, first served, a channel
// whose endpoint accepts connections and never answers ends up holding
// every worker, and the healthy channels beside it drain at a fraction of a
// percent of their rate. Two rules prevent that:
//
//   - A share of the workers. While more than one channel has messages held
//     by this listener (or held some within the last second), a channel
//     runs at most Workers/(channels with work) attempts at once (at least
//     one), and a suspect one (no attempt ended yet, the last one got no
//     answer, or attempts of 2 s or more on average) at most Workers/8. Alone it may use all of them but a
//     reserve (Workers/8, at least one), kept idle so that a channel whose
//     messages arrive next starts at once rather than after the stalled
//     attempts time out. While others have work, a channel that is not
//     fast (attempts under 250 ms on average) and whose share of workers
//     is all busy queues at most one share more of claimed messages; the
//     claim's excess is released (the attempt given back) to be claimed
//     again after about the channel's timeout (1 s to 10 s), so a stalled
//     channel cannot fill the listener's slots either, and the next claims
//     defer its due messages by as much (deferrals). A fast channel
//     never has its messages released, and borrows the workers idle beyond
//     the reserve. (Alone a channel may
//     fill the slots: a stalled one then delays the first claim of another
//     by at most its timeout, when the breaker parks it.)
//   - A circuit breaker. After breakerFailures consecutive attempts of a
//     channel that failed without an answer (timeout, refused or reset
//     connection), the channel is parked: its messages held here are
//     released, due again when the park ends, their attempt given back (an
//     endpoint that was not tried is not an attempt), and the claims defer
//     its due messages until then. When the park ends, one attempt probes the
//     endpoint: an answer closes the breaker; another failure parks the
//     channel again for twice as long (parkFirst doubling up to parkMax).
//
// The share keeps a stalled channel to its part of the workers from the
// first second; the breaker then stops it costing anything at all. Either
// alone is not enough: shares alone leave half the workers stuck for as
// long as the endpoint stalls, and a breaker alone lets the stalled channel
// take every worker until enough timeouts have happened.
//
// A per-channel cap from the channel's row was considered and left out: it
// needs an operator to know in advance which endpoint will stall.

const (
	// breakerFailures is how many consecutive attempts without an answer
	// park a channel.
	breakerFailures = 5
	// parkFirst is how long a channel is parked the first time; each probe
	// that fails doubles it, up to parkMax.
	parkFirst = 10 * time.Second
	parkMax   = 5 * time.Minute
	// activeFor is how long a channel counts as having work after it last
	// held a message.
	activeFor = time.Second
	// fastAttempt is the mean attempt duration under which a channel may
	// borrow idle workers beyond its share.
	fastAttempt = 250 * time.Millisecond
	// slowAttempt is the mean attempt duration from which a channel is
	// suspect (see suspect).
	slowAttempt = 2 * time.Second
)

// lane is one channel's part of the dispatcher.
type lane struct {
	code    string
	queue   []*dialect.Claimed // claimed, waiting for a worker
	running int                // attempts in flight
	active  time.Time          // when it last held a message
	mean    time.Duration      // moving mean of its attempts' durations; 0: none yet
	timeout time.Duration      // the channel's timeout, for the release delay

	failures    int       // consecutive attempts without an answer
	parkedUntil time.Time // zero: not parked
	park        time.Duration
	probing     bool // half open: one attempt in flight decides
}

func (ln *lane) held() int { return len(ln.queue) + ln.running }

// dispatcher hands claimed messages to workers, channel by channel, fairly.
type dispatcher struct {
	workers int
	reserve int
	now     func() time.Time

	mu      sync.Mutex
	cond    *sync.Cond
	lanes   map[string]*lane
	running int     // attempts in flight, all channels
	order   []*lane // round robin over lanes
	next    int
	closed  bool
	// changed is signalled (without blocking) when a channel is parked or
	// its breaker closes, so that the health report goes out at once.
	changed chan struct{}
}

func newDispatcher(workers int) *dispatcher {
	d := &dispatcher{workers: workers, reserve: max(1, workers/8), now: time.Now,
		lanes: map[string]*lane{}, changed: make(chan struct{}, 1)}
	d.cond = sync.NewCond(&d.mu)
	return d
}

// release is a claimed message the dispatcher will not run now, with the
// delay after which it is due again and why.
type release struct {
	c     *dialect.Claimed
	delay time.Duration
	why   string
}

// add queues claimed messages on their channels' lanes. It returns those
// that must be released instead: on a parked channel, or beyond what a
// channel may hold.
func (d *dispatcher) add(batch []*dialect.Claimed, timeout func(code string) time.Duration) []release {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []release
	now := d.now()
	for _, c := range batch {
		ln := d.lane(c.Channel)
		ln.timeout = timeout(c.Channel)
		ln.active = now
		if now.Before(ln.parkedUntil) {
			out = append(out, release{c: c, delay: jitter(ln.parkedUntil.Sub(now)), why: parkedReason(ln)})
			continue
		}
		if !d.closed && d.saturated(ln) {
			// Due again after about one attempt's time: a worker of this
			// channel should be free by then. The message keeps
			// last_error as it was.
			out = append(out, release{c: c, delay: jitter(ln.retryAfter())})
			continue
		}
		ln.queue = append(ln.queue, c)
	}
	d.cond.Broadcast()
	return out
}

func (d *dispatcher) lane(code string) *lane {
	ln := d.lanes[code]
	if ln == nil {
		ln = &lane{code: code}
		d.lanes[code] = ln
		d.order = append(d.order, ln)
	}
	return ln
}

// share is how many attempts ln may run at once now. A half-open channel
// runs its one probe.
func (d *dispatcher) share(ln *lane) int {
	if !ln.parkedUntil.IsZero() {
		return 1
	}
	busy := d.busyOthers(ln)
	switch {
	case busy == 0:
		return d.workers - d.reserve
	case ln.suspect():
		return max(1, d.workers/8)
	}
	return max(1, d.workers/(busy+1))
}

// suspect is a channel that has not shown it answers in reasonable time:
// no attempt of it has ended yet, the last one failed without an answer,
// or its attempts take slowAttempt or more on average. Beside channels
// with work it runs at most an eighth of the workers.
func (ln *lane) suspect() bool {
	return ln.mean == 0 || ln.failures > 0 || ln.mean >= slowAttempt
}

// busyOthers counts the other channels with messages held here, or held
// within the last activeFor: a fast channel empties its queue between two
// claims, and a stalled one must not take its workers meanwhile.
func (d *dispatcher) busyOthers(ln *lane) int {
	busy := 0
	now := d.now()
	for _, o := range d.order {
		if o != ln && (o.held() > 0 || now.Sub(o.active) < activeFor) {
			busy++
		}
	}
	return busy
}

// deferrals lists the channels whose due messages the next claim should
// move on rather than take (dialect.Deferral): parked ones, until the park
// ends, and those that are not fast and have their share of workers busy
// and as many queued, beside other channels with work, for about one
// attempt's time (as add releases them). Skipping them in the claim
// instead would leave them due, and every claim would step over all of
// them again: with a stalled channel's backlog of thousands, the claims of
// the healthy channels beside it would cost many times their own rows.
func (d *dispatcher) deferrals() []dialect.Deferral {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []dialect.Deferral
	now := d.now()
	for _, ln := range d.order {
		switch {
		case now.Before(ln.parkedUntil):
			out = append(out, dialect.Deferral{Channel: ln.code,
				For: max(ln.parkedUntil.Sub(now), minDeferral), Reason: parkedReason(ln)})
		case d.saturated(ln):
			out = append(out, dialect.Deferral{Channel: ln.code, For: ln.retryAfter()})
		}
	}
	return out
}

// minDeferral keeps a park about to end from deferring its messages for
// next to nothing, to be met and deferred again by the next claim.
const minDeferral = 100 * time.Millisecond

// retryAfter is how long a saturated channel's excess waits: about one
// attempt's time, when a worker of the channel should be free (1 s to 10 s).
func (ln *lane) retryAfter() time.Duration {
	return min(max(ln.timeout, time.Second), 10*time.Second)
}

// saturated is a channel whose claimed messages beyond those held would
// only be released (see add).
func (d *dispatcher) saturated(ln *lane) bool {
	share := d.share(ln)
	return !ln.fast() && ln.running >= share && len(ln.queue) >= share && d.othersBusy(ln)
}

// othersBusy reports whether another channel has messages held here. Only
// then does a channel's queue have a limit.
func (d *dispatcher) othersBusy(ln *lane) bool { return d.busyOthers(ln) > 0 }

// take blocks until a worker may run a message, and returns it; ok is
// false once the dispatcher is closed and empty. After close, messages are
// handed out regardless of shares: the workers only release them.
func (d *dispatcher) take() (c *dialect.Claimed, ok bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for {
		if c := d.takeLocked(); c != nil {
			return c, true
		}
		if d.closed && d.empty() {
			return nil, false
		}
		d.cond.Wait()
	}
}

// takeLocked is take without the waiting: nil when no message may run now.
func (d *dispatcher) takeLocked() *dialect.Claimed {
	ln := d.pick()
	if ln == nil {
		return nil
	}
	c := ln.queue[0]
	ln.queue = ln.queue[1:]
	if len(ln.queue) == 0 {
		ln.queue = nil // let the backing array go
	}
	ln.running++
	d.running++
	if !ln.parkedUntil.IsZero() && !d.closed {
		ln.probing = true
	}
	return c
}

// pick is the next lane, round robin, with a queued message it may run.
func (d *dispatcher) pick() *lane {
	n := len(d.order)
	for i := 0; i < n; i++ {
		ln := d.order[(d.next+i)%n]
		if len(ln.queue) == 0 {
			continue
		}
		if !d.closed && (ln.probing || ln.running >= d.share(ln) && !d.mayBorrow(ln)) {
			continue
		}
		d.next = (d.next + i + 1) % n
		return ln
	}
	return nil
}

// mayBorrow reports whether ln may run beyond its share: only a channel
// whose attempts end quickly (a mean of under fastAttempt, none failing
// without an answer lately), and only while more workers than the reserve
// are idle. So a fast channel beside a stalled one uses the workers the
// stalled one may not, and gives them back within moments.
func (d *dispatcher) mayBorrow(ln *lane) bool {
	return ln.fast() && d.workers-d.running > d.reserve
}

// fast is a channel whose attempts end quickly: a mean under fastAttempt,
// none failing without an answer lately. Its queue is never limited: it
// empties within moments.
func (ln *lane) fast() bool {
	return ln.mean > 0 && ln.mean < fastAttempt && ln.failures == 0 && ln.parkedUntil.IsZero()
}

func (d *dispatcher) empty() bool {
	for _, ln := range d.order {
		if len(ln.queue) > 0 {
			return false
		}
	}
	return true
}

// done records the end of an attempt that took took (attempted is false
// for a message the worker only released) and feeds the channel's breaker.
// When the breaker opens it returns the park's length and the channel's
// queued messages, to be released until the park ends.
func (d *dispatcher) done(c *dialect.Claimed, attempted bool, res channel.Result, took time.Duration) (rel []release, park time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	defer d.cond.Broadcast()
	ln := d.lanes[c.Channel]
	ln.running--
	d.running--
	now := d.now()
	ln.active = now
	if !attempted {
		return nil, 0
	}
	if ln.mean == 0 {
		ln.mean = max(took, 1)
	} else {
		ln.mean = (4*ln.mean + took) / 5
	}
	wasProbe := ln.probing
	ln.probing = false
	if !noAnswer(res) {
		ln.failures = 0
		if !ln.parkedUntil.IsZero() {
			ln.parkedUntil, ln.park = time.Time{}, 0
			d.signal()
		}
		return nil, 0
	}
	if now.Before(ln.parkedUntil) {
		return nil, 0 // an attempt started before the park: already counted
	}
	ln.failures++
	if !wasProbe && ln.failures < breakerFailures {
		return nil, 0
	}
	// Open (or re-open, after a failed probe) the breaker.
	ln.park = min(max(2*ln.park, parkFirst), parkMax)
	ln.parkedUntil = now.Add(ln.park)
	d.signal()
	rel = make([]release, 0, len(ln.queue))
	for _, q := range ln.queue {
		rel = append(rel, release{c: q, delay: jitter(ln.park), why: parkedReason(ln)})
	}
	ln.queue = nil
	return rel, ln.park
}

func (d *dispatcher) signal() {
	select {
	case d.changed <- struct{}{}:
	default:
	}
}

// close makes take hand out what is left, whatever the shares, then
// return false.
func (d *dispatcher) close() {
	d.mu.Lock()
	d.closed = true
	d.cond.Broadcast()
	d.mu.Unlock()
}

// parked returns the channels whose breaker is open, with the end of their
// park (past when the probe is due or in flight).
func (d *dispatcher) parked() map[string]time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := map[string]time.Time{}
	for _, ln := range d.order {
		if !ln.parkedUntil.IsZero() {
			out[ln.code] = ln.parkedUntil
		}
	}
	return out
}

// noAnswer is an attempt that failed without an answer from the endpoint:
// a timeout or a transport failure. Those are what hold workers; an
// endpoint answering 5xx fast does not.
func noAnswer(res channel.Result) bool {
	return res.Outcome == channel.Transient && res.StatusCode == 0
}

func parkedReason(ln *lane) string {
	return fmt.Sprintf("channel %q is parked: %d attempts in a row got no answer (timeout or connection failure); "+
		"the listener tries it again at %s; waiting is not counted as an attempt",
		ln.code, breakerFailures, ln.parkedUntil.UTC().Format(time.RFC3339))
}

// jitter spreads released messages over ±10% of d, so that they do not all
// come due in the same claim.
func jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.9 + 0.2*rand.Float64()))
}
