package dialecttest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	gomessage "github.com/emersion/go-message/mail"

	"github.com/dbrelay/dbrelay/channel"
	"github.com/dbrelay/dbrelay/channel/email"
	"github.com/dbrelay/dbrelay/channel/senders"
	"github.com/dbrelay/dbrelay/dialect"
	"github.com/dbrelay/dbrelay/internal/smtptest"
	"github.com/dbrelay/dbrelay/listener"
)

// runEmailSuite runs the email channel kind (issue 15 item 1) through the
// real listener and database against real SMTP servers on 127.0.0.1
// (internal/smtptest).
func runEmailSuite(t *testing.T, h Harness) {
	t.Run("EmailDeliveredAndAudited", func(t *testing.T) { testEmailDeliveredAndAudited(t, h) })
	t.Run("EmailRefusals", func(t *testing.T) { testEmailRefusals(t, h) })
	t.Run("EmailFailover", func(t *testing.T) { testEmailFailover(t, h) })
	t.Run("EmailAttachments", func(t *testing.T) { testEmailAttachments(t, h) })
	t.Run("EmailAttachRefusals", func(t *testing.T) { testEmailAttachRefusals(t, h) })
	t.Run("EmailRowsChecked", func(t *testing.T) { testEmailRowsChecked(t, h) })
	t.Run("MailAuditIdempotent", func(t *testing.T) { testMailAuditIdempotent(t, h) })
	t.Run("StalledSMTPBesideWebhook", func(t *testing.T) { testStalledSMTPBesideWebhook(t, h) })
}

// emailConfig is TestConfig with email senders reading d's attachments and
// trusting srv's certificate.
func emailConfig(t *testing.T, d *db, srv *smtptest.Server) listener.Config {
	cfg := TestConfig(t)
	o := email.Options{Store: dialect.AttachmentSource(d.Conn)}
	if srv != nil {
		o.RootCAs = srv.RootCAs
	}
	cfg.Senders = senders.Default(8, senders.Email(o))
	return cfg
}

// auditRow is a row of relay_api.mail_audit.
type auditRow struct {
	MessageID int64
	Attempt   int
	Server    string
	Accepted  bool
	Reply     string
	MailID    string
	Recipents string
	Size      int64
	SHA256    string
	Raw       []byte
}

func (d *db) mailAudit(id int64) []auditRow {
	d.t.Helper()
	rows, err := d.DB.Query(d.rebind(`SELECT message_id, attempt, server, accepted, reply, mail_message_id, recipients, size, sha256, raw_message
FROM relay_api.mail_audit WHERE message_id = ? ORDER BY attempt`), id)
	if err != nil {
		d.t.Fatal(err)
	}
	defer rows.Close()
	var out []auditRow
	for rows.Next() {
		var a auditRow
		if err := rows.Scan(&a.MessageID, &a.Attempt, &a.Server, &a.Accepted, &a.Reply, &a.MailID, &a.Recipents, &a.Size, &a.SHA256, &a.Raw); err != nil {
			d.t.Fatal(err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		d.t.Fatal(err)
	}
	return out
}

// A pushed message goes out over STARTTLS with AUTH, with its Chinese
// subject and body, a blind copy to the audit mailbox, and an audit row
// holding exactly the bytes the server received.
func testEmailDeliveredAndAudited(t *testing.T, h Harness) {
	d := fresh(t, h)
	srv := smtptest.Start(t, smtptest.Options{TLS: smtptest.StartTLS, Username: "relay", Password: "pa55"})
	d.exec(`INSERT INTO relay.channel (code, kind, target, config, max_attempts, timeout_ms) VALUES ('mail', 'email', ?, ?, 3, 5000)`,
		srv.Addr, `{"from": "OA 通知 <oa@example.com>", "reply_to": "approvals@example.com", "bcc": "audit@example.com",
		  "username": "relay", "password_env": "DBRELAY_TEST_PASSWORD"}`)
	d.prefer("李四", "mail", "lisi@example.com")
	ids := d.push("王经理", "李四", "请审批：报销单 #42", "报销单 #42 & 加急，请今天处理。")
	StartListener(t, d.Conn, emailConfig(t, d, srv))
	d.waitUntil("the mail sent", 10*time.Second,
		`SELECT CASE WHEN status = 'sent' AND attempts = 1 THEN 1 ELSE 0 END FROM relay_api.outbox WHERE id = ?`, ids[0])

	got := srv.Wait(t, 1, 10*time.Second)[0]
	if !got.TLS || got.User != "relay" || !slices.Equal(got.To, []string{"lisi@example.com", "audit@example.com"}) {
		t.Errorf("TLS %v user %q envelope %v", got.TLS, got.User, got.To)
	}
	r, err := gomessage.CreateReader(bytes.NewReader(got.Data))
	if err != nil {
		t.Fatal(err)
	}
	if subj, _ := r.Header.Subject(); subj != "请审批：报销单 #42" {
		t.Errorf("decoded subject %q", subj)
	}
	part, err := r.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(part.Body)
	if !strings.Contains(string(body), "报销单 #42 & 加急，请今天处理。") {
		t.Errorf("decoded body %q", body)
	}

	audit := d.mailAudit(ids[0])
	if len(audit) != 1 {
		t.Fatalf("%d audit rows, want 1", len(audit))
	}
	a := audit[0]
	sum := sha256.Sum256(got.Data)
	if !bytes.Equal(a.Raw, got.Data) || a.SHA256 != hex.EncodeToString(sum[:]) || a.Size != int64(len(got.Data)) {
		t.Errorf("the audit row does not hold the bytes the server received:\naudit  %q\nserver %q", a.Raw, got.Data)
	}
	if a.Server != srv.Addr || !a.Accepted || !strings.HasPrefix(a.Reply, "250 ") || a.Attempt != 1 ||
		!strings.HasSuffix(a.MailID, "@example.com") || !strings.Contains(a.Recipents, "audit@example.com") {
		t.Errorf("audit row %+v", a)
	}
	if n := d.count(`SELECT count(*) FROM relay_api.outbox WHERE id = ? AND response_body LIKE '250 %'`, ids[0]); n != 1 {
		t.Error("the server's reply is not the message's response_body")
	}
}

// 550 makes the message dead at once; 451 is retried and then sent. Each
// answered attempt has its audit row.
func testEmailRefusals(t *testing.T, h Harness) {
	d := fresh(t, h)
	srv := smtptest.Start(t, smtptest.Options{})
	d.exec(`INSERT INTO relay.channel (code, kind, target, config, max_attempts, timeout_ms) VALUES ('mail', 'email', ?, ?, 5, 5000)`,
		srv.Addr, `{"from": "oa@example.com", "tls": "none", "connections": 1}`)
	d.prefer("a", "mail", "a@example.com")
	srv.Script(smtptest.Reply{Code: 550, Message: "5.1.1 mailbox unavailable"})
	dead := d.push("s", "a", "first", "")
	StartListener(t, d.Conn, emailConfig(t, d, srv))
	d.waitUntil("550 dead", 10*time.Second,
		`SELECT CASE WHEN status = 'dead' AND attempts = 1 AND last_error LIKE '%550%' THEN 1 ELSE 0 END FROM relay_api.outbox WHERE id = ?`, dead[0])
	srv.Script(smtptest.Reply{Code: 451, Message: "4.3.0 try again later"})
	retried := d.push("s", "a", "second", "")
	d.waitUntil("451 retried, then sent", 10*time.Second,
		`SELECT CASE WHEN status = 'sent' AND attempts = 2 THEN 1 ELSE 0 END FROM relay_api.outbox WHERE id = ?`, retried[0])
	if a := d.mailAudit(dead[0]); len(a) != 1 || a[0].Accepted || a[0].Reply != "550 5.1.1 mailbox unavailable" {
		t.Errorf("audit of the 550: %+v", a)
	}
	if a := d.mailAudit(retried[0]); len(a) != 2 || a[0].Accepted || !strings.HasPrefix(a[0].Reply, "451 ") || !a[1].Accepted {
		t.Errorf("audit of the 451 then 250: %+v", a)
	}
}

// A channel listing an unreachable server first delivers through the
// next one, and the audit names it.
func testEmailFailover(t *testing.T, h Harness) {
	d := fresh(t, h)
	srv := smtptest.Start(t, smtptest.Options{})
	d.exec(`INSERT INTO relay.channel (code, kind, target, config) VALUES ('mail', 'email', ?, ?)`,
		smtptest.Unreachable(t)+", "+srv.Addr, `{"from": "oa@example.com", "tls": "none"}`)
	d.prefer("a", "mail", "a@example.com")
	ids := d.push("s", "a", "failover", "")
	StartListener(t, d.Conn, emailConfig(t, d, srv))
	d.waitUntil("sent through the second server", 10*time.Second,
		`SELECT CASE WHEN status = 'sent' AND attempts = 1 THEN 1 ELSE 0 END FROM relay_api.outbox WHERE id = ?`, ids[0])
	if a := d.mailAudit(ids[0]); len(a) != 1 || a[0].Server != srv.Addr {
		t.Errorf("audit %+v, want server %s", a, srv.Addr)
	}
}

// enqueueWithAttachments enqueues one email message and attaches files in
// the same transaction.
func (d *db) enqueueWithAttachments(channelCode, address string, files map[string][]byte) (int64, error) {
	tx, err := d.DB.Begin()
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var id int64
	if err := tx.QueryRow(d.h.EnqueueCall(), "oa", address, channelCode, "附件").Scan(&id); err != nil {
		return 0, d.Dialect.Explain(err)
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		var seq int
		if err := tx.QueryRow(d.h.SQL("attach"), id, name, files[name], "application/octet-stream").Scan(&seq); err != nil {
			return 0, d.Dialect.Explain(err)
		}
	}
	return id, tx.Commit()
}

// Files attached with relay.attach arrive with the mail, byte for byte.
func testEmailAttachments(t *testing.T, h Harness) {
	d := fresh(t, h)
	srv := smtptest.Start(t, smtptest.Options{})
	d.exec(`INSERT INTO relay.channel (code, kind, target, config) VALUES ('mail', 'email', ?, ?)`,
		srv.Addr, `{"from": "oa@example.com", "tls": "none"}`)
	pdf := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte{0, 1, 2, 0xff}, 1000)...)
	id, err := d.enqueueWithAttachments("mail", "lisi@example.com", map[string][]byte{"报销单.pdf": pdf, "b.txt": []byte("备注")})
	if err != nil {
		t.Fatal(err)
	}
	StartListener(t, d.Conn, emailConfig(t, d, srv))
	d.waitUntil("sent", 10*time.Second, `SELECT CASE WHEN status = 'sent' THEN 1 ELSE 0 END FROM relay_api.outbox WHERE id = ?`, id)
	r, err := gomessage.CreateReader(bytes.NewReader(srv.Wait(t, 1, 10*time.Second)[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]byte{}
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if ah, ok := p.Header.(*gomessage.AttachmentHeader); ok {
			name, _ := ah.Filename()
			got[name], _ = io.ReadAll(p.Body)
		}
	}
	if !bytes.Equal(got["报销单.pdf"], pdf) || string(got["b.txt"]) != "备注" || len(got) != 2 {
		t.Errorf("attachments received: %d, pdf intact %v", len(got), bytes.Equal(got["报销单.pdf"], pdf))
	}
}

// relay.attach refuses, with named errors, a file over the size limit, a
// prohibited extension, a message that is not an email's, and a path.
func testEmailAttachRefusals(t *testing.T, h Harness) {
	d := fresh(t, h)
	d.exec(`INSERT INTO relay.channel (code, kind, target, config) VALUES ('mail', 'email', 'mx.example', ?)`, `{"from": "oa@example.com"}`)
	d.webhook("hook", "https://crm.example/hook", 3, 1000)
	d.exec(`UPDATE relay.settings SET mail_max_attachment_bytes = 100 WHERE id = 1`)
	for _, c := range []struct {
		name, channel, file string
		size                int
		kind                string
		mentions            []string
	}{
		{"too large", "mail", "big.pdf", 101, "attachment too large", []string{"attachment_too_large", "big.pdf", "101", "mail_max_attachment_bytes"}},
		{"exe", "mail", "setup.exe", 10, "attachment prohibited", []string{"attachment_extension_prohibited", "setup.exe"}},
		{"JS upper case", "mail", "x.JS", 10, "attachment prohibited", []string{"attachment_extension_prohibited", ".js"}},
		{"not email", "hook", "a.pdf", 10, "attachment not allowed", []string{"attachment_not_allowed", "webhook"}},
		{"a path", "mail", "../etc/passwd", 10, "attachment invalid", []string{"attachment_invalid"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d.t = t
			_, err := d.enqueueWithAttachments(c.channel, "a@example.com", map[string][]byte{c.file: make([]byte, c.size)})
			checkArgumentError(t, h, err, c.kind, c.mentions)
		})
	}
	d.t = t
	if n := d.count(`SELECT count(*) FROM relay.message`); n != 0 {
		t.Errorf("%d messages stored: a refused attachment must roll back its message with the caller's transaction", n)
	}
	id, err := d.enqueueWithAttachments("mail", "a@example.com", map[string][]byte{"ok.pdf": make([]byte, 100), "notes.exe.txt": []byte("x")})
	if err != nil || d.count(`SELECT count(*) FROM relay.attachment WHERE message_id = ?`, id) != 2 {
		t.Errorf("files at the limit and with an allowed extension: %v", err)
	}
}

// The database refuses what it can see of a bad email row.
func testEmailRowsChecked(t *testing.T, h Harness) {
	d := fresh(t, h)
	for _, c := range []struct {
		name, target, config, secretEnv string
		mentions                        []string
	}{
		{"no from", "mx.example:587", `{}`, "", []string{"config.from"}},
		{"URL target", "smtp://mx.example", `{"from": "a@b.c"}`, "", []string{"target", "host:port"}},
		{"credentials in target", "u:p@mx.example", `{"from": "a@b.c"}`, "", []string{"target"}},
		{"empty target", " , ", `{"from": "a@b.c"}`, "", []string{"target"}},
		{"secret_env", "mx.example", `{"from": "a@b.c"}`, "DBRELAY_SECRET_X", []string{"secret_env"}},
		{"bad tls", "mx.example", `{"from": "a@b.c", "tls": "ssl"}`, "", []string{"config.tls"}},
		{"user without password", "mx.example", `{"from": "a@b.c", "username": "u"}`, "", []string{"username", "password_env"}},
		{"password in clear", "mx.example", `{"from": "a@b.c", "tls": "none", "username": "u", "password_env": "P"}`, "", []string{"clear text"}},
		{"connections", "mx.example", `{"from": "a@b.c", "connections": 99}`, "", []string{"config.connections"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d.t = t
			var secretEnv any
			if c.secretEnv != "" {
				secretEnv = c.secretEnv
			}
			_, err := d.DB.Exec(d.rebind(`INSERT INTO relay.channel (code, kind, target, config, secret_env) VALUES ('bad', 'email', ?, ?, ?)`),
				c.target, c.config, secretEnv)
			checkArgumentError(t, h, d.Dialect.Explain(err), "bad channel", append(c.mentions, "bad"))
		})
	}
	d.t = t
	d.exec(`INSERT INTO relay.channel (code, kind, target, config) VALUES ('good', 'email', ?, ?)`,
		"smtp1.example.com:587, smtp2.example.com", `{"from": "OA <oa@example.com>", "bcc": ["audit@example.com"], "tls": "tls",
		  "auth": "login", "username": "u", "password_env": "DBRELAY_SECRET_SMTP", "connections": 4, "html": "<p>{{.Body}}</p>"}`)
}

// Writing the same audit records again (a retried write) stores them once.
func testMailAuditIdempotent(t *testing.T, h Harness) {
	d := fresh(t, h)
	mo, ok := d.Dialect.(dialect.MailOut)
	if !ok {
		t.Fatal("the dialect does not implement dialect.MailOut")
	}
	recs := []dialect.MailAuditRecord{
		{MessageID: 7, Attempt: 1, Token: "l1-1", Channel: "mail", MailAudit: channel.MailAudit{MessageID: "k@example.com",
			Server: "mx:25", Accepted: true, Reply: "250 ok", From: "oa@example.com", Recipients: []string{"a@example.com"},
			Headers: "Subject: x\r\n", Size: 3, SHA256: "abc", Raw: []byte("raw")}},
		{MessageID: 7, Attempt: 2, Token: "l1-2", Channel: "mail", MailAudit: channel.MailAudit{MessageID: "k@example.com",
			Server: "mx:25", Reply: "451 later", Headers: "Subject: x\r\n", Size: 2 << 20, SHA256: "def"}},
	}
	for range 2 {
		if err := mo.RecordMailAudits(context.Background(), d.DB, recs); err != nil {
			t.Fatal(err)
		}
	}
	a := d.mailAudit(7)
	if len(a) != 2 || string(a[0].Raw) != "raw" || a[1].Raw != nil || a[1].Accepted {
		t.Errorf("audit rows after writing twice: %+v", a)
	}
}

// An SMTP server that accepts connections and never answers must not slow
// a webhook channel beside it (the per-channel isolation of issue
// "reliability"): every webhook message is delivered while the email
// attempts are still hanging (their timeout is longer than this test
// waits). With one shared worker pool (before listener/dispatch.go) the
// stalled attempts took every worker: not all 20 sent after 20 s.
func testStalledSMTPBesideWebhook(t *testing.T, h Harness) {
	d := fresh(t, h)
	rcv := NewReceiver(t)
	d.exec(`INSERT INTO relay.channel (code, kind, target, config, timeout_ms) VALUES ('mail', 'email', ?, ?, 60000)`,
		smtptest.Stalled(t), `{"from": "oa@example.com", "tls": "none", "connections": 16}`)
	d.webhook("hook", rcv.URL+"/hook", 3, 5000)
	var mails, hooks []string
	for i := range 20 {
		mails = append(mails, "m"+string(rune('a'+i)))
		hooks = append(hooks, "h"+string(rune('a'+i)))
		d.prefer(mails[i], "mail", "x@example.com")
		d.prefer(hooks[i], "hook", "")
	}
	d.push("s", strings.Join(mails, ","), "stalled", "")
	d.push("s", strings.Join(hooks, ","), "hook", "")
	StartListener(t, d.Conn, emailConfig(t, d, nil))
	d.waitUntil("every webhook message sent beside the stalled mail server", 20*time.Second,
		`SELECT CASE WHEN count(*) = 20 THEN 1 ELSE 0 END FROM relay_api.outbox WHERE channel = 'hook' AND status = 'sent'`)
	if n := d.count(`SELECT count(*) FROM relay_api.outbox WHERE channel = 'mail' AND status = 'sent'`); n != 0 {
		t.Errorf("%d mails sent through a server that never answers", n)
	}
}
