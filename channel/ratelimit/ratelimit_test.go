package ratelimit

import (
	"testing"
	"time"
)

// Reservations from a schedule never come closer than one interval, a
// message whose slot is beyond maxWait is sent back without taking a
// slot, and those sent back are promised slots one interval apart.
func TestPlan(t *testing.T) {
	const iv, maxWait = 50 * time.Millisecond, 100 * time.Millisecond
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	next, deferred := t0, t0
	var slots []time.Time
	var backs []time.Duration
	for range 6 { // six messages at once, at t0
		var s Slot
		s, next, deferred = Plan(t0, next, deferred, iv, maxWait)
		if s.Reserved {
			slots = append(slots, t0.Add(s.Wait))
		} else {
			backs = append(backs, s.Wait)
		}
	}
	if len(slots) != 3 || slots[0] != t0 || slots[1] != t0.Add(iv) || slots[2] != t0.Add(2*iv) {
		t.Fatalf("reserved %v, want t0, +50ms, +100ms", slots)
	}
	if len(backs) != 3 || backs[0] != 3*iv || backs[1] != 4*iv || backs[2] != 5*iv {
		t.Fatalf("sent back for %v, want 150ms, 200ms, 250ms", backs)
	}
	// One sent back returns at its promised time and gets a slot at once.
	s, _, _ := Plan(t0.Add(backs[0]), next, deferred, iv, maxWait)
	if !s.Reserved || s.Wait != 0 {
		t.Fatalf("a message back at its promised time: %+v", s)
	}
	// An idle channel does not save up slots for a burst.
	later := t0.Add(time.Hour)
	s1, n1, d1 := Plan(later, next, deferred, iv, maxWait)
	s2, _, _ := Plan(later, n1, d1, iv, maxWait)
	if s1.Wait != 0 || s2.Wait != iv {
		t.Fatalf("after an hour idle, two at once wait %v and %v, want 0 and %v", s1.Wait, s2.Wait, iv)
	}
}

func TestParseRate(t *testing.T) {
	for in, want := range map[string]int{"20/s": 1200, "600/min": 600, "1200": 1200, " 5 / second ": 300, "7/m": 7} {
		if got, err := ParseRate(in); err != nil || got != want {
			t.Errorf("ParseRate(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "0/s", "-1", "x/s", "5/h", "200000/s"} {
		if _, err := ParseRate(bad); err == nil {
			t.Errorf("ParseRate(%q) accepted", bad)
		}
	}
	if FormatRate(1200) != "20/s" || FormatRate(7) != "7/min" {
		t.Errorf("FormatRate: %s, %s", FormatRate(1200), FormatRate(7))
	}
}
