package listener

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dbrelay/dbrelay/channel"
	"github.com/dbrelay/dbrelay/channel/ratelimit"
	"github.com/dbrelay/dbrelay/dialect"
	"github.com/dbrelay/dbrelay/secret"
)

// reloadEvery is how often the listener re-reads relay.channel, so that an
// integrator's change (a new URL, a disabled channel) takes effect without a
// restart. A claimed message on a channel the listener does not know yet
// (added since), or on one it holds as disabled, makes it re-read at once,
// before the message is handed to a worker.
const reloadEvery = 10 * time.Second

// closeWait is how long a stopping listener waits for its senders' Close.
const closeWait = 2 * time.Second

// channelEntry is one channel with the sender built for it.
type channelEntry struct {
	ch      channel.Channel
	sender  channel.Sender
	err     error  // why there is no sender (unknown kind, bad config), for the log
	reason  string // the same, as stored in last_error: naming no secret or variable
	metrics *channelMetrics
	cache   *channelCache
	closer  io.Closer // the factory's sender, when it holds resources (before any wrapping)

	// mu is held shared by each send and exclusively by retire, so that a
	// sender is closed only after the sends in flight on it have returned,
	// and never used after.
	mu      sync.RWMutex
	retired bool
}

// send sends m with the entry's sender. When the entry was retired after
// the worker looked it up (its channel's row changed or went), the sender
// current now is used instead.
func (e *channelEntry) send(ctx context.Context, m *channel.Message) channel.Result {
	e.mu.RLock()
	if e.retired {
		e.mu.RUnlock()
		if cur := e.cache.current(e.ch.Code); cur != nil && cur != e && cur.sender != nil && cur.ch.Enabled {
			return cur.send(ctx, m)
		}
		return channel.Result{Outcome: channel.Transient,
			Err: fmt.Sprintf("channel %q changed while this message waited; it is retried with the new settings", e.ch.Code)}
	}
	defer e.mu.RUnlock()
	return e.sender.Send(ctx, m)
}

// retire ends the entry's use: once its sends in flight have returned, it
// closes the sender if it holds resources (io.Closer). done is closed then.
func (e *channelEntry) retire() (done chan struct{}) {
	done = make(chan struct{})
	go func() {
		defer close(done)
		e.mu.Lock()
		already := e.retired
		e.retired = true
		e.mu.Unlock()
		if already {
			return
		}
		if e.closer != nil {
			if err := e.closer.Close(); err != nil {
				e.cache.log.Warn("closing a channel's sender failed", "channel", e.ch.Code, "err", err)
			}
		}
	}()
	return done
}

// channelCache holds the channels as an immutable map behind an atomic
// pointer: workers read it without locking; only the claimer replaces it.
type channelCache struct {
	q       dialect.Queue
	cfg     Config
	log     *slog.Logger
	entries atomic.Pointer[map[string]*channelEntry]
	stale   atomic.Bool
	loaded  time.Time
}

func newChannelCache(q dialect.Queue, cfg Config, log *slog.Logger) *channelCache {
	c := &channelCache{q: q, cfg: cfg, log: log}
	empty := map[string]*channelEntry{}
	c.entries.Store(&empty)
	return c
}

// current returns the channel's entry, or nil.
func (c *channelCache) current(code string) *channelEntry {
	return (*c.entries.Load())[code]
}

// get returns the channel's entry, or nil (and asks for a reload) when the
// channel is not known yet.
func (c *channelCache) get(code string) *channelEntry {
	if e := (*c.entries.Load())[code]; e != nil {
		return e
	}
	c.stale.Store(true)
	return nil
}

// checkKnown reports the first of codes that is not a row of relay.channel.
func (c *channelCache) checkKnown(codes []string) error {
	entries := *c.entries.Load()
	for _, code := range codes {
		if entries[code] == nil {
			known := make([]string, 0, len(entries))
			for k := range entries {
				known = append(known, k)
			}
			sort.Strings(known)
			return fmt.Errorf("channels: %q is not a channel of relay.channel (channels: %s)", code, strings.Join(known, ", "))
		}
	}
	return nil
}

// timeout is a channel's per-attempt timeout (0 when it is not known).
func (c *channelCache) timeout(code string) time.Duration {
	if e := (*c.entries.Load())[code]; e != nil {
		return e.ch.Timeout
	}
	return 0
}

// maybeReload re-reads relay.channel when asked to or every reloadEvery.
// Failures keep the old map: a database hiccup must not stop deliveries.
func (c *channelCache) maybeReload(ctx context.Context) {
	if !c.stale.Load() && time.Since(c.loaded) < reloadEvery {
		return
	}
	if err := c.reload(ctx); err != nil {
		c.log.Error("reading relay.channel failed; keeping the channels read before", "err", err)
	}
}

func (c *channelCache) reload(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	chans, err := c.q.Channels(ctx)
	if err != nil {
		return err
	}
	c.stale.Store(false)
	c.loaded = time.Now()
	old := *c.entries.Load()
	next := make(map[string]*channelEntry, len(chans))
	for _, ch := range chans {
		if e := old[ch.Code]; e != nil && sameChannel(e.ch, ch) {
			next[ch.Code] = e
			continue
		}
		next[ch.Code] = c.build(ch)
	}
	c.entries.Store(&next)
	for code, e := range old {
		if next[code] != e {
			e.retire() // replaced or removed: closed after its sends in flight
		}
	}
	return nil
}

// close retires every channel (the listener is stopping; its workers are
// done) and waits, at most closeWait, for their senders to close.
func (c *channelCache) close() {
	empty := map[string]*channelEntry{}
	old := *c.entries.Swap(&empty)
	deadline := time.After(closeWait)
	for code, e := range old {
		select {
		case <-e.retire():
		case <-deadline:
			c.log.Warn("a channel's sender did not close in time; stopping anyway", "channel", code, "waited", closeWait.String())
			return
		}
	}
}

func (c *channelCache) build(ch channel.Channel) *channelEntry {
	e := &channelEntry{ch: ch, metrics: c.cfg.Metrics.forChannel(ch.Code), cache: c}
	factory, ok := c.cfg.Senders[ch.Kind]
	switch {
	case !ok:
		e.err = fmt.Errorf("this dbrelay has no sender for channel kind %q (channel %q); run a listener that has one", ch.Kind, ch.Code)
	default:
		e.sender, e.err = factory(ch, c.cfg.Env)
		e.closer, _ = e.sender.(io.Closer)
		if e.err == nil && ch.RatePerMinute > 0 {
			e.sender = ratelimit.Wrap(e.sender, ch, c.q)
		}
	}
	e.reason = storedReason(ch.Code, e.err, ok)
	if e.err != nil {
		c.log.Error("channel cannot deliver; its messages wait", "channel", ch.Code, "err", e.err)
	}
	return e
}

// storedReason is why a channel cannot deliver, as written into its
// messages' last_error, which every reader of relay_api sees: it names no
// environment variable and quotes no configuration (the factory's error,
// which does, goes to the listener's log only).
func storedReason(code string, err error, kindKnown bool) string {
	switch {
	case err == nil:
		return ""
	case !kindKnown:
		return err.Error()
	case errors.Is(err, secret.ErrNotAllowed):
		return fmt.Sprintf("channel %q names a secret environment variable the operator has not allowed; the listener's log says which and how to allow it", code)
	case errors.Is(err, secret.ErrNotSet):
		return fmt.Sprintf("channel %q names a secret that is not set in the listener's environment; the listener's log says which", code)
	}
	return fmt.Sprintf("channel %q has an unusable target or config; the listener's log says what to fix", code)
}

// recheck reloads the channels before claimed messages are handed out when
// one of them is on a channel this listener does not know or holds as
// disabled. A channel added while the listener runs would otherwise have
// its first messages postponed for a minute; and re-enabling a channel
// makes its waiting messages due at once (a trigger on relay.channel),
// which a listener holding the old row would postpone again.
func (c *channelCache) recheck(ctx context.Context, claimed []dialect.Claimed) {
	entries := *c.entries.Load()
	for i := range claimed {
		if e := entries[claimed[i].Channel]; e == nil || !e.ch.Enabled {
			if err := c.reload(ctx); err != nil {
				c.log.Error("reading relay.channel failed; keeping the channels read before", "err", err)
			}
			return
		}
	}
}

func sameChannel(a, b channel.Channel) bool {
	return a.Code == b.Code && a.Kind == b.Kind && a.Target == b.Target && bytes.Equal(a.Config, b.Config) &&
		a.SecretEnv == b.SecretEnv && a.Enabled == b.Enabled && a.MaxAttempts == b.MaxAttempts && a.Timeout == b.Timeout &&
		a.RatePerMinute == b.RatePerMinute
}
