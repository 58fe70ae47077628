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

// timeout5s is every channel's timeout: 5 s.
func timeout5s(string) time.Duration { return 5 * time.Second }

// tryTakeAll takes every message the dispatcher lets run now, as idle
// workers would: no more than there are.
func tryTakeAll(d *dispatcher) []*dialect.Claimed {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []*dialect.Claimed
	for d.running < d.workers {
		c := d.takeLocked()
		if c == nil {
			break
		}
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

// end ends the attempts of cs on channel code with res, each having taken
// took.
func end(d *dispatcher, cs []*dialect.Claimed, code string, n int, res channel.Result, took time.Duration) {
	for _, c := range cs {
		if c.Channel == code && n > 0 {
			d.done(c, true, res, took)
			n--
		}
	}
}

var (
	sent503 = channel.Result{Outcome: channel.Transient, StatusCode: 503}
	sent200 = channel.Result{Outcome: channel.Sent, StatusCode: 200}
)

// A channel alone gets all workers but the reserve. Beside it, a channel
// whose attempts have not ended yet, or are slow, runs at most an eighth of
// them; one that answers fast gets its fair share, and the workers the
// slow one frees; what the slow one is given beyond its share and as many
// queued is released, and the next claim defers its messages.
func TestDispatchShares(t *testing.T) {
	d := newDispatcher(16) // reserve 2
	if rel := d.add(claimedOn("stall", 1, 20), timeout5s); len(rel) != 0 {
		t.Fatalf("alone, %d of 20 released", len(rel))
	}
	stalled := tryTakeAll(d)
	if got := byChannel(stalled); got["stall"] != 14 {
		t.Fatalf("alone, the channel runs %d at once, want 14 (16 workers, 2 reserved)", got["stall"])
	}
	// The healthy channel arrives: it starts at once, in the reserve.
	d.add(claimedOn("ok", 100, 40), timeout5s)
	healthy := tryTakeAll(d)
	if got := byChannel(healthy); got["ok"] != 2 {
		t.Fatalf("beside the stalled channel, ran %v; want ok: 2", got)
	}
	// Its attempts end quickly; the stalled channel's first ones end after
	// 5 s, answered. Their workers all go to the healthy channel.
	end(d, healthy, "ok", 2, sent200, time.Millisecond)
	end(d, stalled, "stall", 4, sent503, 5*time.Second)
	if got := byChannel(tryTakeAll(d)); got["ok"] != 6 || got["stall"] != 0 {
		t.Fatalf("after 2 healthy and 4 slow attempts ended, ran %v; want ok: 6, stall: 0", got)
	}
	if got := d.deferrals(); len(got) != 1 || got[0].Channel != "stall" || got[0].For != 5*time.Second || got[0].Reason != "" {
		t.Fatalf("deferrals = %+v, want stall for 5 s (its timeout) keeping last_error", got)
	}
	// More for the slow channel, which runs 10 of its share of 2 and
	// queues 6: released, due after about its timeout, without a reason
	// (last_error stays as it was).
	rel := d.add(claimedOn("stall", 200, 5), timeout5s)
	if len(rel) != 5 {
		t.Fatalf("%d of 5 more for the slow channel released, want 5", len(rel))
	}
	for _, r := range rel {
		if r.why != "" || r.delay < 4*time.Second || r.delay > 6*time.Second {
			t.Fatalf("excess released with delay %v and reason %q; want about the channel's timeout, no reason", r.delay, r.why)
		}
	}
	// The fast channel's messages are never released.
	if rel := d.add(claimedOn("ok", 300, 100), timeout5s); len(rel) != 0 {
		t.Fatalf("%d of the fast channel's messages released", len(rel))
	}
}

// A channel whose attempts end quickly borrows the workers idle beyond the
// reserve, over its share.
func TestDispatchFastChannelBorrows(t *testing.T) {
	d := newDispatcher(16) // reserve 2
	d.add(claimedOn("stall", 1, 4), timeout5s)
	d.add(claimedOn("ok", 100, 40), timeout5s)
	first := tryTakeAll(d)
	if got := byChannel(first); got["ok"] != 2 || got["stall"] != 2 {
		t.Fatalf("before any attempt ended ran %v; want ok: 2, stall: 2 (an eighth each)", got)
	}
	end(d, first, "ok", 2, sent200, time.Millisecond)
	// 16 workers, 2 busy on stall, 2 reserved: the fast channel runs 12,
	// beyond its share of 8.
	if got := byChannel(tryTakeAll(d)); got["ok"] != 12 {
		t.Fatalf("fast, it ran %v; want ok: 12", got)
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
	d.add(claimedOn("stall", 1, 10), timeout5s)
	running := tryTakeAll(d)
	if len(running) != 7 {
		t.Fatalf("running %d, want 7", len(running))
	}
	timeout := channel.Result{Outcome: channel.Transient, Err: "timeout"}
	for i := 0; i < breakerFailures-1; i++ {
		if rel, park := d.done(running[i], true, timeout, time.Second); len(rel) != 0 || park != 0 {
			t.Fatalf("parked after %d failures, want %d", i+1, breakerFailures)
		}
	}
	// A 503 is an answer: it resets the count.
	d.done(running[4], true, channel.Result{Outcome: channel.Transient, StatusCode: 503}, time.Second)
	if len(d.parked()) != 0 {
		t.Fatal("parked although the endpoint answered")
	}
	d.add(claimedOn("stall", 50, 5), timeout5s)
	running = append(running[5:], tryTakeAll(d)...)
	var rel []release
	var park time.Duration
	for i := 0; i < breakerFailures; i++ {
		r, p := d.done(running[i], true, timeout, time.Second)
		rel, park = append(rel, r...), max(park, p)
	}
	if park != parkFirst {
		t.Fatalf("the breaker opened for %v, want %v", park, parkFirst)
	}
	until, ok := d.parked()["stall"]
	if !ok || until != now.Add(parkFirst) {
		t.Fatalf("parked until %v (%v), want %v", until, ok, now.Add(parkFirst))
	}
	if len(rel) == 0 {
		t.Fatal("parking released nothing although messages were queued")
	}
	if got := d.deferrals(); len(got) != 1 || got[0].Channel != "stall" || got[0].For != parkFirst || !strings.Contains(got[0].Reason, "parked") {
		t.Fatalf("while parked, deferrals = %+v, want stall until the park ends, with the reason", got)
	}
	for _, r := range rel {
		if !strings.Contains(r.why, "parked") || r.delay < parkFirst*9/10 || r.delay > parkFirst*11/10 {
			t.Fatalf("released with delay %v, reason %q", r.delay, r.why)
		}
	}
	if rel := d.add(claimedOn("stall", 90, 3), timeout5s); len(rel) != 3 {
		t.Fatalf("claimed while parked: %d of 3 released", len(rel))
	}
	// The attempts in flight when it was parked end; they do not count.
	for _, c := range running[breakerFailures:] {
		if rel, park := d.done(c, true, timeout, time.Second); len(rel) != 0 || park != 0 {
			t.Fatal("an attempt started before the park parked the channel again")
		}
	}
	// The park ends: one probe at a time.
	now = now.Add(parkFirst + time.Second)
	d.add(claimedOn("stall", 95, 3), timeout5s)
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
	d.add(claimedOn("stall", 99, 1), timeout5s)
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
	d.add(claimedOn("a", 1, 2), timeout5s)
	d.add(claimedOn("b", 10, 2), timeout5s)
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
