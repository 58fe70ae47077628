package postgres_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/dialect"
	"github.com/dbrelay/dbrelay/dialect/dialecttest"
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
		UPDATE relay.settings SET default_channel = 'inbox'`); err != nil {
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
		INSERT INTO relay.message (receiver, channel, title, status) VALUES ('a', 'inbox', 't', 'dead'), ('b', 'inbox', 't', 'sending')`); err != nil {
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
