package listener

import (
	"strings"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/channel"
	"github.com/dbrelay/dbrelay/dialect"
)

// claimedOn makes n claimed messages on a channel, ids from first.
func claimedOn(code string, first, n int) []*dialect.Claimed {
	out := make([]*dialect.Claimed, n)
	for i := range out {
		out[i] = &dialect.Claimed{Message: channel.Message{ID: int64(first + i), Channel: code}}
	}
	return out
}

func fixedTimeout(time.Duration) func(string) time.Duration {
	return func(string) time.Duration { return 5 * time.Second }
}

// tryTakeAll takes every message the dispatcher lets run now.
func tryTakeAll(d *dispatcher) []*dialect.Claimed {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []*dialect.Claimed
	for c := d.takeLocked(); c != nil; c = d.takeLocked() {
		out = append(out, c)
	}
	return out
}

func byChannel(cs []*dialect.Claimed) map[string]int {
	n := map[string]int{}
	for _, c := range cs {
		n[c.Channel]++
	}
	return n
}

// Two channels with work get half the workers each, however the claim
// ordered them; a channel alone gets all but the reserve; what a channel
// holds beyond twice its share is released, not queued.
func TestDispatchShares(t *testing.T) {
	d := newDispatcher(8)
	// Alone: it holds all it is given, and runs 8-1 = 7 at once.
	if rel := d.add(claimedOn("stall", 1, 10), fixedTimeout(0)); len(rel) != 0 {
		t.Fatalf("alone, %d of 10 released", len(rel))
	}
	if got := byChannel(tryTakeAll(d)); got["stall"] != 7 {
		t.Fatalf("alone, the channel runs %d at once, want 7 (8 workers, 1 reserved)", got["stall"])
	}
	// The healthy channel arrives: it runs at once, in the reserve, and its
	// share is 8/2 = 4; the stalled one runs no more.
	d.add(claimedOn("ok", 100, 20), fixedTimeout(0))
	if got := byChannel(tryTakeAll(d)); got["ok"] != 4 || got["stall"] != 0 {
		t.Fatalf("beside the stalled channel, ran %v; want ok: 4, stall: 0", got)
	}
	// Beside the healthy one, the stalled channel, its 4 workers busy,
	// queues at most 4 more: it queues 3, so one more is queued and the
	// rest released, due after about its timeout, without a reason
	// (last_error stays as it was).
	rel := d.add(claimedOn("stall", 200, 5), fixedTimeout(0))
	if len(rel) != 4 {
		t.Fatalf("beside the healthy channel, %d of 5 more released, want 4", len(rel))
	}
	for _, r := range rel {
		if r.why != "" || r.delay < 4*time.Second || r.delay > 6*time.Second {
			t.Fatalf("excess released with delay %v and reason %q; want about the channel's timeout, no reason", r.delay, r.why)
		}
	}
	// Healthy attempts end: their workers go to the healthy channel again.
	for i := 0; i < 4; i++ {
		d.done(&dialect.Claimed{Message: channel.Message{Channel: "ok"}}, true, channel.Result{Outcome: channel.Sent, StatusCode: 200}, time.Second)
	}
	if got := byChannel(tryTakeAll(d)); got["ok"] != 4 || got["stall"] != 0 {
		t.Fatalf("after 4 healthy attempts ended, ran %v; want ok: 4", got)
	}
}

// A channel whose attempts end quickly borrows the workers idle beyond the
// reserve, over its share; a slow one does not.
func TestDispatchFastChannelBorrows(t *testing.T) {
	d := newDispatcher(16)
	d.add(claimedOn("stall", 1, 4), fixedTimeout(0))
	d.add(claimedOn("ok", 100, 40), fixedTimeout(0))
	first := tryTakeAll(d)
	if got := byChannel(first); got["ok"] != 8 || got["stall"] != 4 {
		t.Fatalf("before any attempt ended ran %v; want ok: 8 (its share), stall: 4", got)
	}
	for _, c := range first {
		if c.Channel == "ok" {
			d.done(c, true, channel.Result{Outcome: channel.Sent, StatusCode: 200}, time.Millisecond)
		}
	}
	// 16 workers, 4 busy on stall, 2 reserved: the fast channel runs 10.
	if got := byChannel(tryTakeAll(d)); got["ok"] != 10 {
		t.Fatalf("fast, it ran %v; want ok: 10 (beyond its share of 8, up to the reserve)", got)
	}
}

// Five attempts in a row without an answer park the channel: what it has
// queued is released with the park as delay and a reason, as is whatever
// is claimed while it is parked; after the park one probe runs, and an
// answer closes the breaker.
func TestDispatchBreaker(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	d := newDispatcher(8)
	d.now = func() time.Time { return now }
	d.add(claimedOn("stall", 1, 10), fixedTimeout(0))
	running := tryTakeAll(d)
	if len(running) != 7 {
		t.Fatalf("running %d, want 7", len(running))
	}
	timeout := channel.Result{Outcome: channel.Transient, Err: "timeout"}
	for i := 0; i < breakerFailures-1; i++ {
		if rel := d.done(running[i], true, timeout, time.Second); len(rel) != 0 {
			t.Fatalf("parked after %d failures, want %d", i+1, breakerFailures)
		}
	}
	// A 503 is an answer: it resets the count.
	d.done(running[4], true, channel.Result{Outcome: channel.Transient, StatusCode: 503}, time.Second)
	if len(d.parked()) != 0 {
		t.Fatal("parked although the endpoint answered")
	}
	d.add(claimedOn("stall", 50, 5), fixedTimeout(0))
	running = append(running[5:], tryTakeAll(d)...)
	var rel []release
	for i := 0; i < breakerFailures; i++ {
		rel = append(rel, d.done(running[i], true, timeout, time.Second)...)
	}
	until, ok := d.parked()["stall"]
	if !ok || until != now.Add(parkFirst) {
		t.Fatalf("parked until %v (%v), want %v", until, ok, now.Add(parkFirst))
	}
	if len(rel) == 0 {
		t.Fatal("parking released nothing although messages were queued")
	}
	for _, r := range rel {
		if !strings.Contains(r.why, "parked") || r.delay < parkFirst*9/10 || r.delay > parkFirst*11/10 {
			t.Fatalf("released with delay %v, reason %q", r.delay, r.why)
		}
	}
	if rel := d.add(claimedOn("stall", 90, 3), fixedTimeout(0)); len(rel) != 3 {
		t.Fatalf("claimed while parked: %d of 3 released", len(rel))
	}
	// The attempts in flight when it was parked end; they do not count.
	for _, c := range running[breakerFailures:] {
		if rel := d.done(c, true, timeout, time.Second); len(rel) != 0 {
			t.Fatal("an attempt started before the park parked the channel again")
		}
	}
	// The park ends: one probe at a time.
	now = now.Add(parkFirst + time.Second)
	d.add(claimedOn("stall", 95, 3), fixedTimeout(0))
	probe := tryTakeAll(d)
	if len(probe) != 1 {
		t.Fatalf("after the park %d attempts run, want one probe", len(probe))
	}
	// A failed probe parks it again, twice as long.
	d.done(probe[0], true, timeout, time.Second)
	if until := d.parked()["stall"]; until != now.Add(2*parkFirst) {
		t.Fatalf("after a failed probe parked until %v, want %v", until, now.Add(2*parkFirst))
	}
	now = now.Add(2*parkFirst + time.Second)
	d.add(claimedOn("stall", 99, 1), fixedTimeout(0))
	probe = tryTakeAll(d)
	if len(probe) != 1 {
		t.Fatalf("second probe: %d attempts", len(probe))
	}
	d.done(probe[0], true, channel.Result{Outcome: channel.Sent, StatusCode: 200}, time.Second)
	if len(d.parked()) != 0 {
		t.Fatal("an answered probe left the channel parked")
	}
}

// After close every queued message is handed out whatever the shares (the
// workers release them), then take reports the end.
func TestDispatchCloseDrains(t *testing.T) {
	d := newDispatcher(2)
	d.add(claimedOn("a", 1, 2), fixedTimeout(0))
	d.add(claimedOn("b", 10, 2), fixedTimeout(0))
	d.close()
	n := 0
	for {
		_, ok := d.take()
		if !ok {
			break
		}
		n++
	}
	if n != 4 {
		t.Fatalf("after close %d messages handed out, want 4", n)
	}
}
