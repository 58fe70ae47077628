package dialecttest

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/dbrelay/dbrelay/dialect"
)

func testPushFanOut(t *testing.T, h Harness) {
	d := fresh(t, h)
	d.channel("mail", "webhook", "http://127.0.0.1:1/mail")
	d.channel("sms", "webhook", "http://127.0.0.1:1/sms")
	d.channel("inbox", "internal", "")
	d.prefer("alice", "mail", "alice@example.com")
	d.prefer("alice", "sms", "+8613800000000")
	d.prefer("dave", "sms", "")
	d.setDefault("inbox")

	// Separators , ; and the full-width ， ；, blanks, empty entries and
	// duplicates: alice twice, dave once, bob and carol on the default.
	ids := d.push("王经理", " alice; bob ,alice,,；carol， dave ;alice ", "请审批", "报销单 #42")
	got := d.messages()
	if len(ids) != len(got) {
		t.Fatalf("push returned ids %v but %d messages exist", ids, len(got))
	}
	type row struct{ Receiver, Channel, Address string }
	var rows []row
	for i, m := range got {
		if m.ID != ids[i] {
			t.Errorf("message %d has id %d, push returned %d", i, m.ID, ids[i])
		}
		if m.Sender != "王经理" || m.Title != "请审批" || m.Body != "报销单 #42" || m.Status != "pending" {
			t.Errorf("message %d = %+v", i, m)
		}
		rows = append(rows, row{m.Receiver, m.Channel, m.Address})
	}
	want := []row{
		{"alice", "mail", "alice@example.com"},
		{"alice", "sms", "+8613800000000"},
		{"bob", "inbox", "bob"},
		{"carol", "inbox", "carol"},
		{"dave", "sms", "dave"},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Fatalf("fan-out:\n got %v\nwant %v", rows, want)
	}
}

func testPushUnicode(t *testing.T, h Harness) {
	d := fresh(t, h)
	d.channel("inbox", "internal", "")
	d.setDefault("inbox")
	sender := "系统管理员"
	title := "【审批提醒】请处理：差旅报销 ✈️ — 第３号"
	body := "张三，您好！\n您有一条待办：「采购申请」已提交，金额 ¥1,234.50。\t😀 \u00e9\u0301 \U0001F9E7 끝"
	d.push(sender, "张三", title, body)
	got := d.messages()
	if len(got) != 1 {
		t.Fatalf("%d messages", len(got))
	}
	m := got[0]
	if m.Sender != sender || m.Receiver != "张三" || m.Address != "张三" || m.Title != title || m.Body != body {
		t.Fatalf("text changed on the way:\n%q\n%q\n%q", m.Sender, m.Title, m.Body)
	}
}

// A context just under the default size limit (1 MiB) arrives whole.
func testPushLargeContext(t *testing.T, h Harness) {
	d := fresh(t, h)
	d.channel("inbox", "internal", "")
	d.setDefault("inbox")
	if n := d.count(`SELECT max_message_bytes FROM relay.settings WHERE id = 1`); n != 1<<20 {
		t.Fatalf("relay.settings.max_message_bytes = %d, want the default 1 MiB", n)
	}
	body := fill(h, "审批意见：同意。Approved; ", 1<<20-h.StoredBytes("big"))
	d.push("s", "bob", "big", body)
	got := d.messages()
	if len(got) != 1 || got[0].Body != body {
		t.Fatalf("a context of the largest size allowed did not survive (%d messages, want its %d bytes)", len(got), len(body))
	}
}

// fill repeats unit into the longest string whose StoredBytes is at most n.
func fill(h Harness, unit string, n int) string {
	var b strings.Builder
	size := 0
	for _, r := range strings.Repeat(unit, n/max(h.StoredBytes(unit), 1)+1) {
		size += h.StoredBytes(string(r))
		if size > n {
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}

func testPushBadInput(t *testing.T, h Harness) {
	d := fresh(t, h)
	d.channel("mail", "webhook", "http://127.0.0.1:1/")
	d.prefer("alice", "mail", "")

	cases := []struct {
		name                   string
		receivers, title, body any
		defaultChannel         any
		kind                   string
		mentions               []string
	}{
		{"null title", "alice", nil, "x", nil, "null title", []string{"title", "NULL"}},
		{"empty receivers", "", "t", "x", nil, "no receivers", []string{"receivers"}},
		{"blank receivers", " , ;；", "t", "x", nil, "no receivers", []string{"receivers"}},
		{"unicode blank receivers", "\u3000，\u00a0;\u200b\t\ufeff", "t", "x", nil, "no receivers", []string{"receivers"}},
		{"null receivers", nil, "t", "x", nil, "no receivers", []string{"receivers"}},
		{"no channel, no default", "alice,nobody", "t", "x", nil, "no channel", []string{"receivers", "nobody", "relay.recipient", "default"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d.t = t
			d.setDefault(c.defaultChannel)
			err := d.pushRaw("s", c.receivers, c.title, c.body)
			checkArgumentError(t, h, err, c.kind, c.mentions)
			if n := d.count(`SELECT count(*) FROM relay.message`); n != 0 {
				t.Fatalf("%d messages inserted by a failed push", n)
			}
		})
	}

	// relay.enqueue (and so any insert) with an unknown channel, or a
	// receiver that is only white space.
	for _, c := range []struct{ name, receiver, channel, kind, mention string }{
		{"unknown channel", "alice", "nope", "unknown channel", "nope"},
		{"tab receiver", "\t", "mail", "blank receiver", "receiver"},
		{"unicode blank receiver", "\u3000\u00a0\u200b", "mail", "blank receiver", "receiver"},
	} {
		t.Run("enqueue "+c.name, func(t *testing.T) {
			d.t = t
			var id int64
			err := d.DB.QueryRow(h.EnqueueCall(), "s", c.receiver, c.channel, "t").Scan(&id)
			checkArgumentError(t, h, d.Dialect.Explain(err), c.kind, []string{c.mention})
			if n := d.count(`SELECT count(*) FROM relay.message`); n != 0 {
				t.Fatalf("%d messages inserted by a failed enqueue", n)
			}
		})
	}
	// A direct INSERT with a blank receiver is refused by the trigger.
	t.Run("insert blank receiver", func(t *testing.T) {
		d.t = t
		_, err := d.DB.Exec(d.rebind(`INSERT INTO relay.message (receiver, channel, title) VALUES (?, 'mail', 't')`), "\u3000\t")
		checkArgumentError(t, h, d.Dialect.Explain(err), "blank receiver", []string{"receiver"})
	})
}

func checkArgumentError(t *testing.T, h Harness, err error, kind string, mentions []string) {
	t.Helper()
	var ae *dialect.ArgumentError
	if !errors.As(err, &ae) {
		t.Fatalf("got %v (%T), want a dialect.ArgumentError", err, err)
	}
	if want := h.Code(kind); ae.Code != want {
		t.Errorf("code %q, want %q (%v)", ae.Code, want, err)
	}
	for _, s := range mentions {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not mention %q", err, s)
		}
	}
	if ae.Hint == "" {
		t.Errorf("error %q has no hint saying what to do", err)
	}
}

// A push inside the caller's transaction commits or rolls back with it.
func testPushRollsBackWithCaller(t *testing.T, h Harness) {
	d := fresh(t, h)
	d.channel("inbox", "internal", "")
	d.setDefault("inbox")
	ctx := context.Background()
	tx, err := d.DB.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(h.PushCall(), "s", "bob,carol", "t", "x"); err != nil {
		t.Fatal(err)
	}
	var inside int
	if err := tx.QueryRow(`SELECT count(*) FROM relay.message`).Scan(&inside); err != nil {
		t.Fatal(err)
	}
	if inside != 2 {
		t.Fatalf("inside the transaction: %d messages, want 2", inside)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if n := d.count(`SELECT count(*) FROM relay.message`); n != 0 {
		t.Fatalf("%d messages survived the caller's rollback", n)
	}
}

// No secret, and no name of one, appears in any relay_api view.
func testViewsExposeNoSecret(t *testing.T, h Harness) {
	d := fresh(t, h)
	d.exec(`INSERT INTO relay.channel (code, kind, target, config, secret_env) VALUES (?, ?, ?, ?, ?)`,
		"crm", "webhook", "https://crm.example/hook/hunter2-in-url",
		`{"headers": {"X-Api-Key-Name": "plain"}, "basic_auth": {"username": "svc", "password_env": "CRM_PASSWORD_ENV"}}`,
		"CRM_SIGNING_SECRET_ENV")
	d.prefer("alice", "crm", "")
	d.push("s", "alice", "t", "x")
	id := d.messages()[0].ID
	d.exec(`INSERT INTO relay.delivery (message_id, attempt, started_at, duration_ms, outcome, response_code, error) VALUES (?, 1, CURRENT_TIMESTAMP, 5, 'transient', 503, 'HTTP 503')`, id)

	forbidden := []string{"hunter2", "CRM_PASSWORD_ENV", "CRM_SIGNING_SECRET_ENV", "password", "crm.example"}
	for _, view := range []string{"outbox", "pending", "failures", "deliveries", "channel_stats"} {
		rows, err := d.DB.Query(`SELECT * FROM relay_api.` + view)
		if err != nil {
			t.Fatalf("%s: %v", view, err)
		}
		cols, data := rowsAsText(t, rows)
		for _, c := range cols {
			lc := strings.ToLower(c)
			for _, bad := range []string{"secret", "config", "target", "password", "locked_by"} {
				if strings.Contains(lc, bad) {
					t.Errorf("relay_api.%s has a column %q", view, c)
				}
			}
		}
		for _, row := range data {
			for i, v := range row {
				for _, bad := range forbidden {
					if strings.Contains(v, bad) {
						t.Errorf("relay_api.%s.%s shows %q", view, cols[i], v)
					}
				}
			}
		}
	}
}

func testRetry(t *testing.T, h Harness) {
	d := fresh(t, h)
	ctx := context.Background()
	d.channel("a", "webhook", "http://127.0.0.1:1/")
	d.channel("b", "webhook", "http://127.0.0.1:1/")
	d.prefer("x", "a", "")
	d.prefer("y", "b", "")
	ids := d.push("s", "x,y", "t", "body")
	ids = append(ids, d.push("s", "x", "t", "body")...)
	// Two dead (one per channel), one sent.
	d.exec(`UPDATE relay.message SET status = 'dead', next_attempt_at = NULL, attempts = 3, last_error = 'HTTP 400' WHERE id IN (?, ?)`, ids[0], ids[1])
	d.exec(`UPDATE relay.message SET status = 'sent', next_attempt_at = NULL, attempts = 1 WHERE id = ?`, ids[2])

	got, err := d.Dialect.Retry(ctx, d.DB, []int64{ids[0], ids[2], 999999})
	if err != nil {
		t.Fatal(err)
	}
	if idList(got) != idList(ids[:1]) {
		t.Fatalf("Retry changed %v, want only the dead one %v", got, ids[:1])
	}
	if n := d.count(`SELECT count(*) FROM relay.message WHERE id = ? AND status = 'pending' AND attempts = 3 AND next_attempt_at IS NOT NULL`, ids[0]); n != 1 {
		t.Fatal("retried message is not pending with its attempts kept")
	}
	got, err = d.Dialect.RetryDead(ctx, d.DB, "a")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Fatalf("RetryDead(a) = %v, want none left", got)
	}
	got, err = d.Dialect.RetryDead(ctx, d.DB, "")
	if err != nil {
		t.Fatal(err)
	}
	if idList(got) != idList(ids[1:2]) {
		t.Fatalf("RetryDead() = %v, want %v", got, ids[1:2])
	}
	counts, err := d.Dialect.Counts(ctx, d.DB)
	if err != nil {
		t.Fatal(err)
	}
	total := map[string]int64{}
	for _, c := range counts {
		total[c.Status] += c.N
	}
	if total["pending"] != 2 || total["sent"] != 1 {
		t.Fatalf("counts = %+v", counts)
	}
	b, err := d.Dialect.Backlog(ctx, d.DB)
	if err != nil {
		t.Fatal(err)
	}
	if b.Due != 2 {
		t.Fatalf("backlog = %+v, want 2 due", b)
	}
}
