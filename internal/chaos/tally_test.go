package chaos

import (
	"strings"
	"testing"
)

func req(id int64, key string, attempt, code int) Request {
	return Request{ID: id, Key: key, Attempt: attempt, Code: code}
}

// A clean run: every message sent once, one attempt row each.
func TestTallyClean(t *testing.T) {
	msgs := []Message{{ID: 1, Key: "a", Status: "sent", Deliveries: 1}, {ID: 2, Key: "b", Status: "sent", Deliveries: 2}}
	reqs := []Request{req(1, "a", 1, 200), req(2, "b", 1, 503), req(2, "b", 2, 200)}
	c, fails := Tally(Expect{Pushed: []int64{1, 2}}, msgs, reqs, Allow{})
	if len(fails) != 0 {
		t.Fatalf("failures on a clean run: %v", fails)
	}
	want := Counts{Pushed: 2, Delivered: 2, Requests: 3}
	if c != want {
		t.Fatalf("counts %+v, want %+v", c, want)
	}
}

// Each defect the harness looks for is counted in its column and fails the
// run, unless the fault explains it.
func TestTallyDefects(t *testing.T) {
	msgs := []Message{
		{ID: 1, Key: "a", Status: "sent", Deliveries: 2},    // accepted twice, same attempt
		{ID: 2, Key: "b", Status: "sending", Deliveries: 0}, // stuck
		{ID: 3, Key: "c", Status: "dead", Deliveries: 1},    // dead, never accepted: lost
		{ID: 4, Key: "d", Status: "sent", Deliveries: 3},    // two phantom attempt rows
		{ID: 5, Key: "e", Status: "dead", Deliveries: 1},    // dead but accepted
		// 6 is missing from the database: lost
		{ID: 7, Key: "g", Status: "sent", Deliveries: 0}, // accepted, never recorded
	}
	reqs := []Request{
		req(1, "a", 1, 200), req(1, "a", 1, 200),
		req(3, "c", 1, 404),
		req(4, "d", 1, 200),
		req(5, "e", 1, 200),
		req(7, "g", 1, 200),
		req(9, "x", 1, 200), // rolled back, yet delivered
		req(8, "h", 1, 200), // ignored (deleted mid-flight)
	}
	exp := Expect{Pushed: []int64{1, 2, 3, 4, 5, 6, 7, 9}, Ignore: map[int64]bool{8: true}, Forbidden: map[int64]bool{9: true}}
	c, fails := Tally(exp, msgs, reqs, Allow{})
	want := Counts{Pushed: 8, Delivered: 4, Duplicates: 1, Lost: 3, Stuck: 1, Mismatches: 5,
		Requests: 6, SameAttempt: 1, Phantom: 2, Unrecorded: 1, DeadAccepted: 1, Unknown: 1}
	// 9 is pushed but forbidden: its request is Unknown, and it counts as lost
	// since it is not in the database either.
	if c != want {
		t.Fatalf("counts\n %+v\nwant\n %+v", c, want)
	}
	all := strings.Join(fails, "\n")
	for _, s := range []string{"3 lost", "1 stuck", "2 attempt rows", "1 requests the receiver got", "1 dead", "1 duplicate", "1 requests repeated", "1 requests for messages"} {
		if !strings.Contains(all, s) {
			t.Errorf("failures lack %q:\n%s", s, all)
		}
	}

	// A SIGKILL explains duplicates and unrecorded attempts, nothing else.
	c, fails = Tally(exp, msgs, reqs, Allow{Duplicates: true, Unrecorded: true})
	all = strings.Join(fails, "\n")
	if strings.Contains(all, "duplicate") || strings.Contains(all, "no relay.delivery row") {
		t.Errorf("explained anomalies still fail the run:\n%s", all)
	}
	if c.Unrecorded != 0 || !strings.Contains(all, "3 lost") {
		t.Errorf("with a kill: unrecorded %d, failures:\n%s", c.Unrecorded, all)
	}
}

func TestMetricDrift(t *testing.T) {
	var c Counts
	c.AddMetricDrift(94, 100)
	if c.MetricDrift != 6 || c.Mismatches != 6 {
		t.Fatalf("drift %d, mismatches %d; want 6, 6", c.MetricDrift, c.Mismatches)
	}
	if f := c.failures(Allow{}); len(f) != 1 || !strings.Contains(f[0], "off by 6") {
		t.Fatalf("failures %v", f)
	}
}
