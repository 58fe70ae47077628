package chaos

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/dbrelay/dbrelay/internal/faultproxy"
)

// Scenario is one named fault case.
type Scenario struct {
	Name  string
	About string // the fault, and what must hold
	Issue string // which defect of issue 13 it shows, or "passes today"
	N     int    // default number of messages
	Run   func(ctx context.Context, r *Run) error
}

// Result is one run's row of the report.
type Result struct {
	Scenario string
	N        int
	Counts
	Wall     time.Duration
	Failures []string
	Notes    []string
}

// Run is one scenario's run: its fresh database, its proxy, what it pushed
// and which anomalies its faults explain.
type Run struct {
	Lab   *Lab
	N     int
	DB    *DB
	Proxy *faultproxy.Proxy

	Expect Expect
	Allow  Allow
	// SentMetric compares the listener's dbrelay_messages_sent_total with
	// the database at the end; set it when one listener process did all the
	// work of the run.
	SentMetric bool
	// Except are channels whose messages are not judged (a stalled
	// endpoint's), nor awaited.
	Except []string

	notes     []string
	failures  []string
	started   time.Time
	result    *Result
	listeners []*Listener // every one started, so teardown can kill leftovers
}

// Note adds a line to the run's notes.
func (r *Run) Note(format string, args ...any) {
	r.notes = append(r.notes, fmt.Sprintf(format, args...))
}

// Fail records a broken rule that the tally cannot see (a hang, a readiness
// probe that lies) and notes it.
func (r *Run) Fail(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}

// Execute runs s with n messages (0: its default) and tallies it.
func Execute(ctx context.Context, lab *Lab, s Scenario, n int) Result {
	if n <= 0 {
		n = s.N
	}
	res := Result{Scenario: s.Name, N: n}
	r := &Run{Lab: lab, N: n, Expect: Expect{Ignore: map[int64]bool{}, Forbidden: map[int64]bool{}}, result: &res}
	lab.Receiver.Reset()
	err := r.setup(ctx, s.Name)
	if err == nil {
		defer r.teardown(ctx)
		err = s.Run(ctx, r)
	}
	if err != nil {
		r.Fail("the run did not complete: %v", err)
	}
	res.Failures = append(r.failures, res.Failures...)
	res.Notes = r.notes
	return res
}

func (r *Run) setup(ctx context.Context, name string) (err error) {
	if r.DB, err = r.Lab.FreshDB(ctx, name); err != nil {
		return err
	}
	if r.Proxy, err = faultproxy.Start(fmt.Sprintf("127.0.0.1:%d", r.Lab.PG.Port)); err != nil {
		r.Lab.Drop(ctx, r.DB)
		return err
	}
	return nil
}

func (r *Run) teardown(ctx context.Context) {
	for _, l := range r.listeners {
		if !l.Exited() {
			l.Kill() // a run that ended early
		}
	}
	r.Proxy.Close()
	r.Lab.Drop(ctx, r.DB)
}

// ListenerURL is the run's database reached through the proxy.
func (r *Run) ListenerURL() string {
	u, _ := url.Parse(r.DB.URL)
	u.Host = "127.0.0.1:" + strconv.Itoa(r.Proxy.Port())
	return u.String()
}

// Channel registers a webhook channel on the receiver, answering as b.
func (r *Run) Channel(ctx context.Context, code string, b Behaviour, timeout time.Duration, maxAttempts int) error {
	path := r.DB.Name + "." + code // the receiver's records stay apart per run
	r.Lab.Receiver.Set(path, b)
	return r.DB.AddChannel(ctx, code, r.Lab.Receiver.URL(path), timeout, maxAttempts, true)
}

// Push commits n messages on channel and expects each to be delivered.
func (r *Run) Push(ctx context.Context, channel string, n int) error {
	ids, err := r.DB.PushBulk(ctx, channel, n)
	r.Expect.Pushed = append(r.Expect.Pushed, ids...)
	return err
}

// Listen starts `dbrelay listen` through the proxy with args; the run's
// wall time starts with its first listener.
func (r *Run) Listen(ctx context.Context, args ...string) (*Listener, error) {
	if r.started.IsZero() {
		r.started = time.Now()
	}
	l, err := r.Lab.StartListener(ctx, r.DB.Name, r.ListenerURL(), args...)
	if err == nil {
		r.listeners = append(r.listeners, l)
	}
	return l, err
}

// AwaitFraction waits until the receiver has accepted frac of the pushed
// messages, or timeout passes (an error).
func (r *Run) AwaitFraction(ctx context.Context, frac float64, timeout time.Duration) error {
	want := int(frac * float64(len(r.Expect.Pushed)))
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if got := r.Lab.Receiver.WaitAccepted(ctx, want); got < want {
		return fmt.Errorf("the receiver accepted %d of the %d awaited within %s", got, want, timeout)
	}
	return nil
}

// AwaitDrained waits until no judged message is pending or sending, or
// timeout passes; it returns how many were left.
func (r *Run) AwaitDrained(ctx context.Context, timeout time.Duration) (int, error) {
	left := -1
	err := poll(ctx, timeout, 50*time.Millisecond, func() (bool, error) {
		n, err := r.DB.Unfinished(ctx, r.Except...)
		left = n
		return n == 0, err
	})
	if err != nil && left > 0 {
		return left, nil // the deadline: left are stuck
	}
	return left, err
}

// Finish ends a run whose last listener is lst: it waits up to deadline
// for every judged message to finish, then (settle > 0) up to settle more
// for the stuck ones, just to note when they came; it reads the sent metric,
// stops lst (SIGTERM must be honoured within its grace plus 10 s), and
// tallies the database against the receiver. Messages unfinished at the
// deadline count as stuck even if they finish while settling.
func (r *Run) Finish(ctx context.Context, lst *Listener, deadline, settle, grace time.Duration) error {
	stuck, err := r.AwaitDrained(ctx, deadline)
	if err != nil {
		return err
	}
	if stuck > 0 && settle > 0 {
		t0 := time.Now()
		left, err := r.AwaitDrained(ctx, settle)
		if err != nil {
			return err
		}
		if left == 0 {
			r.Note("the %d stuck at the %s deadline finished %s later", stuck, deadline, time.Since(t0).Round(100*time.Millisecond))
		} else {
			r.Note("%d still unfinished %s after the deadline", left, settle)
		}
	}
	r.result.Wall = time.Since(r.started)
	metric, haveMetric := 0, false
	if r.SentMetric && lst != nil {
		metric, haveMetric = r.awaitSentMetric(ctx, lst)
	}
	if lst != nil {
		if took, ok := lst.Term(grace + 10*time.Second); !ok {
			r.Fail("the listener ignored SIGTERM for %s (grace %s) and was killed", took.Round(time.Second), grace)
			lst.Kill()
		}
		if n := lst.LogLines("another listener took the message over") + lst.LogLines("outcome not applied"); n > 0 {
			r.Note("%d outcomes not applied: their lease ran out before the write-back", n)
		}
	}
	msgs, err := r.DB.Messages(ctx)
	if err != nil {
		return err
	}
	c, _ := Tally(r.Expect, msgs, r.Lab.Receiver.Requests(), r.Allow)
	if haveMetric {
		sent, err := r.DB.CountStatus(ctx, "sent")
		if err != nil {
			return err
		}
		c.AddMetricDrift(metric, sent)
		if c.MetricDrift != 0 {
			r.Note("dbrelay_messages_sent_total %d, sent rows %d", metric, sent)
		}
	}
	if stuck > c.Stuck {
		c.Stuck = stuck
	}
	r.result.Counts = c
	r.result.Failures = c.failures(r.Allow)
	if c.SameAttempt > 0 {
		r.Note("%d requests repeated an attempt number", c.SameAttempt)
	}
	if r.Allow.Why != "" && (c.Duplicates > 0 || c.Unrecorded > 0) {
		r.Note("duplicates explained by: %s", r.Allow.Why)
	}
	return nil
}

// awaitSentMetric reads the listener's sent counter, giving it a moment to
// catch up with write-backs the database already shows.
func (r *Run) awaitSentMetric(ctx context.Context, lst *Listener) (int, bool) {
	sent, err := r.DB.CountStatus(ctx, "sent")
	if err != nil {
		return 0, false
	}
	metric, ok := 0, false
	poll(ctx, 2*time.Second, 50*time.Millisecond, func() (bool, error) {
		metric, ok = lst.SentMetric(ctx)
		return ok && metric == sent, nil
	})
	return metric, ok
}
