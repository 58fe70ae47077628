package main

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/dialect/dialecttest"
	"github.com/dbrelay/dbrelay/pgserver/pgtest"
	"github.com/lib/pq"
)

// channel add checks the row as a listener would before writing it (bad
// JSON, unknown keys, a broken template, a bad rate all refused with exit
// 2 and nothing added); list and show name secrets and never read them;
// disable and enable flip the row.
func TestChannelCommands(t *testing.T) {
	url := pgtest.Migrated(t)
	db := openDB(t, url)
	t.Setenv("DBRELAY_SECRET_DING", "SEC-not-to-be-printed")
	out := mustRun(t, "channel", "list", "--database-url", url)
	if !strings.Contains(out, "no channels") {
		t.Fatalf("list of none: %q", out)
	}
	mustRun(t, "channel", "add", "--database-url", url, "--preset", "dingtalk", "--format", "markdown",
		"--target", "https://oapi.dingtalk.com/robot/send?access_token=abc", "--secret-env", "DBRELAY_SECRET_DING", "--rate", "20/s", "ding")
	mustRun(t, "channel", "add", "--database-url", url, "--target", "https://crm.example/hooks/oa",
		"--config", `{"headers": {"X-Tenant": "{{.Ref}}"}}`, "--max-attempts", "3", "--timeout", "5s", "crm")
	mustRun(t, "channel", "add", "--database-url", url, "--kind", "internal", "--disabled", "memo")

	var config string
	var rate int
	if err := db.QueryRow(`SELECT config::text, rate_per_minute FROM relay.channel WHERE code = 'ding'`).Scan(&config, &rate); err != nil {
		t.Fatal(err)
	}
	if rate != 1200 || !strings.Contains(config, `"preset": "dingtalk"`) || !strings.Contains(config, `"format": "markdown"`) {
		t.Errorf("ding stored as config %s, rate_per_minute %d", config, rate)
	}

	out = mustRun(t, "channel", "list", "--database-url", url)
	for _, s := range []string{"ding", "20/s", "env DBRELAY_SECRET_DING", "crm", "memo", "pending=0"} {
		if !strings.Contains(out, s) {
			t.Errorf("list lacks %q:\n%s", s, out)
		}
	}
	var listed []map[string]any
	if err := json.Unmarshal([]byte(mustRun(t, "channel", "list", "--json", "--database-url", url)), &listed); err != nil || len(listed) != 3 {
		t.Fatalf("list --json: %v %v", listed, err)
	}
	show := mustRun(t, "channel", "show", "--database-url", url, "ding")
	for _, s := range []string{"dingtalk", "20/s over all listeners", "env DBRELAY_SECRET_DING (its value is not read here)", "pending"} {
		if !strings.Contains(show, s) {
			t.Errorf("show lacks %q:\n%s", s, show)
		}
	}
	if strings.Contains(out+show, "SEC-not-to-be-printed") {
		t.Error("a secret's value was printed")
	}

	mustRun(t, "channel", "disable", "--database-url", url, "crm")
	mustRun(t, "channel", "enable", "--database-url", url, "memo")
	var crm, memo bool
	if err := db.QueryRow(`SELECT (SELECT enabled FROM relay.channel WHERE code = 'crm'), (SELECT enabled FROM relay.channel WHERE code = 'memo')`).Scan(&crm, &memo); err != nil {
		t.Fatal(err)
	}
	if crm || !memo {
		t.Errorf("after disable crm, enable memo: crm %v, memo %v", crm, memo)
	}

	for _, c := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"add", "--target", "https://x.example/", "crm"}, 1, "already exists"},
		{[]string{"add", "--target", "https://x.example/", "--config", `{"header": {}}`, "x"}, 2, `unknown key "header"`},
		{[]string{"add", "--target", "https://x.example/", "--config", `{"headers": {"X-A": "{{.Nope}}"}}`, "x"}, 2, "Nope"},
		{[]string{"add", "--target", "https://x.example/", "--config", `[1]`, "x"}, 2, "JSON object"},
		{[]string{"add", "--target", "ftp://x.example/", "x"}, 2, "http"},
		{[]string{"add", "--preset", "msn", "--target", "https://x.example/", "x"}, 2, "msn"},
		{[]string{"add", "--target", "https://x.example/", "--rate", "0/s", "x"}, 2, "positive"},
		{[]string{"add", "--target", "https://x.example/", "--rate", "5/h", "x"}, 2, "s or min"},
		{[]string{"add", "--kind", "internal", "--target", "https://x.example/", "x"}, 1, "no target"},
		{[]string{"add", "x", "--target", "https://x.example/"}, 2, "put the flags before"},
		{[]string{"show", "nope"}, 1, "no channel nope"},
		{[]string{"disable", "nope"}, 1, "no channel nope"},
		{[]string{"enable"}, 2, "CODE"},
		{[]string{"test", "crm"}, 1, "disabled"},
	} {
		code, _, errOut := runCLI(t, append([]string{"channel", c.args[0], "--database-url", url}, c.args[1:]...)...)
		if code != c.code || !strings.Contains(errOut, c.says) {
			t.Errorf("channel %s: exit %d %q, want exit %d saying %q", strings.Join(c.args, " "), code, errOut, c.code, c.says)
		}
	}
	if n := scalar(t, db, `SELECT count(*) FROM relay.channel WHERE code = 'x'`); n != 0 {
		t.Errorf("a refused add left channel x behind")
	}
}

// channel test sends one ECHO through a running listener and prints the
// endpoint's answer and the round trip; a failure exits 1, cancels the
// message, and says why; with no listener it gives up and cancels.
func TestChannelTestCommand(t *testing.T) {
	rcv := dialecttest.NewReceiver(t)
	rcv.Script("/echo", func(int) dialecttest.Reply { return dialecttest.Reply{Status: 200, Body: `{"pong": true}`} })
	rcv.Script("/broken", func(int) dialecttest.Reply { return dialecttest.Reply{Status: 503} })
	url, db := setUp(t, rcv, 0)
	mustRun(t, "channel", "add", "--database-url", url, "--target", rcv.URL+"/echo", "echo")
	mustRun(t, "channel", "add", "--database-url", url, "--target", rcv.URL+"/broken", "broken")

	// No listener yet: it waits --wait, then cancels its message.
	code, _, errOut := runCLI(t, "channel", "test", "--database-url", url, "--wait", "300ms", "echo")
	if code != 1 || !strings.Contains(errOut, "no listener tried message") {
		t.Fatalf("test without a listener: exit %d %q", code, errOut)
	}
	if n := scalar(t, db, `SELECT count(*) FROM relay.message WHERE event = 'ECHO' AND status = 'cancelled'`); n != 1 {
		t.Fatalf("%d cancelled ECHO messages, want 1", n)
	}

	startDbrelay(t, "listen", "--database-url", url)
	out := mustRun(t, "channel", "test", "--database-url", url, "echo")
	for _, s := range []string{"ECHO on echo", "sent, status 200", "round trip", `answer: {"pong": true}`} {
		if !strings.Contains(out, s) {
			t.Errorf("test output lacks %q:\n%s", s, out)
		}
	}
	calls := rcv.Calls("/echo")
	if len(calls) != 1 || calls[0].Envelope["event"] != "ECHO" {
		t.Fatalf("the endpoint got %d calls, the first with event %v", len(calls), calls[0].Envelope["event"])
	}

	code, out, errOut = runCLI(t, "channel", "test", "--database-url", url, "broken")
	if code != 1 || !strings.Contains(out, "transient, status 503") || !strings.Contains(errOut, "cancelled") {
		t.Fatalf("test of a failing endpoint: exit %d\n%s%s", code, out, errOut)
	}
	waitFor(t, db, "the failed ECHO cancelled, not retried", 10*time.Second,
		`SELECT status = 'cancelled' FROM relay.message WHERE channel = 'broken'`)
}

// Under docs/postgres-roles.sql's host role, the host reads its receivers'
// inbox, counts the unread through the index, and marks messages read with
// relay.mark_read, without any right on relay.message itself.
func TestInboxUnderHostRole(t *testing.T) {
	rcv := dialecttest.NewReceiver(t)
	url, db := setUp(t, rcv, 0)
	createRoles(t, db)
	if _, err := db.Exec(`INSERT INTO relay.channel (code, kind) VALUES ('memo', 'internal');
		INSERT INTO relay.recipient (receiver, channel) VALUES ('alice', 'memo'), ('bob', 'memo');
		ALTER ROLE relay_host LOGIN`); err != nil {
		t.Fatal(err)
	}
	as := strings.Replace(url, "postgres@", "relay_host@", 1)
	host := openDB(t, as)
	mustRun(t, "push", "--database-url", as, "--receivers", "alice,bob", "--title", "请审批", "--context", "报销单")
	mustRun(t, "push", "--database-url", as, "--receivers", "alice", "--title", "已批准", "--context", "x")
	startDbrelay(t, "listen", "--database-url", url)
	waitFor(t, host, "three inbox messages", 20*time.Second, `SELECT count(*) = 3 FROM relay_api.inbox`)

	var ids pq.Int64Array
	if err := host.QueryRow(`SELECT array_agg(id ORDER BY id) FROM relay_api.inbox WHERE receiver = 'alice' AND read_at IS NULL`).Scan(&ids); err != nil || len(ids) != 2 {
		t.Fatalf("alice's unread: %v, %v", ids, err)
	}
	var marked int
	if err := host.QueryRow(`SELECT relay.mark_read('alice', $1)`, pq.Array([]int64{ids[0]})).Scan(&marked); err != nil || marked != 1 {
		t.Fatalf("relay.mark_read as relay_host: %d, %v", marked, err)
	}
	unread := func(who string) int {
		var n int
		if err := host.QueryRow(`SELECT count(*) FROM relay_api.inbox WHERE receiver = $1 AND read_at IS NULL`, who).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if unread("alice") != 1 || unread("bob") != 1 {
		t.Fatalf("unread after marking one: alice %d, bob %d", unread("alice"), unread("bob"))
	}
	// The host still cannot touch relay.message.
	_, err := host.Exec(`UPDATE relay.message SET read_at = now()`)
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) || pqErr.Code != "42501" {
		t.Errorf("relay_host updating relay.message: %v", err)
	}
	// The unread count reads the unread-inbox index, not the table.
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`SET LOCAL enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	var plan strings.Builder
	rows, err := tx.Query(`EXPLAIN SELECT count(*) FROM relay_api.inbox WHERE receiver = 'bob' AND read_at IS NULL`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan.WriteString(line + "\n")
	}
	rows.Close()
	if !strings.Contains(plan.String(), "message_inbox_unread") {
		t.Errorf("the unread count does not use message_inbox_unread:\n%s", plan.String())
	}
}
