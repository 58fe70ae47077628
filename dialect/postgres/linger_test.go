package postgres_test

import (
	"database/sql"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/dialect"
	"github.com/dbrelay/dbrelay/dialect/dialecttest"
	"github.com/dbrelay/dbrelay/pgserver/pgtest"
	"github.com/lib/pq"
)

// Under a flow of messages a lingering listener stays busy, so the hosts'
// inserts do not NOTIFY (each NOTIFY would serialise their commits);
// without lingering it goes idle each time it has drained, and the next
// insert notifies it.
//
// Deterministic: no pace, no window. Each insert is made in a transaction
// that first locks the listener's mark in relay.listener (FOR SHARE) and
// reads it, so the mark the wake-up trigger sees is the one the test read
// (the listener's next mark waits for the commit). The linger is longer
// than the test, so "still within it" does not depend on this machine's
// speed; whether the default 20 ms covers a real flow is a timing
// question, measured by the benchmark's latency rows (bench/), not here.
func TestSteadyFlowSendsNoNotifications(t *testing.T) {
	setUp := func(t *testing.T, linger time.Duration) (*dialect.Conn, *pq.Listener) {
		conn, err := dialect.Open(pgtest.Migrated(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		if _, err := conn.DB.Exec(`INSERT INTO relay.channel (code, kind) VALUES ('inbox', 'internal')`); err != nil {
			t.Fatal(err)
		}
		cfg := dialecttest.TestConfig(t)
		cfg.Linger = linger
		cfg.LingerPoll = 10 * time.Millisecond
		dialecttest.StartListener(t, conn, cfg)
		l := listenTo(t, conn.DSN)
		return conn, l
	}
	// insertWhile enqueues one message while the listener's mark says
	// idle == want (waiting for it, or failing at once when mustAlready),
	// and waits until the listener has sent it.
	insertWhile := func(t *testing.T, conn *dialect.Conn, want, mustAlready bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		var id int64
		for id == 0 {
			tx, err := conn.DB.Begin()
			if err != nil {
				t.Fatal(err)
			}
			var idle sql.NullBool
			if err := tx.QueryRow(`SELECT bool_and(idle) FROM (SELECT idle FROM relay.listener FOR SHARE) AS l`).Scan(&idle); err != nil {
				t.Fatal(err)
			}
			if idle.Valid && idle.Bool == want {
				if err := tx.QueryRow(`SELECT relay.enqueue('s', 'r', 'inbox', 't')`).Scan(&id); err != nil {
					t.Fatal(err)
				}
				if err := tx.Commit(); err != nil {
					t.Fatal(err)
				}
				break
			}
			if err := tx.Rollback(); err != nil {
				t.Fatal(err)
			}
			switch {
			case mustAlready:
				t.Fatalf("the listener's mark says idle=%v, want %v", idle.Bool, want)
			case time.Now().After(deadline):
				t.Fatalf("after 20 s the listener's mark still does not say idle=%v", want)
			}
			time.Sleep(5 * time.Millisecond)
		}
		waitTrue(t, conn, "sent", `SELECT status = 'sent' FROM relay.message WHERE id = $1`, id)
	}
	// notifications counts the NOTIFYs before a marker sent now.
	notifications := func(t *testing.T, conn *dialect.Conn, l *pq.Listener, marker string) int {
		t.Helper()
		if _, err := conn.DB.Exec(`SELECT pg_notify('relay_message', $1)`, marker); err != nil {
			t.Fatal(err)
		}
		n := 0
		for {
			select {
			case m := <-l.Notify:
				if m == nil {
					t.Fatal("LISTEN connection lost during the test")
				}
				if m.Extra == marker {
					return n
				}
				n++
			case <-time.After(10 * time.Second):
				t.Fatalf("no %q marker", marker)
			}
		}
	}

	t.Run("lingering", func(t *testing.T) {
		conn, l := setUp(t, time.Hour)
		insertWhile(t, conn, true, false) // it starts idle: this one wakes it
		waitTrue(t, conn, "marked busy", `SELECT bool_and(NOT idle) FROM relay.listener`)
		notifications(t, conn, l, "start")
		const n = 40
		for i := 0; i < n; i++ {
			insertWhile(t, conn, false, true) // and it must stay busy
		}
		if got := notifications(t, conn, l, "end"); got != 0 {
			t.Fatalf("%d notifications for %d inserts while the listener lingered busy, want 0", got, n)
		}
	})
	t.Run("not lingering", func(t *testing.T) {
		conn, l := setUp(t, -1)
		notifications(t, conn, l, "start")
		const n = 5
		for i := 0; i < n; i++ {
			insertWhile(t, conn, true, false) // idle again after each
		}
		if got := notifications(t, conn, l, "end"); got != n {
			t.Fatalf("%d notifications for %d inserts each made while the listener was idle, want %d", got, n, n)
		}
	})
}

// waitTrue polls a boolean query until it is true, failing after 20 s.
func waitTrue(t *testing.T, c *dialect.Conn, what, q string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var ok sql.NullBool
		if err := c.DB.QueryRow(q, args...).Scan(&ok); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if ok.Valid && ok.Bool {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 20 s still not %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
