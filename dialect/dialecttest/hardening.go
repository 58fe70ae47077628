package dialecttest

import (
	"reflect"
	"strings"
	"testing"
)

// Receivers lose every kind of Unicode white space around them, whatever
// inserts them: a CJK keyboard's ideographic space after "，", no-break and
// zero-width spaces, tabs.
func testReceiversTrimUnicodeBlanks(t *testing.T, h Harness) {
	d := fresh(t, h)
	d.channel("inbox", "internal", "")
	d.channel("crm", "webhook", "http://127.0.0.1:1/crm")
	d.prefer("李四", "crm", "")
	d.setDefault("inbox")

	d.push("s", "张三，\u3000李四；\u00a0王五\u200b,\t赵六\ufeff ; \u2003钱七\u202f", "t", "x")
	type row struct{ Receiver, Channel string }
	var got []row
	for _, m := range d.messages() {
		got = append(got, row{m.Receiver, m.Channel})
	}
	want := []row{{"张三", "inbox"}, {"李四", "crm"}, {"王五", "inbox"}, {"赵六", "inbox"}, {"钱七", "inbox"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("receivers after push:\n got %q\nwant %q", got, want)
	}

	// relay.enqueue trims too, and the address defaults to the trimmed name.
	var id int64
	if err := d.DB.QueryRow(h.EnqueueCall(), "s", "\u3000孙八\u00a0", "inbox", "t").Scan(&id); err != nil {
		t.Fatal(d.Dialect.Explain(err))
	}
	if n := d.count(`SELECT count(*) FROM relay_api.outbox WHERE id = ? AND receiver = ? AND address = ?`, id, "孙八", "孙八"); n != 1 {
		t.Fatal("relay.enqueue did not trim the receiver (and its default address)")
	}
	// So does a direct INSERT.
	d.exec(`INSERT INTO relay.message (receiver, channel, title) VALUES (?, 'inbox', 't')`, "\t周九\u3000")
	if n := d.count(`SELECT count(*) FROM relay.message WHERE receiver = ?`, "周九"); n != 1 {
		t.Fatal("a direct INSERT kept the blanks around its receiver")
	}
}

// A disabled channel never fails the host's transaction: relay.push and
// relay.enqueue accept its messages, which wait pending.
func testDisabledChannelAccepts(t *testing.T, h Harness) {
	d := fresh(t, h)
	d.channel("off", "webhook", "http://127.0.0.1:1/off")
	d.channel("inbox", "internal", "")
	d.exec(`UPDATE relay.channel SET enabled = ? WHERE code IN ('off', 'inbox')`, false)
	d.prefer("olga", "off", "")
	d.setDefault("inbox")

	ids := d.push("s", "olga, nobody", "t", "x") // preferred channel, default channel: both disabled
	var id int64
	if err := d.DB.QueryRow(h.EnqueueCall(), "s", "olga", "off", "t").Scan(&id); err != nil {
		t.Fatalf("relay.enqueue on a disabled channel: %v", d.Dialect.Explain(err))
	}
	ids = append(ids, id)
	if n := d.count(`SELECT count(*) FROM relay_api.pending WHERE status = 'pending' AND id IN (` + idList(ids) + `)`); n != 3 {
		t.Fatalf("%d of 3 messages on disabled channels are pending", n)
	}
}

// relay.settings.max_message_bytes bounds title + body (+ payload) at push,
// enqueue and a direct insert, with a named error; nothing is inserted.
func testMessageSizeLimit(t *testing.T, h Harness) {
	d := fresh(t, h)
	d.channel("inbox", "internal", "")
	d.setDefault("inbox")
	const limit = 4000
	d.exec(`UPDATE relay.settings SET max_message_bytes = ? WHERE id = 1`, limit)

	atLimit := fill(h, "报销 ok; ", limit-h.StoredBytes("t"))
	if h.StoredBytes("t")+h.StoredBytes(atLimit) != limit {
		t.Fatalf("test set-up: a body of %d bytes does not reach the limit", h.StoredBytes(atLimit))
	}
	d.push("s", "alice", "t", atLimit) // exactly at the limit: accepted
	over := atLimit + "x"
	err := d.pushRaw("s", "alice,bob", "t", over)
	checkArgumentError(t, h, err, "too large", []string{"max_message_bytes", "bytes"})
	_, err = d.DB.Exec(d.rebind(`INSERT INTO relay.message (receiver, channel, title, body) VALUES ('dave', 'inbox', 't', ?)`), over)
	checkArgumentError(t, h, d.Dialect.Explain(err), "too large", []string{"max_message_bytes"})
	// relay.enqueue, with a title over a lower limit (its title parameter
	// is short on SQL Server).
	title := "审批提醒：请处理"
	d.exec(`UPDATE relay.settings SET max_message_bytes = ? WHERE id = 1`, h.StoredBytes(title)-1)
	var id int64
	err = d.DB.QueryRow(h.EnqueueCall(), "s", "carol", "inbox", title).Scan(&id)
	checkArgumentError(t, h, d.Dialect.Explain(err), "too large", []string{"max_message_bytes"})
	if n := d.count(`SELECT count(*) FROM relay.message`); n != 1 {
		t.Fatalf("%d messages, want only the one at the limit", n)
	}
}

// A channel row is checked when written: a webhook needs an http(s) target
// without credentials and a config of the right shape; an internal channel
// has neither.
func testChannelRowsChecked(t *testing.T, h Harness) {
	d := fresh(t, h)
	ok := []struct{ code, kind, target, config string }{
		{"crm", "webhook", "https://crm.example/hooks/oa?tenant=1", `{"headers": {"X-Source": "oa", "Authorization": {"value_from_env": "DBRELAY_SECRET_CRM_TOKEN"}}}`},
		{"erp", "webhook", "http://10.0.0.5:8080/in", `{"basic_auth": {"username": "oa", "password_env": "DBRELAY_SECRET_ERP_PW"}}`},
		{"inbox", "internal", "", `{}`},
	}
	for _, c := range ok {
		d.exec(`INSERT INTO relay.channel (code, kind, target, config) VALUES (?, ?, ?, ?)`, c.code, c.kind, c.target, c.config)
	}
	for _, c := range []struct {
		name, kind, target, config string
		mentions                   []string
	}{
		{"ftp target", "webhook", "ftp://files.example/x", `{}`, []string{"target", "http"}},
		{"relative target", "webhook", "/hooks/oa", `{}`, []string{"target"}},
		{"empty target", "webhook", "", `{}`, []string{"target"}},
		{"target with a space", "webhook", "https://crm.example/a b", `{}`, []string{"target"}},
		{"credentials in target", "webhook", "https://oa:hunter2@crm.example/hook", `{}`, []string{"credentials", "basic_auth"}},
		{"headers not an object", "webhook", "https://crm.example/", `{"headers": ["X-A"]}`, []string{"config.headers"}},
		{"basic_auth without password_env", "webhook", "https://crm.example/", `{"basic_auth": {"username": "oa"}}`, []string{"password_env"}},
		{"password_env not a name", "webhook", "https://crm.example/", `{"basic_auth": {"username": "oa", "password_env": "my password"}}`, []string{"password_env"}},
		{"basic_auth a string", "webhook", "https://crm.example/", `{"basic_auth": "oa:pw"}`, []string{"basic_auth"}},
		{"internal with a target", "internal", "https://crm.example/", `{}`, []string{"internal", "target"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d.t = t
			_, err := d.DB.Exec(d.rebind(`INSERT INTO relay.channel (code, kind, target, config) VALUES ('bad', ?, ?, ?)`), c.kind, c.target, c.config)
			checkArgumentError(t, h, d.Dialect.Explain(err), "bad channel", append(c.mentions, "bad"))
			if n := d.count(`SELECT count(*) FROM relay.channel WHERE code = 'bad'`); n != 0 {
				t.Fatal("the bad row was stored")
			}
		})
	}
	t.Run("unknown kind", func(t *testing.T) {
		d.t = t
		_, err := d.DB.Exec(`INSERT INTO relay.channel (code, kind) VALUES ('bad', 'pigeon')`)
		if err == nil || !strings.Contains(d.Dialect.Explain(err).Error(), "kind") {
			t.Fatalf("kind 'pigeon' accepted, or an error not naming the kind: %v", err)
		}
	})
	t.Run("update to a bad target", func(t *testing.T) {
		d.t = t
		_, err := d.DB.Exec(`UPDATE relay.channel SET target = 'mailto:ops@example.com' WHERE code = 'crm'`)
		checkArgumentError(t, h, d.Dialect.Explain(err), "bad channel", []string{"target", "crm"})
	})
	// Disabling and enabling do not re-check the rest of the row.
	d.exec(`UPDATE relay.channel SET enabled = ? WHERE code = 'crm'`, false)
	d.exec(`UPDATE relay.channel SET enabled = ? WHERE code = 'crm'`, true)
}
