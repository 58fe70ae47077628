package dialecttest

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// runInboxRateSuite runs the internal inbox and per-channel rate limits
// (issue 15 items 3 and 6) through the real listener and database.
func runInboxRateSuite(t *testing.T, h Harness) {
	t.Run("InboxAndMarkRead", func(t *testing.T) { testInboxAndMarkRead(t, h) })
	t.Run("RateLimitTwoListeners", func(t *testing.T) { testRateLimitTwoListeners(t, h) })
	t.Run("RateLimitChecked", func(t *testing.T) { testRateLimitChecked(t, h) })
}

// markRead calls relay.mark_read and returns how many it marked; ids nil
// marks all of the receiver's. The id list is each database's own type: a
// bigint[] on PostgreSQL, a JSON array on SQL Server.
func (d *db) markRead(receiver string, ids []int64) int {
	d.t.Helper()
	strs := make([]string, len(ids))
	for i, id := range ids {
		strs[i] = strconv.FormatInt(id, 10)
	}
	var q string
	var list any
	switch d.Dialect.Name() {
	case "postgres":
		q = `SELECT relay.mark_read($1, $2::bigint[])`
		if ids != nil {
			list = "{" + strings.Join(strs, ",") + "}"
		}
	default:
		q = `EXEC relay.mark_read @Receiver = @p1, @Ids = @p2`
		if ids != nil {
			list = "[" + strings.Join(strs, ",") + "]"
		}
	}
	var n int
	if err := d.DB.QueryRow(q, receiver, list).Scan(&n); err != nil {
		d.t.Fatalf("relay.mark_read(%q, %v): %v", receiver, ids, d.Dialect.Explain(err))
	}
	return n
}

// An internal channel's messages land in relay_api.inbox once the listener
// delivered them, per receiver, unread; relay.mark_read marks the given ones
// (only the receiver's) and then all; webhook messages never show up there.
func testInboxAndMarkRead(t *testing.T, h Harness) {
	d := fresh(t, h)
	rcv := NewReceiver(t)
	d.channel("memo", "internal", "")
	d.webhook("hook", rcv.URL+"/hook", 3, 5000)
	d.prefer("alice", "memo", "")
	d.prefer("alice", "hook", "")
	d.prefer("bob", "memo", "")
	first := d.push("王经理", "alice, bob", "请审批", "报销单 #42")
	second := d.push("王经理", "alice", "已批准", "报销单 #41")
	StartListener(t, d.Conn, TestConfig(t))
	d.waitUntil("all delivered", 10*time.Second,
		`SELECT CASE WHEN count(*) = 5 THEN 1 ELSE 0 END FROM relay_api.outbox WHERE status = 'sent'`)

	unread := func(receiver string) int {
		return d.count(`SELECT count(*) FROM relay_api.inbox WHERE receiver = ? AND read_at IS NULL`, receiver)
	}
	if n := d.count(`SELECT count(*) FROM relay_api.inbox WHERE receiver = 'alice'`); n != 2 {
		t.Fatalf("alice's inbox holds %d messages, want 2 (her webhook copies are not inbox messages)", n)
	}
	var title, body, sender string
	rows, err := d.DB.Query(d.rebind(`SELECT id, title, body, sender FROM relay_api.inbox WHERE receiver = ? ORDER BY id`), "alice")
	if err != nil {
		t.Fatal(err)
	}
	var aliceIDs []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id, &title, &body, &sender); err != nil {
			t.Fatal(err)
		}
		aliceIDs = append(aliceIDs, id)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if title != "已批准" || body != "报销单 #41" || sender != "王经理" {
		t.Errorf("alice's last inbox message: %q %q from %q", title, body, sender)
	}
	if unread("alice") != 2 || unread("bob") != 1 {
		t.Fatalf("unread: alice %d, bob %d; want 2 and 1", unread("alice"), unread("bob"))
	}
	var bobID int64
	for _, id := range first {
		if !slices.Contains(aliceIDs, id) && d.count(`SELECT count(*) FROM relay_api.inbox WHERE id = ? AND receiver = 'bob'`, id) == 1 {
			bobID = id
		}
	}
	if bobID == 0 {
		t.Fatal("bob's message is not in relay_api.inbox")
	}
	// Bob's id passed for alice is ignored; alice's first is marked.
	if n := d.markRead("alice", []int64{aliceIDs[0], bobID}); n != 1 {
		t.Fatalf("mark_read(alice, [her first, bob's]) marked %d, want 1", n)
	}
	if unread("alice") != 1 || unread("bob") != 1 {
		t.Fatalf("after marking: alice %d unread, bob %d; want 1 and 1", unread("alice"), unread("bob"))
	}
	// Marking again changes nothing; NULL marks the rest.
	if n := d.markRead("alice", []int64{aliceIDs[0]}); n != 0 {
		t.Errorf("marking a read message again marked %d", n)
	}
	if d.Dialect.Name() != "postgres" { // PostgreSQL's bigint[] cannot hold anything else
		_, err := d.DB.Exec(`EXEC relay.mark_read @Receiver = @p1, @Ids = @p2`, "alice", `[1, "x"]`)
		if err == nil || !strings.Contains(err.Error(), "JSON array of message ids") {
			t.Errorf("mark_read with a list that is not ids: %v", err)
		}
	}
	if n := d.markRead("alice", nil); n != 1 || unread("alice") != 0 {
		t.Errorf("mark_read(alice, NULL) marked %d, %d left unread", n, unread("alice"))
	}
	if !slices.Contains(second, aliceIDs[len(aliceIDs)-1]) {
		t.Errorf("alice's last inbox id %d is not one of the second push's %v", aliceIDs[len(aliceIDs)-1], second)
	}
	if n := d.count(`SELECT count(*) FROM relay_api.inbox WHERE read_at IS NOT NULL AND receiver = 'alice'`); n != 2 {
		t.Errorf("%d of alice's messages have read_at, want 2", n)
	}
}

// Two listeners deliver a backlog on a channel limited to 20 a second
// (rate_per_minute 1200): the receiver never sees more than 20 + 4 in any
// second, and over the whole run no more than 20 a second on average. The
// tolerance: slots are reserved 50 ms apart by the database's clock, but a
// send lands after its slot by the listener's scheduling delay (timer,
// commit, HTTP), so one second at the receiver can hold the slots of that
// second plus those of the delay before it: 4 slots is a delay of up to
// 200 ms, which a loaded 2-core machine reaches. Messages sent back to wait did not count
// an attempt: each was delivered at its first.
func testRateLimitTwoListeners(t *testing.T, h Harness) {
	d := fresh(t, h)
	rcv := NewReceiver(t)
	d.exec(`INSERT INTO relay.channel (code, kind, target, rate_per_minute, max_attempts) VALUES ('slow', 'webhook', ?, 1200, 2)`,
		rcv.URL+"/slow")
	d.setDefault("slow")
	const n = 60
	names := make([]string, n)
	for i := range names {
		names[i] = "r" + strconv.Itoa(i)
	}
	d.push("s", strings.Join(names, ","), "t", "x")
	cfg := TestConfig(t)
	cfg.BatchSize = 20
	StartListener(t, d.Conn, cfg)
	StartListener(t, d.Conn, cfg)
	calls := rcv.WaitCalls(t, "/slow", n, 60*time.Second)
	d.waitUntil("all sent", 20*time.Second,
		`SELECT CASE WHEN count(*) = ? THEN 1 ELSE 0 END FROM relay.message WHERE status = 'sent'`, n)

	at := make([]time.Time, len(calls))
	for i, c := range calls {
		at[i] = c.At
	}
	slices.SortFunc(at, func(a, b time.Time) int { return a.Compare(b) })
	most, from := 0, 0
	for i := range at {
		for at[i].Sub(at[from]) >= time.Second {
			from++
		}
		most = max(most, i-from+1)
	}
	t.Logf("%d messages in %v; at most %d in any second", n, at[n-1].Sub(at[0]), most)
	if most > 24 {
		t.Errorf("the receiver saw %d messages within one second; the limit is 20 (tolerance 4)", most)
	}
	if span := at[n-1].Sub(at[0]); span < time.Duration(n-1)*50*time.Millisecond-200*time.Millisecond {
		t.Errorf("%d messages in %v: faster than 20 a second", n, span)
	}
	if got := d.count(`SELECT count(*) FROM relay.message WHERE attempts <> 1`); got != 0 {
		t.Errorf("%d messages counted more than one attempt: waiting for the limit must not count", got)
	}
	if got := d.count(`SELECT count(*) FROM relay.delivery`); got != n {
		t.Errorf("%d delivery rows, want one per message (%d)", got, n)
	}
}

// rate_per_minute is checked where it is written: 0 and negative values are
// refused, NULL (no limit) and positive ones accepted.
func testRateLimitChecked(t *testing.T, h Harness) {
	d := fresh(t, h)
	d.exec(`INSERT INTO relay.channel (code, kind, target, rate_per_minute) VALUES ('ok', 'webhook', 'https://x.example/', 600)`)
	for _, bad := range []int{0, -5} {
		_, err := d.DB.Exec(d.rebind(`UPDATE relay.channel SET rate_per_minute = ? WHERE code = 'ok'`), bad)
		if err == nil || !strings.Contains(fmt.Sprint(err), "rate_per_minute") {
			t.Errorf("rate_per_minute = %d: %v, want an error naming rate_per_minute", bad, err)
		}
	}
	d.exec(`UPDATE relay.channel SET rate_per_minute = NULL WHERE code = 'ok'`)
}
