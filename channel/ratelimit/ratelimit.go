// Package ratelimit holds a channel to its rate limit
// (relay.channel.rate_per_minute) over all the listeners of one database.
//
// How the limit holds across listeners: the schedule lives in the
// database, one row per channel (relay.channel_rate). Before each send a
// listener reserves the channel's next free slot under that row's lock, by
// the database's clock: slots are 60/rate_per_minute seconds apart, so no
// two sends of the channel, from whichever listener, are reserved closer
// than that, and no listener's clock or count of peers is involved. The
// cost is one short transaction per message of a limited channel, which
// by definition sends at most a few thousand a minute.
//
// How over-the-limit messages wait: a message whose slot is near (within
// MaxWait) waits in the listener for it; one whose slot is further away
// goes back to the table, pending, with its attempt given back
// (channel.Deferred), due again when a slot should be free. Those sent
// back are promised slots one interval apart (deferred_until), so that
// they come back spread out instead of all at once; the promise is only a
// hint for when to come back: every send reserves through the same
// schedule, so the limit never depends on it.
package ratelimit

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/dbrelay/dbrelay/channel"
)

// Slot is what a reservation gave one message.
type Slot struct {
	// Reserved means the message may be sent after Wait. Otherwise it
	// should come back after Wait, not having counted an attempt.
	Reserved bool
	Wait     time.Duration
}

// Schedule is the shared schedule in the database; each dialect's queue
// implements it on relay.channel_rate, calling Plan under the row's lock.
type Schedule interface {
	// ReserveRate reserves a slot for one message of the channel: a slot
	// at most maxWait away, or else a time to come back.
	ReserveRate(ctx context.Context, channel string, interval, maxWait time.Duration) (Slot, error)
}

// Plan is one reservation, computed from the channel's row read under its
// lock: now is the database's clock, next the first free slot, deferred
// the first slot not promised to a message sent back. It returns the slot
// and the row's new values.
func Plan(now, next, deferred time.Time, interval, maxWait time.Duration) (slot Slot, newNext, newDeferred time.Time) {
	start := later(next, now)
	if wait := start.Sub(now); wait <= maxWait {
		return Slot{Reserved: true, Wait: wait}, start.Add(interval), deferred
	}
	back := later(deferred, start)
	return Slot{Wait: back.Sub(now)}, next, back.Add(interval)
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Interval is the spacing of a channel's slots.
func Interval(ratePerMinute int) time.Duration {
	return time.Minute / time.Duration(ratePerMinute)
}

// MaxWait is how long a message may wait in the listener for its slot:
// two slots, at least 250 ms (fewer round trips through the table) and at
// most a second (a waiting message holds one of the listener's workers).
func MaxWait(interval time.Duration) time.Duration {
	return min(max(2*interval, 250*time.Millisecond), time.Second)
}

// retryOnError is how long a message waits when the schedule could not be
// read (the database is unreachable): it is not counted as an attempt.
const retryOnError = time.Second

// Sender is a channel's sender held to its rate limit.
type Sender struct {
	next     channel.Sender
	schedule Schedule
	code     string
	interval time.Duration
	maxWait  time.Duration
}

// Wrap holds next to ch.RatePerMinute, which must be positive.
func Wrap(next channel.Sender, ch channel.Channel, schedule Schedule) *Sender {
	iv := Interval(ch.RatePerMinute)
	return &Sender{next: next, schedule: schedule, code: ch.Code, interval: iv, maxWait: MaxWait(iv)}
}

// Send reserves a slot, waits for it and sends; a message whose slot is
// far off, or that could not get one, comes back as channel.Deferred.
func (s *Sender) Send(ctx context.Context, m *channel.Message) channel.Result {
	slot, err := s.schedule.ReserveRate(ctx, s.code, s.interval, s.maxWait)
	if err != nil {
		return channel.Result{Outcome: channel.Deferred, RetryAfter: retryOnError,
			Err: fmt.Sprintf("channel %q: reading its rate limit's schedule failed: %v", s.code, err)}
	}
	if !slot.Reserved {
		return channel.Result{Outcome: channel.Deferred, RetryAfter: slot.Wait}
	}
	if slot.Wait > 0 {
		t := time.NewTimer(slot.Wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return channel.Result{Outcome: channel.Deferred}
		}
	}
	return s.next.Send(ctx, m)
}

// Close closes the wrapped sender when it holds resources (io.Closer).
func (s *Sender) Close() error {
	if c, ok := s.next.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// Unwrap returns the sender being limited.
func (s *Sender) Unwrap() channel.Sender { return s.next }

// ParseRate reads a rate as an operator writes it, "20/s", "600/min" or
// "1200" (per minute), and returns it per minute (relay.channel.
// rate_per_minute).
func ParseRate(s string) (int, error) {
	n, unit, _ := strings.Cut(strings.TrimSpace(s), "/")
	v, err := strconv.Atoi(strings.TrimSpace(n))
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("rate %q: want a positive whole number of messages per second or minute, e.g. 20/s or 600/min", s)
	}
	switch strings.TrimSpace(unit) {
	case "", "m", "min", "minute":
	case "s", "sec", "second":
		v *= 60
	default:
		return 0, fmt.Errorf("rate %q: the unit after / must be s or min, e.g. 20/s or 600/min", s)
	}
	if v > MaxPerMinute {
		return 0, fmt.Errorf("rate %q is over %d a minute, the most relay.channel.rate_per_minute takes", s, MaxPerMinute)
	}
	return v, nil
}

// MaxPerMinute is the largest rate_per_minute the database accepts
// (CONSTRAINT channel_rate_per_minute_check).
const MaxPerMinute = 6000000

// FormatRate writes a rate per minute the way ParseRate reads it, per
// second when it divides evenly.
func FormatRate(perMinute int) string {
	if perMinute%60 == 0 {
		return strconv.Itoa(perMinute/60) + "/s"
	}
	return strconv.Itoa(perMinute) + "/min"
}
