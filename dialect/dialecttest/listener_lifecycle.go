package dialecttest

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/channel"
	"github.com/dbrelay/dbrelay/secret"
)

// recorder is a sender kind for tests: each Sender it builds records its
// sends and its Close, and the first send of a channel whose target is
// ".../hold" waits until released.
type recorder struct {
	mu      sync.Mutex
	built   []*recordingSender
	release chan struct{}
	holding chan struct{} // receives once a held send has started
}

type recordingSender struct {
	r        *recorder
	target   string
	mu       sync.Mutex
	sends    int
	inFlight int
	closed   int
	// closedInFlight: Close was called while a send was running.
	closedInFlight bool
}

func newRecorder() *recorder {
	return &recorder{release: make(chan struct{}), holding: make(chan struct{}, 1)}
}

func (r *recorder) factory(ch channel.Channel, _ *secret.Env) (channel.Sender, error) {
	s := &recordingSender{r: r, target: ch.Target}
	r.mu.Lock()
	r.built = append(r.built, s)
	r.mu.Unlock()
	return s, nil
}

func (r *recorder) senders() []*recordingSender {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*recordingSender(nil), r.built...)
}

func (s *recordingSender) Send(ctx context.Context, m *channel.Message) channel.Result {
	s.mu.Lock()
	s.sends++
	s.inFlight++
	first := s.sends == 1
	s.mu.Unlock()
	if first && strings.HasSuffix(s.target, "/hold") {
		s.r.holding <- struct{}{}
		<-s.r.release
	}
	s.mu.Lock()
	s.inFlight--
	s.mu.Unlock()
	return channel.Result{Outcome: channel.Sent, StatusCode: 200}
}

func (s *recordingSender) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed++
	if s.inFlight > 0 {
		s.closedInFlight = true
	}
	return nil
}

func (s *recordingSender) state() (sends, closed int, closedInFlight bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sends, s.closed, s.closedInFlight
}

// waitFor polls cond until it holds, failing after timeout.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v still not %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A sender is closed once, after its sends in flight have returned, when
// its channel's row changes; the sender built for the new row is closed when
// the listener stops (issue 13, defect 9).
func testSenderClosedAfterChange(t *testing.T, h Harness) {
	d := fresh(t, h)
	rec := newRecorder()
	d.exec(`INSERT INTO relay.channel (code, kind, target, timeout_ms) VALUES ('rec', 'webhook', 'http://127.0.0.1:1/hold', 1000)`)
	d.prefer("bob", "rec", "")
	cfg := TestConfig(t)
	cfg.Senders = map[string]channel.Factory{"webhook": rec.factory}
	// The held send waits for the channel reload (up to 10 s): the lease
	// must outlast it, or the message would be claimed again meanwhile.
	cfg.Lease = 2 * time.Minute
	first := d.push("s", "bob", "t", "held")[0]
	stop := StartListener(t, d.Conn, cfg)
	select {
	case <-rec.holding:
	case <-time.After(20 * time.Second):
		t.Fatal("the first send did not start")
	}
	d.exec(`UPDATE relay.channel SET target = 'http://127.0.0.1:1/new' WHERE code = 'rec'`)
	// A message on the changed channel makes the listener read the row
	// again soon (a claim); the old sender must stay open while its send runs.
	d.push("s", "bob", "t", "after the change")
	waitFor(t, "a sender built for the new row", 30*time.Second, func() bool { return len(rec.senders()) >= 2 })
	old := rec.senders()[0]
	if _, closed, _ := old.state(); closed != 0 {
		t.Fatal("the replaced sender was closed while its send was still running")
	}
	close(rec.release)
	waitFor(t, "the replaced sender closed", 20*time.Second, func() bool { _, c, _ := old.state(); return c > 0 })
	d.waitUntil("both sent", 20*time.Second, `SELECT CASE WHEN count(*) = 2 THEN 1 ELSE 0 END FROM relay.message WHERE status = 'sent'`)
	stop()
	for i, s := range rec.senders() {
		sends, closed, inFlight := s.state()
		if closed != 1 || inFlight {
			t.Errorf("sender %d (%s, %d sends): closed %d times, during a send: %v; want once, after its sends", i, s.target, sends, closed, inFlight)
		}
	}
	if got := strings.Join(d.deliveries(first), " "); got != "1:sent:200" {
		t.Errorf("the held message's deliveries = %s", got)
	}
}

// A channel added while a listener runs is delivered on at once: its first
// message makes the listener read relay.channel again before handing it
// out, instead of postponing it for a minute (issue 12, item 9).
func testChannelAddedWhileRunning(t *testing.T, h Harness) {
	d := fresh(t, h)
	rcv := NewReceiver(t)
	d.webhook("first", rcv.URL+"/first", 5, 5000)
	StartListener(t, d.Conn, TestConfig(t))
	d.webhook("added", rcv.URL+"/added", 5, 5000)
	d.prefer("carol", "added", "")
	id := d.push("s", "carol", "t", "x")[0]
	d.waitUntil("sent on the new channel", 20*time.Second,
		`SELECT CASE WHEN status = 'sent' THEN 1 ELSE 0 END FROM relay_api.outbox WHERE id = ?`, id)
	if got := strings.Join(d.deliveries(id), " "); got != "1:sent:200" {
		t.Fatalf("deliveries = %s", got)
	}
	var postponed int
	if err := d.DB.QueryRow(d.rebind(`SELECT count(*) FROM relay.message WHERE id = ? AND last_error IS NOT NULL`), id).Scan(&postponed); err != nil {
		t.Fatal(err)
	}
	if postponed != 0 {
		t.Fatal("the message on the new channel was postponed before it was sent")
	}
}
