package dialecttest

import (
	"database/sql"
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

// A message pushed while its channel is disabled waits (the push succeeds),
// postponed by the listener; enabling the channel makes it due at once, and
// it is delivered without waiting out the postponement (a minute).
func testDisabledChannelWaits(t *testing.T, h Harness) {
	d := fresh(t, h)
	rcv := NewReceiver(t)
	d.webhook("later", rcv.URL+"/later", 5, 5000)
	d.prefer("bob", "later", "")
	d.exec(`UPDATE relay.channel SET enabled = ? WHERE code = 'later'`, false)
	id := d.push("s", "bob", "t", "x")[0]
	StartListener(t, d.Conn, TestConfig(t))
	d.waitUntil("postponed with a reason", 10*time.Second,
		`SELECT CASE WHEN status = 'pending' AND attempts = 0 AND last_error LIKE '%disabled%' THEN 1 ELSE 0 END FROM relay_api.outbox WHERE id = ?`, id)
	if rcv.Total() != 0 || len(d.deliveries(id)) != 0 {
		t.Fatal("a message on a disabled channel was delivered")
	}
	// Compared with the message's own times, not the server's clock (SQL
	// Server's CURRENT_TIMESTAMP is local time, the columns UTC).
	created, postponed := d.times(id)
	if !postponed.Valid || postponed.Time.Sub(created) < 30*time.Second {
		t.Fatalf("postponed to %v (created %v): the test would not show the wake-up", postponed, created)
	}

	d.exec(`UPDATE relay.channel SET enabled = ? WHERE code = 'later'`, true)
	// Due now; or claimed already (due at the lease's end), or even sent
	// (no due time).
	if _, due := d.times(id); due.Valid && !due.Time.Before(postponed.Time.Add(-30*time.Second)) {
		t.Fatalf("enabling the channel left its waiting message due at %v (postponed to %v)", due.Time, postponed.Time)
	}
	d.waitUntil("sent once the channel is enabled", 30*time.Second,
		`SELECT CASE WHEN status = 'sent' THEN 1 ELSE 0 END FROM relay_api.outbox WHERE id = ?`, id)
	if got := strings.Join(d.deliveries(id), " "); got != "1:sent:200" {
		t.Fatalf("deliveries = %s", got)
	}
}

// times reads a message's created_at and next_attempt_at.
func (d *db) times(id int64) (created time.Time, next sql.NullTime) {
	d.t.Helper()
	if err := d.DB.QueryRow(d.rebind(`SELECT created_at, next_attempt_at FROM relay_api.outbox WHERE id = ?`), id).Scan(&created, &next); err != nil {
		d.t.Fatal(err)
	}
	return created, next
}

// A channel naming an environment variable the operator did not allow
// cannot deliver: nothing is sent, the message waits, and last_error says
// why without naming the variable (relay_api is read by hosts).
func testSecretNotAllowedWaits(t *testing.T, h Harness) {
	d := fresh(t, h)
	rcv := NewReceiver(t)
	d.exec(`INSERT INTO relay.channel (code, kind, target, config) VALUES ('leak', 'webhook', ?, ?)`,
		rcv.URL+"/leak", `{"basic_auth": {"username": "u", "password_env": "DATABASE_URL"}}`)
	d.exec(`INSERT INTO relay.channel (code, kind, target, config) VALUES ('ok', 'webhook', ?, ?)`,
		rcv.URL+"/ok", `{"headers": {"Authorization": {"value_from_env": "DBRELAY_SECRET_TEST_TOKEN"}}}`)
	d.prefer("bob", "leak", "")
	d.prefer("bob", "ok", "")
	ids := d.push("s", "bob", "t", "x") // channel order: leak, ok
	StartListener(t, d.Conn, TestConfig(t))
	d.waitUntil("the allowed channel sent", 10*time.Second,
		`SELECT CASE WHEN status = 'sent' THEN 1 ELSE 0 END FROM relay_api.outbox WHERE id = ?`, ids[1])
	if got := rcv.Calls("/ok")[0].Header.Get("Authorization"); got != "Bearer tok-"+testSecret[6:] {
		t.Errorf("Authorization from value_from_env = %q", got)
	}
	d.waitUntil("the other waiting with a reason", 10*time.Second,
		`SELECT CASE WHEN status = 'pending' AND attempts = 0 AND last_error LIKE '%not allowed%' THEN 1 ELSE 0 END FROM relay_api.outbox WHERE id = ?`, ids[0])
	if n := len(rcv.Calls("/leak")); n != 0 {
		t.Fatalf("%d calls to the channel naming DATABASE_URL", n)
	}
	if n := d.count(`SELECT count(*) FROM relay_api.outbox WHERE last_error LIKE '%DATABASE_URL%' OR last_error LIKE '%db-password%'`); n != 0 {
		t.Fatal("last_error names the variable (or shows its value)")
	}
}

// An endpoint echoing the request's credentials, or redirecting to a URL
// with a token, does not put them in relay_api: response_body and
// last_error are redacted.
func testEchoedCredentialsRedacted(t *testing.T, h Harness) {
	d := fresh(t, h)
	rcv := NewReceiver(t)
	rcv.Script("/echo", func(int) Reply { return Reply{Status: 200, Echo: true} })
	rcv.Script("/moved", func(int) Reply {
		return Reply{Status: 302, Location: "https://login.example/cb?session=sess-0123456789#tok"}
	})
	d.exec(`INSERT INTO relay.channel (code, kind, target, config) VALUES ('echo', 'webhook', ?, ?)`,
		rcv.URL+"/echo", `{"headers": {"X-Api-Key": {"value_from_env": "DBRELAY_SECRET_TEST_TOKEN"}},
			"basic_auth": {"username": "oa", "password_env": "DBRELAY_TEST_PASSWORD"}}`)
	d.webhook("moved", rcv.URL+"/moved", 5, 5000)
	d.prefer("bob", "echo", "")
	d.prefer("bob", "moved", "")
	ids := d.push("s", "bob", "t", "x")
	StartListener(t, d.Conn, TestConfig(t))
	d.waitUntil("sent and dead", 10*time.Second,
		`SELECT CASE WHEN count(*) = 2 THEN 1 ELSE 0 END FROM relay_api.outbox WHERE status IN ('sent', 'dead') AND id IN (`+idList(ids)+`)`)
	if !strings.Contains(rcv.Calls("/echo")[0].Header.Get("Authorization"), "Basic ") {
		t.Fatal("the endpoint got no Authorization header: the test shows nothing")
	}
	rows, err := d.DB.Query(`SELECT coalesce(response_body, ''), coalesce(last_error, '') FROM relay_api.outbox UNION ALL SELECT coalesce(error, ''), '' FROM relay_api.deliveries`)
	if err != nil {
		t.Fatal(err)
	}
	_, data := rowsAsText(t, rows)
	cred := base64.StdEncoding.EncodeToString([]byte("oa:pa55"))
	redacted := false
	for _, row := range data {
		for _, v := range row {
			for _, secret := range []string{cred, "pa55", "tok-", "sess-0123456789"} {
				if strings.Contains(v, secret) {
					t.Errorf("relay_api shows %q: %q", secret, v)
				}
			}
			redacted = redacted || strings.Contains(v, "[redacted]")
		}
	}
	if !redacted {
		t.Errorf("no response body shows it was redacted: %q", data)
	}
}
