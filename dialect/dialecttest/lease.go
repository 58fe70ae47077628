package dialecttest

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/channel"
	"github.com/dbrelay/dbrelay/dialect"
	"github.com/dbrelay/dbrelay/internal/logbuf"
)

// The claim's lifecycle under faults (issue 13): idempotent write-backs,
// a message deleted in flight, claims whose reply was lost, lease renewal,
// and messages too large to load.

func newQueue(t *testing.T, d *db) dialect.Queue {
	t.Helper()
	q, err := d.Dialect.NewQueue(context.Background(), d.Conn, dialect.QueueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return q
}

func claimAll(t *testing.T, q dialect.Queue, token string, want int, lease time.Duration) []dialect.Claimed {
	t.Helper()
	got, _, err := q.Claim(context.Background(), token, 100, lease, nil)
	if err != nil || len(got) != want {
		t.Fatalf("claim %s: %d messages, err %v; want %d", token, len(got), err, want)
	}
	return got
}

// twoClaimed is a database with two messages on channel hook, both claimed
// for a minute under token l:1 by the queue it returns, oldest first.
func twoClaimed(t *testing.T, h Harness) (*db, dialect.Queue, []dialect.Claimed) {
	t.Helper()
	d := fresh(t, h)
	d.webhook("hook", "http://127.0.0.1:1/", 5, 1000)
	d.setDefault("hook")
	d.push("s", "a,b", "t", "x")
	q := newQueue(t, d)
	return d, q, claimAll(t, q, "l:1", 2, time.Minute)
}

func sentOutcome(c dialect.Claimed) dialect.Outcome {
	return dialect.Outcome{ID: c.ID, Token: c.Token, Status: dialect.StatusSent, Attempt: c.Attempt,
		StartedAt: time.Now(), Result: channel.Result{Outcome: channel.Sent, StatusCode: 200}}
}

// A write-back run twice (its first reply was lost; database/sql or the
// listener ran it again) records each attempt once and reports the
// outcome applied both times, so the metrics count what the database holds.
func testWriteBackIdempotent(t *testing.T, h Harness) {
	d, q, got := twoClaimed(t, h)
	outs := []dialect.Outcome{sentOutcome(got[0]), sentOutcome(got[1])}
	for run := 1; run <= 2; run++ {
		fates, err := q.Finish(context.Background(), outs)
		if err != nil || len(fates) != 2 || fates[0] != dialect.Applied || fates[1] != dialect.Applied {
			t.Fatalf("write-back run %d: fates %v, err %v; want both applied", run, fates, err)
		}
	}
	for _, c := range got {
		if rows := strings.Join(d.deliveries(c.ID), " "); rows != "1:sent:200" {
			t.Errorf("message %d: deliveries %q, want one attempt", c.ID, rows)
		}
	}
}

// A message deleted while in flight fails nothing: the other outcomes of
// its batch are written, and its own is reported deleted.
func testWriteBackMessageDeleted(t *testing.T, h Harness) {
	d, q, got := twoClaimed(t, h)
	d.exec(`DELETE FROM relay.message WHERE id = ?`, got[0].ID)
	fates, err := q.Finish(context.Background(), []dialect.Outcome{sentOutcome(got[0]), sentOutcome(got[1])})
	if err != nil {
		t.Fatalf("write-back with a deleted message: %v", err)
	}
	if len(fates) != 2 || fates[0] != dialect.Deleted || fates[1] != dialect.Applied {
		t.Fatalf("fates %v, want [deleted applied]", fates)
	}
	if n := d.count(`SELECT count(*) FROM relay.message WHERE id = ? AND status = 'sent'`, got[1].ID); n != 1 {
		t.Fatal("the other message of the batch was not written back")
	}
}

// Unclaim gives back what a claim took: due now, the claim's attempt given
// back; messages of other claims are left alone.
func testUnclaimGivesBack(t *testing.T, h Harness) {
	d := fresh(t, h)
	d.webhook("hook", "http://127.0.0.1:1/", 5, 1000)
	d.setDefault("hook")
	d.push("s", "a,b,c", "t", "x")
	q := newQueue(t, d)
	claimAll(t, q, "lost:1", 3, time.Hour)
	d.push("s", "d", "t", "x")
	claimAll(t, q, "other:1", 1, time.Hour)
	n, err := q.Unclaim(context.Background(), "lost:1")
	if err != nil || n != 3 {
		t.Fatalf("unclaim: %d, %v; want 3", n, err)
	}
	if n, err := q.Unclaim(context.Background(), "lost:1"); err != nil || n != 0 {
		t.Fatalf("second unclaim: %d, %v; want 0", n, err)
	}
	again := claimAll(t, q, "next:1", 3, time.Hour)
	for _, c := range again {
		if c.Attempt != 1 {
			t.Errorf("message %d claimed again with attempt %d, want 1 (the lost claim's attempt given back)", c.ID, c.Attempt)
		}
	}
	if n := d.count(`SELECT count(*) FROM relay.message WHERE locked_by = 'other:1' AND status = 'sending'`); n != 1 {
		t.Fatal("unclaim touched another claim's message")
	}
}

// slowAndOK is a database with three messages on channel slow, then two
// on ok (due later), and a queue on it; it returns the slow ones' ids.
func slowAndOK(t *testing.T, h Harness) (*db, dialect.Queue, []int64) {
	d := fresh(t, h)
	d.webhook("slow", "http://127.0.0.1:1/", 5, 1000)
	d.webhook("ok", "http://127.0.0.1:1/", 5, 1000)
	d.setDefault("slow")
	slow := d.push("s", "a,b,c", "t", "x")
	d.setDefault("ok")
	d.push("s", "d,e", "t", "x")
	return d, newQueue(t, d), slow
}

// claimOneSlow claims the oldest message, which must be on slow, for an
// hour.
func claimOneSlow(t *testing.T, q dialect.Queue, token string) dialect.Claimed {
	t.Helper()
	got, _, err := q.Claim(context.Background(), token, 1, time.Hour, nil)
	if err != nil || len(got) != 1 || got[0].Channel != "slow" {
		t.Fatalf("claim %s: %+v, %v; want one slow message", token, got, err)
	}
	return got[0]
}

// A claim moves on the due messages of the channels it is told to defer
// (parked or saturated in the listener) instead of taking them: due later,
// pending and unlocked (a lease that had run out included), attempts as
// they were, last_error set or kept. They count against the claim's n,
// and the next claim does not meet them again.
func testClaimDefers(t *testing.T, h Harness) {
	d, q, slow := slowAndOK(t, h)
	// A listener that died holding the oldest slow message: its lease ran out.
	dead := claimOneSlow(t, q, "dead:1")
	d.exec(`UPDATE relay.message SET next_attempt_at = ? WHERE id = ?`, time.Now().UTC().Add(-time.Minute), dead.ID)

	parked := []dialect.Deferral{{Channel: "slow", For: time.Hour, Reason: "slow is parked (test)"}}
	got, deferred, err := q.Claim(context.Background(), "l:1", 4, time.Minute, parked)
	if err != nil || len(got) != 1 || got[0].Channel != "ok" || deferred != 3 {
		t.Fatalf("claim deferring slow: %d claimed (%+v), %d deferred, %v; want 1 ok claimed and 3 slow deferred", len(got), got, deferred, err)
	}
	for _, id := range slow {
		var status, lastError string
		var attempts int
		var lockedBy sql.NullString
		if err := d.DB.QueryRow(d.rebind(`SELECT status, attempts, locked_by, last_error FROM relay.message WHERE id = ?`), id).
			Scan(&status, &attempts, &lockedBy, &lastError); err != nil {
			t.Fatal(err)
		}
		wantAttempts := 0
		if id == dead.ID {
			wantAttempts = 1 // the dead listener's claim still counts
		}
		if status != "pending" || lockedBy.Valid || attempts != wantAttempts || lastError != parked[0].Reason {
			t.Errorf("deferred message %d: status %s, locked_by %v, attempts %d, last_error %q; want pending, unlocked, %d, %q",
				id, status, lockedBy, attempts, lastError, wantAttempts, parked[0].Reason)
		}
		if created, next := d.times(id); !next.Valid || next.Time.Sub(created) < 50*time.Minute {
			t.Errorf("deferred message %d: due at %v (created %v), want about an hour later", id, next, created)
		}
	}
	got, deferred, err = q.Claim(context.Background(), "l:2", 4, time.Minute, parked)
	if err != nil || len(got) != 1 || got[0].Channel != "ok" || deferred != 0 {
		t.Fatalf("next claim: %d claimed, %d deferred, %v; want the other ok message and nothing deferred again", len(got), deferred, err)
	}

	// A saturated channel's deferral has no reason: last_error stays.
	d.exec(`UPDATE relay.message SET next_attempt_at = ?, last_error = 'earlier' WHERE id = ?`, time.Now().UTC().Add(-time.Minute), slow[1])
	saturated := []dialect.Deferral{{Channel: "slow", For: time.Minute}}
	if got, deferred, err = q.Claim(context.Background(), "l:3", 4, time.Minute, saturated); err != nil || len(got) != 0 || deferred != 1 {
		t.Fatalf("claim deferring the saturated channel: %d claimed, %d deferred, %v; want 0 and 1", len(got), deferred, err)
	}
	if n := d.count(`SELECT count(*) FROM relay.message WHERE last_error = 'earlier' AND status = 'pending'`); n != 1 {
		t.Fatal("a deferral without a reason changed last_error")
	}
}

// DeferDue moves on every due message of the given channels in one
// statement: not a message held under a live lease, nor another channel's.
func testDeferDue(t *testing.T, h Harness) {
	d, q, slow := slowAndOK(t, h)
	held := claimOneSlow(t, q, "held:1")
	n, err := q.DeferDue(context.Background(), []dialect.Deferral{{Channel: "slow", For: time.Hour, Reason: "slow is parked (test)"}})
	if err != nil || n != 2 {
		t.Fatalf("DeferDue: %d, %v; want the 2 due slow messages", n, err)
	}
	for _, id := range slow {
		if id == held.ID {
			continue
		}
		if created, next := d.times(id); !next.Valid || next.Time.Sub(created) < 50*time.Minute {
			t.Errorf("message %d: due at %v (created %v), want about an hour later", id, next, created)
		}
	}
	if n := d.count(`SELECT count(*) FROM relay.message WHERE channel = 'slow' AND status = 'pending' AND attempts = 0 AND last_error = 'slow is parked (test)'`); n != 2 {
		t.Errorf("%d deferred messages pending with their attempts and the reason, want 2", n)
	}
	if n := d.count(`SELECT count(*) FROM relay.message WHERE locked_by = 'held:1' AND status = 'sending'`); n != 1 {
		t.Error("DeferDue touched a message held under a live lease")
	}
	got, deferred, err := q.Claim(context.Background(), "l:1", 10, time.Minute, nil)
	if err != nil || len(got) != 2 || deferred != 0 || got[0].Channel != "ok" || got[1].Channel != "ok" {
		t.Fatalf("claim after DeferDue: %+v, %d deferred, %v; want the 2 ok messages", got, deferred, err)
	}
}

// Renew extends the leases of messages still held under their token and
// reports only those.
func testRenewLeases(t *testing.T, h Harness) {
	d, q, got := twoClaimed(t, h)
	lockedUntil := func(id int64) time.Time {
		var at time.Time
		if err := d.DB.QueryRow(d.rebind(`SELECT locked_until FROM relay.message WHERE id = ?`), id).Scan(&at); err != nil {
			t.Fatal(err)
		}
		return at
	}
	before := lockedUntil(got[0].ID)
	held := []dialect.Held{{ID: got[0].ID, Token: "l:1"}, {ID: got[1].ID, Token: "someone-else:1"}, {ID: -1, Token: "l:1"}}
	renewed, err := q.Renew(context.Background(), held, 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(renewed) != 1 || renewed[0] != held[0] {
		t.Fatalf("renewed %v, want only %v", renewed, held[0])
	}
	if after := lockedUntil(got[0].ID); after.Sub(before) < time.Hour {
		t.Fatalf("locked_until moved from %v to %v, want about 2h from now", before, after)
	}
	if n := d.count(`SELECT count(*) FROM relay.message WHERE id = ? AND locked_until = next_attempt_at`, got[0].ID); n != 1 {
		t.Fatal("the renewal did not move next_attempt_at with locked_until")
	}
}

// A message over relay.settings.max_message_bytes (the limit was lowered
// after it was pushed) is claimed without its content and marked dead with
// a named error; the others are delivered.
func testOversizeNotLoaded(t *testing.T, h Harness) {
	d := fresh(t, h)
	rcv := NewReceiver(t)
	d.webhook("hook", rcv.URL+"/hook", 5, 5000)
	d.setDefault("hook")
	big := d.push("s", "big", "t", strings.Repeat("x", 400))[0]
	small := d.push("s", "small", "t", "x")[0]
	d.exec(`UPDATE relay.settings SET max_message_bytes = ? WHERE id = 1`, 300)
	q := newQueue(t, d)
	got := claimAll(t, q, "l:1", 2, time.Minute)
	for _, c := range got {
		switch c.ID {
		case big:
			if !c.Oversize || c.Body != "" || c.Size < 400 || c.MaxBytes != 300 {
				t.Fatalf("oversize message claimed as oversize=%v size=%d max=%d body %d bytes", c.Oversize, c.Size, c.MaxBytes, len(c.Body))
			}
		case small:
			if c.Oversize || c.Body != "x" {
				t.Fatalf("small message claimed as oversize=%v body %q", c.Oversize, c.Body)
			}
		}
	}
	if n, err := q.Unclaim(context.Background(), "l:1"); err != nil || n != 2 {
		t.Fatalf("unclaim: %d, %v", n, err)
	}
	StartListener(t, d.Conn, TestConfig(t))
	d.waitUntil("the oversize message dead and the other sent", 20*time.Second, `
SELECT CASE WHEN count(*) = 2 THEN 1 ELSE 0 END FROM relay.message
WHERE (id = ? AND status = 'dead' AND attempts = 0 AND last_error LIKE 'message_too_large: %')
   OR (id = ? AND status = 'sent')`, big, small)
	if calls := rcv.Calls("/hook"); len(calls) != 1 {
		t.Fatalf("%d calls, want 1 (the oversize message is never sent)", len(calls))
	}
}

// A message waiting in the listener's own queue behind a slow endpoint for
// longer than the lease is not claimed again by the same listener: its
// lease is renewed while it waits and runs (issue 13, defect 1). Four
// workers (three for a lone channel: dispatch keeps one in reserve), 24
// messages, an endpoint answering 200 after 400 ms: the last waits about
// 3 s, the lease is 2 s.
func testSlowEndpointHeldNotReclaimed(t *testing.T, h Harness) {
	d := fresh(t, h)
	rcv := NewReceiver(t)
	rcv.Script("/slow", func(int) Reply { return Reply{Status: 200, Delay: 400 * time.Millisecond} })
	d.webhook("slow", rcv.URL+"/slow", 5, 5000)
	d.setDefault("slow")
	var names []string
	for i := 0; i < 24; i++ {
		names = append(names, "r"+strconv.Itoa(i))
	}
	d.push("s", strings.Join(names, ","), "t", "x")
	cfg := TestConfig(t)
	cfg.Workers, cfg.BatchSize, cfg.Lease = 4, 30, 2*time.Second
	logs := &logbuf.Buffer{}
	cfg.Logger = slog.New(slog.NewTextHandler(io.MultiWriter(logs, testWriter{t}), &slog.HandlerOptions{Level: slog.LevelWarn}))
	StartListener(t, d.Conn, cfg)
	d.waitUntil("all sent", 30*time.Second, `SELECT CASE WHEN count(*) = 24 THEN 1 ELSE 0 END FROM relay.message WHERE status = 'sent'`)
	for key, n := range rcv.KeysSeen() {
		if n != 1 {
			t.Errorf("message %s delivered %d times", key, n)
		}
	}
	if n := d.count(`SELECT count(*) FROM relay.message WHERE attempts <> 1`); n != 0 {
		t.Errorf("%d messages claimed more than once", n)
	}
	if n := d.count(`SELECT count(*) FROM relay.delivery`); n != 24 {
		t.Errorf("%d delivery rows, want 24", n)
	}
	// Renewed, not merely kept from being sent on an expired lease.
	if out := logs.String(); strings.Contains(out, "given back unsent") || strings.Contains(out, "not applied") {
		t.Errorf("leases ran out while held:\n%s", out)
	}
}
