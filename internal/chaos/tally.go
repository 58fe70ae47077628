package chaos

import "fmt"

// Message is one message's state in the database at the end of a run.
type Message struct {
	ID         int64
	Key        string
	Status     string // pending, sending, sent, dead, cancelled
	Attempts   int
	Deliveries int // its rows in relay.delivery: the attempts the listener recorded
}

// Expect is what a run pushed and what may reach the receiver.
type Expect struct {
	// Pushed are the committed messages: each must end sent, and reach the
	// receiver.
	Pushed []int64
	// Ignore are messages the run does not judge (deleted mid-flight, or
	// bound for an endpoint that never answers).
	Ignore map[int64]bool
	// Forbidden are messages that must never reach the receiver (pushed in
	// transactions that rolled back).
	Forbidden map[int64]bool
}

// Allow says which anomalies the run's faults explain.
type Allow struct {
	// Duplicates: the listener may deliver a message again (it was killed,
	// PostgreSQL crashed, or the database was unreachable at shutdown, so
	// outcomes it had were never written).
	Duplicates bool
	// Unrecorded: attempts the receiver saw may be missing from
	// relay.delivery, for the same reasons.
	Unrecorded bool
	// SameAttempt: the same attempt number may reach the receiver twice
	// (only if claims are allowed to be forgotten in a crash).
	SameAttempt bool
	// Why names the fault that explains them, for the report.
	Why string
}

// Counts is one run's tally. The columns of the report:
//
//   - Pushed: messages committed and judged.
//   - Delivered: of those, how many the receiver accepted (2xx) at least once.
//   - Duplicates: accepted answers beyond the first, summed over messages.
//   - Lost: finished in the database (or gone from it) without the
//     receiver ever accepting them: dead, cancelled, missing, or "sent"
//     with no 2xx seen.
//   - Stuck: still pending or sending when the run's deadline came.
//   - Mismatches: the database contradicts the receiver: attempt rows for
//     requests the receiver never got (Phantom), requests it got that no
//     attempt row records (Unrecorded, unless a fault explains them),
//     "dead" although the receiver accepted it (DeadAccepted), requests for
//     messages nobody committed (Unknown), and metric drift (MetricDrift,
//     set by the run: the listener's dbrelay_messages_sent_total against
//     the rows it marked sent).
type Counts struct {
	Pushed, Delivered, Duplicates, Lost, Stuck, Mismatches int

	Requests     int // every request the receiver got for judged messages
	SameAttempt  int // requests repeating an attempt number already seen for their message
	Phantom      int
	Unrecorded   int
	DeadAccepted int
	Unknown      int
	MetricDrift  int
}

// Tally compares the database (msgs) with the receiver (reqs). It returns
// the counts and, for each rule broken, one line saying what and how many:
// any lost, stuck or mismatched message, and duplicates or repeated attempt
// numbers that allow does not explain.
func Tally(exp Expect, msgs []Message, reqs []Request, allow Allow) (Counts, []string) {
	var c Counts
	byID := make(map[int64]*Message, len(msgs))
	for i := range msgs {
		byID[msgs[i].ID] = &msgs[i]
	}
	type seen struct {
		requests, accepted int
		attempts           map[int]bool
	}
	got := map[int64]*seen{}
	pushed := make(map[int64]bool, len(exp.Pushed))
	for _, id := range exp.Pushed {
		pushed[id] = true
	}
	for _, r := range reqs {
		switch {
		case exp.Ignore[r.ID]:
			continue
		case !pushed[r.ID] || exp.Forbidden[r.ID]:
			c.Unknown++
			continue
		}
		if m := byID[r.ID]; m != nil && m.Key != r.Key {
			c.Unknown++ // an id with another message's key
			continue
		}
		s := got[r.ID]
		if s == nil {
			s = &seen{attempts: map[int]bool{}}
			got[r.ID] = s
		}
		c.Requests++
		s.requests++
		if r.Accepted() {
			s.accepted++
		}
		if s.attempts[r.Attempt] {
			c.SameAttempt++
		}
		s.attempts[r.Attempt] = true
	}

	for id := range pushed {
		if exp.Ignore[id] {
			continue
		}
		c.Pushed++
		s := got[id]
		if s == nil {
			s = &seen{}
		}
		if s.accepted > 0 {
			c.Delivered++
			c.Duplicates += s.accepted - 1
		}
		m := byID[id]
		switch {
		case m == nil:
			c.Lost++
			continue
		case m.Status == "pending" || m.Status == "sending":
			c.Stuck++
		case m.Status == "dead" && s.accepted > 0:
			c.DeadAccepted++
		case s.accepted == 0:
			c.Lost++ // dead, cancelled, or "sent" without a 2xx seen
		}
		switch {
		case m.Deliveries > s.requests:
			c.Phantom += m.Deliveries - s.requests
		case m.Deliveries < s.requests && !allow.Unrecorded && m.Status != "pending" && m.Status != "sending":
			c.Unrecorded += s.requests - m.Deliveries
		}
	}
	c.sumMismatches()
	return c, c.failures(allow)
}

// sumMismatches adds the mismatch kinds into Mismatches.
func (c *Counts) sumMismatches() {
	c.Mismatches = c.Phantom + c.Unrecorded + c.DeadAccepted + c.Unknown + c.MetricDrift
}

// AddMetricDrift records the difference between the listener's sent metric
// and the database.
func (c *Counts) AddMetricDrift(metric, db int) {
	c.MetricDrift = metric - db
	if c.MetricDrift < 0 {
		c.MetricDrift = -c.MetricDrift
	}
	c.sumMismatches()
}

func (c Counts) failures(allow Allow) []string {
	var out []string
	add := func(n int, format string, args ...any) {
		if n > 0 {
			out = append(out, fmt.Sprintf(format, append([]any{n}, args...)...))
		}
	}
	add(c.Lost, "%d lost: finished or gone without the receiver accepting them")
	add(c.Stuck, "%d stuck: still pending or sending at the deadline")
	add(c.Phantom, "%d attempt rows in relay.delivery for requests the receiver never got")
	add(c.Unrecorded, "%d requests the receiver got that no relay.delivery row records")
	add(c.DeadAccepted, "%d dead in the database although the receiver accepted them")
	add(c.Unknown, "%d requests for messages that were never committed (or carry another message's key)")
	add(c.MetricDrift, "dbrelay_messages_sent_total is off by %d from the rows the listener marked sent")
	if !allow.Duplicates {
		add(c.Duplicates, "%d duplicate deliveries, and no fault explains one: a healthy listener delivered a message twice")
	}
	if !allow.SameAttempt {
		add(c.SameAttempt, "%d requests repeated an attempt number already delivered (a claim was forgotten)")
	}
	return out
}
