// Package dialecttest is the behavioural suite every dialect must pass: the
// same tests, written once against the dialect interface and the SQL
// objects' contract, run on PostgreSQL always and on SQL Server whenever
// MSSQL_URL is set. A dialect's test file supplies a Harness and calls Run.
package dialecttest

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"testing"

	"github.com/dbrelay/dbrelay/dialect"
)

// Harness adapts the suite to one database.
type Harness interface {
	// Fresh returns a new database with dbrelay migrated, dropped when t ends.
	Fresh(t *testing.T) *dialect.Conn
	// Placeholder is the driver's n-th parameter marker ($1 or @p1).
	Placeholder(n int) string
	// PushCall is the statement calling relay.push with four parameters.
	PushCall() string
	// EnqueueCall calls relay.enqueue with (sender, receiver, channel,
	// title) and yields the new id as its only result row.
	EnqueueCall() string
	// Code is the error code (as dialect.ArgumentError.Code) for a kind of
	// bad input: "null title", "no receivers", "blank receiver", "no
	// channel", "unknown channel", "too large", "bad channel", and
	// relay.attach's "attachment too large", "attachment prohibited",
	// "attachment not allowed", "attachment invalid".
	Code(kind string) string
	// StoredBytes is what the database counts for s against
	// relay.settings.max_message_bytes: its UTF-8 bytes on PostgreSQL, its
	// UTF-16 bytes on SQL Server (DATALENGTH of nvarchar).
	StoredBytes(s string) int
	// SQL is the dialect's text for the extension point tests (see
	// extension.go): "host table" (a host's table host_log(id, note)),
	// "push line" (a statement for relay.push's body that writes its title
	// into host_log), "failing hook" (relay.on_outcome writing into
	// host_log, then raising), "recording hook" (relay.on_outcome writing
	// its status and message id into host_log), "host dependent" (a host
	// object depending on a dbrelay object, which stops migrate down),
	// "requires migration" (an up migration declaring that relay.on_outcome
	// gains a parameter note) and "hook with note" (the object file of
	// relay.on_outcome with that parameter). The events suite (events.go)
	// adds "raise" (relay.raise with event, ref and payload as parameters
	// 1-3, yielding the event's id as its only row), "response hook"
	// (relay.on_outcome writing "<message id> <answer's prompt>" into
	// host_log, "json" when the answer has no prompt, "no json" when it is
	// not JSON) and "example approve" (the worked example's approve, with
	// approval id and approver as parameters 1-2).
	SQL(name string) string
}

// Run runs every test of the suite.
func Run(t *testing.T, h Harness) {
	t.Run("PushFanOut", func(t *testing.T) { testPushFanOut(t, h) })
	t.Run("PushUnicode", func(t *testing.T) { testPushUnicode(t, h) })
	t.Run("PushLargeContext", func(t *testing.T) { testPushLargeContext(t, h) })
	t.Run("PushBadInput", func(t *testing.T) { testPushBadInput(t, h) })
	t.Run("ReceiversTrimUnicodeBlanks", func(t *testing.T) { testReceiversTrimUnicodeBlanks(t, h) })
	t.Run("DisabledChannelAccepts", func(t *testing.T) { testDisabledChannelAccepts(t, h) })
	t.Run("MessageSizeLimit", func(t *testing.T) { testMessageSizeLimit(t, h) })
	t.Run("ChannelRowsChecked", func(t *testing.T) { testChannelRowsChecked(t, h) })
	t.Run("PushRollsBackWithCaller", func(t *testing.T) { testPushRollsBackWithCaller(t, h) })
	t.Run("ViewsExposeNoSecret", func(t *testing.T) { testViewsExposeNoSecret(t, h) })
	t.Run("Retry", func(t *testing.T) { testRetry(t, h) })
	runListenerSuite(t, h)
	runFairnessSuite(t, h)
	runChannelKindsSuite(t, h)
	runInboxRateSuite(t, h)
	runInboundSuite(t, h)
	runMailSuite(t, h)
	runEmailSuite(t, h)
	runExtensionSuite(t, h)
	runEventsSuite(t, h)
}

// db wraps a connection with ?-placeholder helpers for test set-up.
type db struct {
	t *testing.T
	h Harness
	*dialect.Conn
}

func fresh(t *testing.T, h Harness) *db {
	return &db{t: t, h: h, Conn: h.Fresh(t)}
}

// rebind turns each ? into the dialect's placeholder.
func (d *db) rebind(q string) string {
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString(d.h.Placeholder(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (d *db) exec(q string, args ...any) {
	d.t.Helper()
	if _, err := d.DB.Exec(d.rebind(q), args...); err != nil {
		d.t.Fatalf("%s: %v", q, err)
	}
}

func (d *db) count(q string, args ...any) int {
	d.t.Helper()
	var n int
	if err := d.DB.QueryRow(d.rebind(q), args...).Scan(&n); err != nil {
		d.t.Fatalf("%s: %v", q, err)
	}
	return n
}

// channel registers a channel.
func (d *db) channel(code, kind, target string) {
	d.t.Helper()
	d.exec(`INSERT INTO relay.channel (code, kind, target) VALUES (?, ?, ?)`, code, kind, target)
}

func (d *db) prefer(receiver, channel, address string) {
	d.t.Helper()
	d.exec(`INSERT INTO relay.recipient (receiver, channel, address) VALUES (?, ?, ?)`, receiver, channel, address)
}

func (d *db) setDefault(channel any) {
	d.t.Helper()
	d.exec(`UPDATE relay.settings SET default_channel = ? WHERE id = 1`, channel)
}

// pushRaw calls relay.push with any values (nil = NULL).
func (d *db) pushRaw(sender, receivers, title, body any) error {
	_, err := d.DB.Exec(d.h.PushCall(), sender, receivers, title, body)
	return d.Dialect.Explain(err)
}

func (d *db) push(sender, receivers, title, body string) []int64 {
	d.t.Helper()
	ids, err := d.Dialect.Push(context.Background(), d.DB, sender, receivers, title, body)
	if err != nil {
		d.t.Fatalf("push(%q, %q): %v", receivers, title, err)
	}
	return ids
}

// message is a row of relay_api.outbox.
type message struct {
	ID                                              int64
	Sender, Receiver, Channel, Address, Title, Body string
	Status                                          string
	Attempts                                        int
}

func (d *db) messages() []message {
	d.t.Helper()
	rows, err := d.DB.Query(`SELECT id, sender, receiver, channel, address, title, body, status, attempts FROM relay_api.outbox ORDER BY id`)
	if err != nil {
		d.t.Fatal(err)
	}
	defer rows.Close()
	var out []message
	for rows.Next() {
		var m message
		if err := rows.Scan(&m.ID, &m.Sender, &m.Receiver, &m.Channel, &m.Address, &m.Title, &m.Body, &m.Status, &m.Attempts); err != nil {
			d.t.Fatal(err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		d.t.Fatal(err)
	}
	return out
}

func idList(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ",")
}

// rows reads a whole query result as strings, for views of unknown shape.
func rowsAsText(t *testing.T, rows *sql.Rows) (cols []string, out [][]string) {
	t.Helper()
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = v.String
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return cols, out
}
