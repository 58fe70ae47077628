package postgres_test

import (
	"context"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/dialect"
	"github.com/dbrelay/dbrelay/dialect/dialecttest"
	"github.com/dbrelay/dbrelay/dialect/postgres"
	"github.com/dbrelay/dbrelay/pgserver/pgtest"
	"github.com/lib/pq"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

type harness struct{}

func (harness) Fresh(t *testing.T) *dialect.Conn {
	c, err := dialect.Open(pgtest.Migrated(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func (harness) Placeholder(n int) string { return "$" + strconv.Itoa(n) }
func (harness) PushCall() string         { return `CALL relay.push($1, $2, $3, $4)` }
func (harness) EnqueueCall() string      { return `SELECT relay.enqueue($1, $2, $3, $4)` }

func (harness) Code(kind string) string {
	return "SQLSTATE " + map[string]string{
		"null title":      "22004",
		"no receivers":    "22023",
		"no channel":      "42704",
		"disabled":        "55000",
		"unknown channel": "42704",
	}[kind]
}

func TestSuite(t *testing.T) { dialecttest.Run(t, harness{}) }

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
	l := pq.NewListener(c.DSN, time.Millisecond, time.Second, nil)
	defer l.Close()
	if err := l.Listen("relay_message"); err != nil {
		t.Fatal(err)
	}
	// One statement inserting 50 rows, one CALL fanning out to 20, and
	// one transaction with two statements.
	if _, err := c.DB.Exec(`INSERT INTO relay.message (receiver, channel, title)
		SELECT 'r' || g, 'inbox', 't' FROM generate_series(1, 50) g`); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DB.Exec(`CALL relay.push('s', $1, 't', 'x')`, receivers(20)); err != nil {
		t.Fatal(err)
	}
	tx, _ := c.DB.Begin()
	tx.Exec(`SELECT relay.enqueue('s', 'a', 'inbox', 't')`)
	tx.Exec(`SELECT relay.enqueue('s', 'b', 'inbox', 't')`)
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
				c.DB.QueryRow(`SELECT count(*) FROM relay.message`).Scan(&rows)
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
	l := pq.NewListener(c.DSN, time.Millisecond, time.Second, nil)
	defer l.Close()
	if err := l.Listen("relay_message"); err != nil {
		t.Fatal(err)
	}
	c.DB.ExecContext(ctx, `UPDATE relay.message SET status = 'pending', next_attempt_at = now() + interval '1 hour' WHERE receiver = 'b'`)
	c.DB.ExecContext(ctx, `SELECT pg_notify('relay_message', 'after-retry-writeback')`)
	c.DB.ExecContext(ctx, `UPDATE relay.message SET status = 'pending' WHERE receiver = 'a'`)
	c.DB.ExecContext(ctx, `SELECT pg_notify('relay_message', 'end')`)
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
	l := pq.NewListener(c.DSN, time.Millisecond, time.Second, nil)
	defer l.Close()
	if err := l.Listen("relay_message"); err != nil {
		t.Fatal(err)
	}
	insert := func(marker string) {
		t.Helper()
		if _, err := c.DB.Exec(`SELECT relay.enqueue('s', 'r', 'inbox', 't')`); err != nil {
			t.Fatal(err)
		}
		c.DB.Exec(`SELECT pg_notify('relay_message', $1)`, marker)
	}
	insert("no listener")
	c.DB.Exec(`INSERT INTO relay.listener (id, idle, expires_at) VALUES ('a', false, now() + interval '1 hour')`)
	insert("busy listener")
	c.DB.Exec(`INSERT INTO relay.listener (id, idle, expires_at) VALUES ('b', true, now() - interval '1 second')`)
	insert("expired idle listener")
	c.DB.Exec(`UPDATE relay.listener SET idle = true WHERE id = 'a'`)
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
	c.DB.QueryRow(`SELECT idle FROM relay.listener WHERE id = 'test-listener'`).Scan(&idle)
	if !idle {
		t.Fatal("Idle did not mark the listener idle")
	}
	// While the host transaction runs, nothing wakes the listener.
	select {
	case <-w.Wake():
		t.Fatal("woken while the transaction that missed the mark is still open")
	case <-time.After(200 * time.Millisecond):
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
	c.DB.QueryRow(`SELECT count(*) FROM relay.listener`).Scan(&n)
	if n != 0 {
		t.Fatal("Close left the listener's row behind")
	}
}

// The listener's statements run on sessions of its own, named in
// pg_stat_activity (their settings are checked by TestListenerDSN).
func TestQueueSessionSettings(t *testing.T) {
	c, err := dialect.Open(pgtest.Migrated(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	q, err := postgres.Dialect{}.NewQueue(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if _, err := q.Claim(context.Background(), "probe", 1, time.Second); err != nil { // opens a queue session
		t.Fatal(err)
	}
	var n int
	if err := c.DB.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE application_name = 'dbrelay-listener' AND datname = current_database()`).Scan(&n); err != nil || n == 0 {
		t.Fatalf("no session named dbrelay-listener (%d, %v)", n, err)
	}
}

// Under a steady flow of messages a lingering listener stays busy, so the
// hosts' inserts do not NOTIFY (each NOTIFY would serialise their commits);
// without lingering it would go idle between messages and nearly every
// insert would notify.
func TestSteadyFlowSendsNoNotifications(t *testing.T) {
	for _, c := range []struct {
		name   string
		linger time.Duration
		most   int
	}{{"lingering", 0, 3}, {"not lingering", -1, -1}} {
		t.Run(c.name, func(t *testing.T) {
			conn, err := dialect.Open(pgtest.Migrated(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { conn.Close() })
			if _, err := conn.DB.Exec(`INSERT INTO relay.channel (code, kind) VALUES ('inbox', 'internal')`); err != nil {
				t.Fatal(err)
			}
			cfg := dialecttest.TestConfig(t)
			cfg.Linger = c.linger
			dialecttest.StartListener(t, conn, cfg)
			l := pq.NewListener(conn.DSN, time.Millisecond, time.Second, nil)
			defer l.Close()
			if err := l.Listen("relay_message"); err != nil {
				t.Fatal(err)
			}
			const n = 40
			for i := 0; i < n; i++ {
				if _, err := conn.DB.Exec(`SELECT relay.enqueue('s', 'r', 'inbox', 't')`); err != nil {
					t.Fatal(err)
				}
				time.Sleep(5 * time.Millisecond) // the flow's pace, not a wait for a result
			}
			conn.DB.Exec(`SELECT pg_notify('relay_message', 'end')`)
			notified := 0
			for done := false; !done; {
				select {
				case m := <-l.Notify:
					if m.Extra == "end" {
						done = true
					} else {
						notified++
					}
				case <-time.After(10 * time.Second):
					t.Fatal("no end marker")
				}
			}
			t.Logf("%d inserts, %d notifications", n, notified)
			if c.most >= 0 && notified > c.most {
				t.Fatalf("%d notifications for %d inserts at a steady pace, want at most %d", notified, n, c.most)
			}
			if c.most < 0 && notified < n/2 {
				t.Fatalf("without lingering only %d notifications for %d inserts: the test no longer sees the difference", notified, n)
			}
		})
	}
}

// SQL is the PostgreSQL text of the extension point tests.
func (harness) SQL(name string) string {
	return map[string]string{
		"host table": `CREATE TABLE host_log (id serial PRIMARY KEY, note text NOT NULL)`,
		"push line":  `    INSERT INTO host_log (note) VALUES ('custom push: ' || push.title);`,
		"failing hook": `CREATE OR REPLACE PROCEDURE relay.on_outcome(message_id bigint, status text, channel text, receiver text, event text, ref text)
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO host_log (note) VALUES ('half done');
    RAISE EXCEPTION 'hook is broken';
END $$`,
		"recording hook": `CREATE OR REPLACE PROCEDURE relay.on_outcome(message_id bigint, status text, channel text, receiver text, event text, ref text)
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO host_log (note) VALUES (on_outcome.status || ' ' || on_outcome.message_id);
END $$`,
		"host dependent": `CREATE VIEW public.host_outbox AS SELECT id FROM relay_api.outbox`,
		"requires migration": `-- A newer dbrelay's migration (test): relay.on_outcome gains a parameter.
-- dbrelay:requires relay.on_outcome(message_id, status, channel, receiver, event, ref, note): add the parameter note text DEFAULT NULL after ref
DROP PROCEDURE IF EXISTS relay.on_outcome(bigint, text, text, text, text, text);
`,
		"hook with note": `-- relay.on_outcome with a note (a newer default, for tests).
--
-- dbrelay:extension-point
CREATE OR REPLACE PROCEDURE relay.on_outcome(
    message_id bigint, status text, channel text, receiver text, event text, ref text, note text DEFAULT NULL
)
LANGUAGE plpgsql
AS $$
BEGIN
    NULL;
END
$$;
`,
	}[name]
}
