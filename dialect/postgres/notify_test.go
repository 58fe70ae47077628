package postgres_test

import (
	"context"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/dialect"
	"github.com/dbrelay/dbrelay/dialect/postgres"
	"github.com/dbrelay/dbrelay/pgserver/pgtest"
	"github.com/lib/pq"
)

// The wake-up: NOTIFY from the triggers, and the listener's idle mark.

// One NOTIFY per inserting statement, however many rows it inserts.
func TestNotifyOncePerStatement(t *testing.T) {
	url := pgtest.Migrated(t)
	c, err := dialect.Open(url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.DB.Exec(`INSERT INTO relay.channel (code, kind) VALUES ('inbox', 'internal');
		UPDATE relay.settings SET default_channel = 'inbox';
		INSERT INTO relay.listener (id, idle, expires_at) VALUES ('test', true, now() + interval '1 hour')`); err != nil {
		t.Fatal(err)
	}
	l := listenTo(t, c.DSN)
	// One statement inserting 50 rows, one CALL fanning out to 20, and
	// one transaction with two statements.
	if _, err := c.DB.Exec(`INSERT INTO relay.message (receiver, channel, title)
		SELECT 'r' || g, 'inbox', 't' FROM generate_series(1, 50) g`); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DB.Exec(`CALL relay.push('s', $1, 't', 'x')`, receivers(20)); err != nil {
		t.Fatal(err)
	}
	tx, err := c.DB.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{"a", "b"} {
		if _, err := tx.Exec(`SELECT relay.enqueue('s', $1, 'inbox', 't')`, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	// A marker sent after them: every notification of the inserts arrives
	// before it, in commit order.
	if _, err := c.DB.Exec(`SELECT pg_notify('relay_message', 'marker')`); err != nil {
		t.Fatal(err)
	}
	got := 0
	timeout := time.After(10 * time.Second)
	for {
		select {
		case n := <-l.Notify:
			if n == nil {
				t.Fatal("listener reconnected during the test")
			}
			if n.Extra == "marker" {
				if got != 3 {
					t.Fatalf("%d notifications for three inserting transactions, want 3", got)
				}
				var rows int
				if err := c.DB.QueryRow(`SELECT count(*) FROM relay.message`).Scan(&rows); err != nil {
					t.Fatal(err)
				}
				if rows != 72 {
					t.Fatalf("%d rows, want 72", rows)
				}
				return
			}
			got++
		case <-timeout:
			t.Fatalf("no marker after 10 s (%d notifications)", got)
		}
	}
}

func receivers(n int) string {
	s := ""
	for i := 0; i < n; i++ {
		if i > 0 {
			s += ","
		}
		s += "p" + strconv.Itoa(i)
	}
	return s
}

// Setting a message back to pending wakes listeners; the listener's own
// retry write-back (pending again, but due later) does not.
func TestNotifyOnRedelivery(t *testing.T) {
	c, err := dialect.Open(pgtest.Migrated(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if _, err := c.DB.Exec(`INSERT INTO relay.channel (code, kind) VALUES ('inbox', 'internal');
		INSERT INTO relay.message (receiver, channel, title, status) VALUES ('a', 'inbox', 't', 'dead'), ('b', 'inbox', 't', 'sending');
		INSERT INTO relay.listener (id, idle, expires_at) VALUES ('test', true, now() + interval '1 hour')`); err != nil {
		t.Fatal(err)
	}
	l := listenTo(t, c.DSN)
	for _, stmt := range []string{
		`UPDATE relay.message SET status = 'pending', next_attempt_at = now() + interval '1 hour' WHERE receiver = 'b'`,
		`SELECT pg_notify('relay_message', 'after-retry-writeback')`,
		`UPDATE relay.message SET status = 'pending' WHERE receiver = 'a'`,
		`SELECT pg_notify('relay_message', 'end')`,
	} {
		if _, err := c.DB.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	var seen []string
	for len(seen) < 3 {
		select {
		case n := <-l.Notify:
			seen = append(seen, n.Extra)
		case <-time.After(10 * time.Second):
			t.Fatalf("timed out; saw %q", seen)
		}
	}
	if seen[0] != "after-retry-writeback" || seen[1] != "" || seen[2] != "end" {
		t.Fatalf("notifications %q, want [after-retry-writeback, '' (the redelivery), end]", seen)
	}
}

// Inserts notify only while some listener is idle and its mark has not
// expired: while listeners drain, hosts' commits do not queue for NOTIFY's
// lock.
func TestNotifyOnlyWhileAListenerIsIdle(t *testing.T) {
	c, err := dialect.Open(pgtest.Migrated(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.DB.Exec(`INSERT INTO relay.channel (code, kind) VALUES ('inbox', 'internal')`); err != nil {
		t.Fatal(err)
	}
	l := listenTo(t, c.DSN)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := c.DB.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	insert := func(marker string) {
		t.Helper()
		exec(`SELECT relay.enqueue('s', 'r', 'inbox', 't')`)
		exec(`SELECT pg_notify('relay_message', $1)`, marker)
	}
	insert("no listener")
	exec(`INSERT INTO relay.listener (id, idle, expires_at) VALUES ('a', false, now() + interval '1 hour')`)
	insert("busy listener")
	exec(`INSERT INTO relay.listener (id, idle, expires_at) VALUES ('b', true, now() - interval '1 second')`)
	insert("expired idle listener")
	exec(`UPDATE relay.listener SET idle = true WHERE id = 'a'`)
	insert("idle listener")
	var seen []string
	for len(seen) < 5 {
		select {
		case n := <-l.Notify:
			seen = append(seen, n.Extra)
		case <-time.After(10 * time.Second):
			t.Fatalf("timed out; saw %q", seen)
		}
	}
	want := []string{"no listener", "busy listener", "expired idle listener", "", "idle listener"}
	for i := range want {
		if seen[i] != want[i] {
			t.Fatalf("notifications %q, want %q (the insert's '' only while a listener is idle)", seen, want)
		}
	}
}

// A host transaction that inserts while the listener is busy sends no
// NOTIFY; if it commits only after the listener marked itself idle (and made
// its last claim), the listener must still be woken without waiting for the
// fallback poll: Idle notes the transactions in progress and signals a
// wake-up when they have ended.
func TestIdleWakesWhenTransactionsThatMissedTheMarkEnd(t *testing.T) {
	c, err := dialect.Open(pgtest.Migrated(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if _, err := c.DB.Exec(`INSERT INTO relay.channel (code, kind) VALUES ('inbox', 'internal')`); err != nil {
		t.Fatal(err)
	}
	w, err := postgres.Dialect{}.Listen(ctx, c, "test-listener", slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Busy(ctx); err != nil {
		t.Fatal(err)
	}
	tx, err := c.DB.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`SELECT relay.enqueue('s', 'r', 'inbox', 't')`); err != nil { // no NOTIFY: nobody idle
		t.Fatal(err)
	}
	if err := w.Idle(ctx); err != nil {
		t.Fatal(err)
	}
	var idle bool
	if err := c.DB.QueryRow(`SELECT idle FROM relay.listener WHERE id = 'test-listener'`).Scan(&idle); err != nil {
		t.Fatal(err)
	}
	if !idle {
		t.Fatal("Idle did not mark the listener idle")
	}
	// While the host transaction runs, nothing wakes the listener. Not a
	// wall-clock window: the watcher's checks are seen in pg_stat_activity
	// (each leaves its query and a new state_change), and after it has
	// checked three times and found the transaction still running, no
	// wake-up may be waiting. A watcher that woke the listener early would
	// have stopped checking, and this would time out instead.
	waitForChecks(t, c, stillRunningQuery, 3)
	select {
	case <-w.Wake():
		t.Fatal("woken while the transaction that missed the mark is still open")
	default:
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-w.Wake():
	case <-time.After(5 * time.Second):
		t.Fatal("not woken after the transaction that missed the idle mark committed")
	}
	// Busy cancels a pending watch; Close removes the mark.
	if err := w.Busy(ctx); err != nil {
		t.Fatal(err)
	}
	w.Close()
	var n int
	if err := c.DB.QueryRow(`SELECT count(*) FROM relay.listener`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatal("Close left the listener's row behind")
	}
}

// stillRunningQuery is the start of the waker's check for transactions
// still in progress (dialect/postgres/queries.go), as pg_stat_activity
// shows it.
const stillRunningQuery = `SELECT count(*) FROM unnest($1::xid8[])`

// waitForChecks waits until sessions of this database have run a query
// starting with prefix at least n separate times, told apart by their
// (pid, state_change) in pg_stat_activity.
func waitForChecks(t *testing.T, c *dialect.Conn, prefix string, n int) {
	t.Helper()
	seen := map[string]bool{}
	deadline := time.Now().Add(20 * time.Second)
	for len(seen) < n {
		rows, err := c.DB.Query(`SELECT pid || ' ' || state_change FROM pg_stat_activity
			WHERE datname = current_database() AND state = 'idle' AND starts_with(query, $1)`, prefix)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				t.Fatal(err)
			}
			seen[k] = true
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("saw %d checks (%q) in 20 s, want %d", len(seen), prefix, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// listenTo listens on the wake-up channel on a connection of its own,
// closed when t ends.
func listenTo(t *testing.T, dsn string) *pq.Listener {
	t.Helper()
	l := pq.NewListener(dsn, time.Millisecond, time.Second, nil)
	t.Cleanup(func() { l.Close() })
	if err := l.Listen("relay_message"); err != nil {
		t.Fatal(err)
	}
	return l
}
