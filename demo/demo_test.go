package demo

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/dbrelay/dbrelay/dialect"
	"github.com/dbrelay/dbrelay/pgserver"
	"github.com/dbrelay/dbrelay/schema"
)

// The demo on its own private PostgreSQL, as `make demo` runs it: every
// message reaches a final state, one retry succeeds and one dead letter
// shows, and the server is removed afterwards.
func TestDemoOnPrivatePostgres(t *testing.T) {
	var out bytes.Buffer
	if err := Run(context.Background(), Options{Out: &out}); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	text := out.String()
	for _, want := range []string{
		"== dbrelay migrate up",
		"demo-sms (attempt 1): HTTP 503 Service Unavailable → retry in",
		"demo-sms (attempt 2): HTTP 200, sent in",
		"demo-erp (attempt 3): gave up after 3 attempts",
		"dead letter",
		"delivered to the internal inbox",
		"== stopped PostgreSQL and removed",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	// The outbox table: five sent, one dead.
	if n := len(regexp.MustCompile(`(?m)^\s+\d+\s+demo-\S+\s+demo-\S+\s+sent\s`).FindAllString(text, -1)); n != 5 {
		t.Errorf("%d sent rows in the printed outbox, want 5\n%s", n, text)
	}
	if n := len(regexp.MustCompile(`(?m)^\s+\d+\s+demo-lisi\s+demo-erp\s+dead\s+3\s`).FindAllString(text, -1)); n != 1 {
		t.Errorf("the dead letter is not in the printed outbox\n%s", text)
	}
}

// The demo against a database that has a queue of its own: a default
// channel, a channel whose name starts with demo-, and pending messages on
// both, due before the demo's. The demo delivers only its own messages,
// routes nothing through the database's default channel, and leaves every
// table as it found it.
func TestDemoOnSharedDatabase(t *testing.T) {
	ctx := context.Background()
	srv, err := pgserver.Start(ctx, pgserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Stop() })
	url := srv.URL("postgres")
	conn, err := dialect.Open(url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := (&schema.Migrator{Conn: conn, Logf: t.Logf}).Up(ctx); err != nil {
		t.Fatal(err)
	}
	var hostCalls atomic.Int64
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hostCalls.Add(1) }))
	defer host.Close()
	for _, q := range []string{
		`INSERT INTO relay.channel (code, kind, target) VALUES ('crm', 'webhook', '` + host.URL + `/crm')`,
		`INSERT INTO relay.channel (code, kind, target) VALUES ('demo-legacy', 'webhook', '` + host.URL + `/legacy')`,
		`UPDATE relay.settings SET default_channel = 'crm'`,
		`INSERT INTO relay.recipient (receiver, channel, address) VALUES ('demo-zhangsan', 'demo-legacy', 'x')`,
		`INSERT INTO relay.message (sender, receiver, channel, title) VALUES ('host', 'a', 'crm', 'host 1'), ('host', 'b', 'crm', 'host 2'), ('host', 'c', 'demo-legacy', 'host 3')`,
	} {
		if _, err := conn.DB.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	before := snapshot(t, conn)

	var out bytes.Buffer
	if err := Run(ctx, Options{DatabaseURL: url, Out: &out}); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	text := out.String()
	if !strings.Contains(text, "gave up after 3 attempts") || !strings.Contains(text, "delivered to the internal inbox") {
		t.Errorf("the demo did not run its course:\n%s", text)
	}
	if n := hostCalls.Load(); n != 0 {
		t.Errorf("the database's own endpoints got %d calls from the demo", n)
	}
	if after := snapshot(t, conn); after != before {
		t.Errorf("the demo changed the database:\nbefore %s\nafter  %s\n%s", before, after, text)
	}
}

// snapshot renders what the demo must leave as it was: every channel,
// preference and message (with status and attempts), the settings, and the
// counts of attempts, hook runs, channel health rows and listener marks.
func snapshot(t *testing.T, conn *dialect.Conn) string {
	t.Helper()
	var s string
	err := conn.DB.QueryRow(`SELECT concat_ws(' | ',
		(SELECT string_agg(code || ':' || kind, ',' ORDER BY code) FROM relay.channel),
		(SELECT string_agg(receiver || '>' || channel, ',' ORDER BY receiver, channel) FROM relay.recipient),
		(SELECT string_agg(id || ':' || channel || ':' || status || ':' || attempts || ':' || coalesce(last_error, ''), ',' ORDER BY id) FROM relay.message),
		(SELECT coalesce(default_channel, '-') FROM relay.settings),
		(SELECT count(*) FROM relay.delivery), (SELECT count(*) FROM relay.hook_run),
		(SELECT count(*) FROM relay.channel_health), (SELECT count(*) FROM relay.listener))`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
