package main

import (
	"database/sql"
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/dialect/dialecttest"
	"github.com/lib/pq"
)

// Who may do what: the roles scripts, and the secrets a listener reads.

// listen reads only the secrets the operator allowed: a channel naming
// DATABASE_URL (set in the listener's environment: it holds the database
// password) sends nothing and waits, saying which names are allowed;
// --allow-secret-env lets a listed name through.
func TestListenSecretAllowList(t *testing.T) {
	rcv := dialecttest.NewReceiver(t)
	url, db := setUp(t, rcv, 0)
	for _, stmt := range []string{
		`INSERT INTO relay.channel (code, kind, target, config) VALUES ('leak', 'webhook', '` + rcv.URL + `/leak',
			'{"basic_auth": {"username": "u", "password_env": "DATABASE_URL"}}')`,
		`INSERT INTO relay.channel (code, kind, target, config) VALUES ('crm', 'webhook', '` + rcv.URL + `/crm',
			'{"headers": {"X-Api-Key": {"value_from_env": "CRM_API_KEY"}}}')`,
		`INSERT INTO relay.recipient (receiver, channel) VALUES ('bob', 'leak'), ('bob', 'crm')`,
		`CALL relay.push('s', 'bob', 't', 'x')`,
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	p := startDbrelayEnv(t, []string{"DATABASE_URL=" + url, "CRM_API_KEY=k-0042"},
		"listen", "--allow-secret-env", "CRM_API_KEY", "--log-format", "json")
	waitFor(t, db, "the allowed channel sent", 20*time.Second, `SELECT status = 'sent' FROM relay.message WHERE channel = 'crm'`)
	if got := rcv.Calls("/crm")[0].Header.Get("X-Api-Key"); got != "k-0042" {
		t.Errorf("X-Api-Key = %q, want the allowed variable's value", got)
	}
	waitFor(t, db, "the other waiting", 20*time.Second,
		`SELECT status = 'pending' AND attempts = 0 AND last_error LIKE '%not allowed%' FROM relay.message WHERE channel = 'leak'`)
	if n := len(rcv.Calls("/leak")); n != 0 {
		t.Fatalf("%d requests on the channel naming DATABASE_URL", n)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t, 20*time.Second); code != 0 {
		t.Fatalf("exit %d", code)
	}
	out := p.out.String()
	for _, want := range []string{"DATABASE_URL may not be read", "DBRELAY_SECRET_", "--allow-secret-env DATABASE_URL", "allowed besides the prefix: CRM_API_KEY"} {
		if !strings.Contains(out, want) {
			t.Errorf("the log does not say %q", want)
		}
	}
	if strings.Contains(out, "k-0042") {
		t.Error("the log shows a secret's value")
	}
}

// createRoles runs docs/postgres-roles.sql. Roles are cluster-wide: they
// (and extra, roles the test creates itself) are dropped before and when t
// ends, so other tests (and a second run) can create them again.
func createRoles(t *testing.T, db *sql.DB, extra ...string) {
	t.Helper()
	script, err := os.ReadFile("../../docs/postgres-roles.sql")
	if err != nil {
		t.Fatal(err)
	}
	roles := append([]string{"relay_host", "relay_listener", "relay_reader", "relay_mailin", "relay_serve"}, extra...)
	// Leftovers of a run that could not clean up would fail CREATE ROLE:
	// drop them first (errors ignored: most do not exist).
	for _, r := range roles {
		db.Exec(`DROP OWNED BY ` + r)
		db.Exec(`DROP ROLE IF EXISTS ` + r)
	}
	t.Cleanup(func() {
		for _, r := range roles {
			if _, err := db.Exec(`DROP OWNED BY ` + r); err != nil {
				t.Errorf("drop owned by %s: %v", r, err)
			}
			if _, err := db.Exec(`DROP ROLE IF EXISTS ` + r); err != nil {
				t.Errorf("drop role %s: %v", r, err)
			}
		}
	})
	if _, err := db.Exec(string(script)); err != nil {
		t.Fatalf("docs/postgres-roles.sql: %v", err)
	}
}

// docs/postgres-roles.sql is enough: a host role pushes and enqueues, a
// listener role delivers and writes back, a reader reads relay_api, and
// none can do more: each denial is tried under the role.
func TestLeastPrivilegeRoles(t *testing.T) {
	rcv := dialecttest.NewReceiver(t)
	url, db := setUp(t, rcv, 0)
	createRoles(t, db, "relay_writer")
	roles := []string{"relay_host", "relay_listener", "relay_reader", "relay_writer"}
	// relay_writer: a role a DBA let INSERT into relay.message directly,
	// with what the insert trigger reads (as the roles script says).
	if _, err := db.Exec(`CREATE ROLE relay_writer NOLOGIN;
		GRANT USAGE ON SCHEMA relay TO relay_writer;
		GRANT INSERT, SELECT (id) ON relay.message TO relay_writer;
		GRANT SELECT (code) ON relay.channel TO relay_writer;
		GRANT SELECT (id, max_message_bytes) ON relay.settings TO relay_writer;
		GRANT SELECT (idle, expires_at) ON relay.listener TO relay_writer`); err != nil {
		t.Fatal(err)
	}
	for _, r := range roles {
		if _, err := db.Exec(`ALTER ROLE ` + r + ` LOGIN`); err != nil {
			t.Fatal(err)
		}
	}
	as := func(role string) string { return strings.Replace(url, "postgres@", role+"@", 1) }
	session := func(role string) *sql.DB { return openDB(t, as(role)) }

	out := mustRun(t, "push", "--database-url", as("relay_host"), "--receivers", "a,b", "--title", "权限", "--context", "x")
	if len(strings.Fields(out)) != 2 {
		t.Fatalf("push as relay_host printed %q", out)
	}
	host := session("relay_host")
	var id int64
	if err := host.QueryRow(`SELECT relay.enqueue('s', 'c', 'hook', 't')`).Scan(&id); err != nil {
		t.Fatalf("relay.enqueue as relay_host: %v", err)
	}
	p := startDbrelay(t, "listen", "--database-url", as("relay_listener"), "--log-format", "text")
	waitFor(t, db, "sent by the listener role", 20*time.Second, `SELECT count(*) = 3 FROM relay.message WHERE status = 'sent'`)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t, 20*time.Second); code != 0 {
		t.Fatalf("listener as relay_listener exited %d", code)
	}
	reader := session("relay_reader")
	var n int
	if err := reader.QueryRow(`SELECT count(*) FROM relay_api.outbox WHERE status = 'sent'`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("relay_reader reading relay_api.outbox: %d, %v", n, err)
	}
	if err := host.QueryRow(`SELECT count(*) FROM relay_api.failures`).Scan(&n); err != nil {
		t.Fatalf("relay_host reading relay_api.failures: %v", err)
	}

	// Each denial, with PostgreSQL's insufficient_privilege (or the
	// trigger's own 42501 for a forged outcome).
	for _, c := range []struct {
		role, stmt, why string
	}{
		{"relay_host", `SELECT * FROM relay.channel`, "targets, header values and secret names"},
		{"relay_host", `SELECT * FROM relay.recipient`, "receivers' addresses"},
		{"relay_host", `SELECT * FROM relay.settings`, "settings"},
		{"relay_host", `SELECT * FROM relay.message`, "the outbox behind relay_api"},
		{"relay_host", `INSERT INTO relay.message (receiver, channel, title) VALUES ('x', 'hook', 't')`, "inserting around relay.enqueue"},
		{"relay_host", `INSERT INTO relay.message (receiver, channel, title, status, sent_at, response_code) VALUES ('x', 'hook', 't', 'sent', now(), 200)`, "a forged outcome"},
		{"relay_host", `UPDATE relay.message SET status = 'cancelled'`, "changing messages"},
		{"relay_host", `UPDATE relay.channel SET target = 'http://evil.example/'`, "changing channels"},
		{"relay_host", `CALL relay.on_outcome(1, 'sent', 'hook', 'a', 'MESSAGE', NULL)`, "the outcome hook"},
		{"relay_reader", `SELECT * FROM relay.channel`, "channels"},
		{"relay_reader", `CALL relay.push('s', 'a', 't', 'x')`, "pushing"},
		{"relay_reader", `SELECT relay.enqueue('s', 'a', 'hook', 't')`, "enqueueing"},
		{"relay_listener", `CALL relay.push('s', 'a', 't', 'x')`, "pushing"},
		{"relay_listener", `SELECT * FROM relay.recipient`, "receivers' addresses"},
		{"relay_writer", `INSERT INTO relay.message (receiver, channel, title, status, sent_at, response_code) VALUES ('x', 'hook', 't', 'sent', now(), 200)`, "a forged outcome"},
		{"relay_writer", `INSERT INTO relay.message (receiver, channel, title, attempts) VALUES ('x', 'hook', 't', 3)`, "a forged attempt count"},
	} {
		_, err := session(c.role).Exec(c.stmt)
		var pqErr *pq.Error
		if !errors.As(err, &pqErr) || pqErr.Code != "42501" {
			t.Errorf("%s can do %s (%s): %v", c.role, c.why, c.stmt, err)
		}
	}
	// The writer may insert what is born pending.
	if _, err := session("relay_writer").Exec(`INSERT INTO relay.message (receiver, channel, title) VALUES ('w', 'hook', 't')`); err != nil {
		t.Fatalf("relay_writer inserting a pending message: %v", err)
	}
}
