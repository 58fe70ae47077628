package mailin_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/mailin"
	"github.com/emersion/go-imap/v2"
)

// Chinese mail through dovecot and into PostgreSQL: subjects, names and
// bodies in GB2312/GBK/GB18030 and UTF-8, attachments with Chinese names;
// each mail flagged only once stored, never marked \Seen, and the hook
// called once per mail in the storing transaction.
func TestMailInChinese(t *testing.T) {
	r := newRig(t)
	pdf := append([]byte("%PDF-1.4 "), bytes.Repeat([]byte{0, 0xff, 0x80}, 1000)...)
	r.imap.Deliver(t, chineseMail("approval-42@oa.example.com", pdf))
	r.imap.Deliver(t, simpleMail("plain-cn@example.com", "会议通知：周五下午三点", "请准时参加。\n谢谢！"))
	r.start()
	r.waitStored(2)

	m := r.mail("approval-42@oa.example.com")
	if m.Subject != subjectCN || m.FromName != "王经理" || m.From != "wang@example.com" || m.Text != bodyCN || m.HTML != htmlCN {
		t.Errorf("stored %+v", m)
	}
	if m.ParseError.Valid || m.Raw != nil || m.Attachments != 3 {
		t.Errorf("parse error %v, raw kept %v, %d attachments", m.ParseError, m.Raw != nil, m.Attachments)
	}
	var name string
	var content []byte
	if err := r.conn.DB.QueryRow(`SELECT filename, content FROM relay.inbound_mail_attachment WHERE mail_id = $1 AND seq = 2`, m.ID).Scan(&name, &content); err != nil {
		t.Fatal(err)
	}
	if name != fileCN || !bytes.Equal(content, pdf) {
		t.Errorf("attachment %q, %d bytes (want %q, %d bytes, unchanged)", name, len(content), fileCN, len(pdf))
	}
	if s := r.mail("plain-cn@example.com"); s.Subject != "会议通知：周五下午三点" || s.Text != "请准时参加。\n谢谢！" {
		t.Errorf("simple mail stored as %q / %q", s.Subject, s.Text)
	}
	if n := r.count(`SELECT count(*) FROM mail_seen WHERE subject IN ($1, '会议通知：周五下午三点')`, subjectCN); n != 2 {
		t.Errorf("relay.on_mail saw %d of the 2 mails", n)
	}
	for _, msg := range r.imap.Messages(t, "INBOX") {
		if msg.HasFlag(imap.FlagSeen) {
			t.Errorf("mail %s was marked \\Seen: mail-in must read with BODY.PEEK", msg.MessageID)
		}
	}
	if got := r.outcomes(); got[mailin.OutcomeStored] != 2 {
		t.Errorf("outcomes %v", got)
	}
}

// An attachment over --attachment-max keeps its row without content; a mail
// over --mail-max is stored from its header, raw, with the reason.
func TestMailInLimits(t *testing.T) {
	r := newRig(t)
	r.cfg.AttachmentMax = 4096
	r.cfg.MailMax = 32 << 10
	r.imap.Deliver(t, withAttachment("small@test", 4000))
	r.imap.Deliver(t, withAttachment("over@test", 5000))
	r.imap.Deliver(t, withAttachment("huge@test", 64<<10))
	r.start()
	r.waitStored(3)

	var size int64
	var content []byte
	var omitted *string
	q := `SELECT a.size, a.content, a.omitted FROM relay.inbound_mail_attachment a JOIN relay.inbound_mail m ON m.id = a.mail_id WHERE m.message_id = $1`
	if err := r.conn.DB.QueryRow(q, "small@test").Scan(&size, &content, &omitted); err != nil || len(content) != 4000 || omitted != nil {
		t.Fatalf("attachment under the limit: %d bytes kept, omitted %v, %v", len(content), omitted, err)
	}
	if err := r.conn.DB.QueryRow(q, "over@test").Scan(&size, &content, &omitted); err != nil || content != nil || size != 5000 || omitted == nil {
		t.Fatalf("attachment over the limit: %d bytes kept, size %d, omitted %v, %v", len(content), size, omitted, err)
	}
	huge := r.mail("huge@test")
	if !strings.Contains(huge.ParseError.String, "--mail-max") || huge.Attachments != 0 || !bytes.HasPrefix(huge.Raw, []byte("Message-ID: <huge@test>")) || len(huge.Raw) > 4096 {
		t.Fatalf("mail over --mail-max: parse error %q, %d attachments, raw %d bytes", huge.ParseError.String, huge.Attachments, len(huge.Raw))
	}
}

// Two mails with one Message-ID: stored once, both flagged, the hook run
// once.
func TestMailInDuplicateMessageID(t *testing.T) {
	r := newRig(t)
	r.imap.Deliver(t, simpleMail("same@example.com", "第一封", "one"))
	r.imap.Deliver(t, simpleMail("same@example.com", "第二封", "two"))
	r.start()
	r.waitStored(1)
	r.waitFor("both mails flagged", func() bool {
		msgs := r.imap.Messages(t, "INBOX")
		return len(msgs) == 2 && msgs[0].HasFlag(mailin.DefaultDoneFlag) && msgs[1].HasFlag(mailin.DefaultDoneFlag)
	})
	if n := r.count(`SELECT count(*) FROM relay.inbound_mail`); n != 1 {
		t.Fatalf("%d rows for one Message-ID", n)
	}
	if m := r.mail("same@example.com"); m.Subject != "第一封" {
		t.Fatalf("kept %q, want the first mail", m.Subject)
	}
	if n := r.count(`SELECT count(*) FROM mail_seen`); n != 1 {
		t.Fatalf("hook ran %d times", n)
	}
	if got := r.outcomes(); got[mailin.OutcomeStored] != 1 || got[mailin.OutcomeDuplicate] != 1 {
		t.Fatalf("outcomes %v", got)
	}
}

// Mail that cannot be parsed is stored raw with the reason, flagged, and
// the mail after it is read as usual; so is a mail the hook refuses.
func TestMailInUnparseableAndRefused(t *testing.T) {
	r := newRig(t)
	r.imap.Deliver(t, garbage)
	r.imap.Deliver(t, simpleMail("refused@example.com", "please refuse me", "x"))
	r.imap.Deliver(t, simpleMail("after@example.com", "之后", "后面的邮件"))
	r.start()
	r.waitStored(3)

	var raw []byte
	var reason string
	if err := r.conn.DB.QueryRow(`SELECT raw_message, parse_error FROM relay.inbound_mail WHERE message_id LIKE 'sha256:%'`).Scan(&raw, &reason); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(raw, garbage) || reason == "" {
		t.Fatalf("unparseable mail stored as %q with reason %q", raw, reason)
	}
	refused := r.mail("refused@example.com")
	if !strings.Contains(refused.HookError.String, "the hook refuses mail") || refused.Subject != "please refuse me" {
		t.Fatalf("refused mail: hook_error %q", refused.HookError.String)
	}
	// The refusing call was rolled back with its transaction: the hook's
	// own row for that mail is gone, and it was not called again.
	if n := r.count(`SELECT count(*) FROM mail_seen WHERE subject = 'please refuse me'`); n != 0 {
		t.Fatalf("the refusing hook's insert survived")
	}
	if m := r.mail("after@example.com"); m.Text != "后面的邮件" || m.ParseError.Valid {
		t.Fatalf("the mail after them: %+v", m)
	}
	got := r.outcomes()
	if got[mailin.OutcomeUnparsed] != 1 || got[mailin.OutcomeHookFailed] != 1 || got[mailin.OutcomeStored] != 1 {
		t.Fatalf("outcomes %v", got)
	}
}

// A reader waiting in IDLE (its poll is an hour away) reads a mail as soon
// as it arrives. No speed is asserted: only that the announcement, not the
// poll, woke it.
func TestMailInIdleWakeUp(t *testing.T) {
	r := newRig(t)
	r.imap.Deliver(t, simpleMail("before@example.com", "before", "x"))
	r.start()
	r.waitStored(1)
	if !strings.Contains(r.logs.String(), "idle=true") {
		t.Fatalf("the reader does not use IDLE against dovecot")
	}
	r.imap.Deliver(t, simpleMail("woken@example.com", "唤醒", "IDLE"))
	r.waitStored(2)
}

// Without IDLE the reader polls; with a done folder it moves stored mail
// there (creating it); over STARTTLS.
func TestMailInPollDoneFolderStartTLS(t *testing.T) {
	r := newRig(t)
	r.cfg.Server, r.cfg.TLS = r.imap.PlainAddr, mailin.TLSStart
	r.cfg.NoIdle, r.cfg.PollInterval = true, time.Second
	r.cfg.DoneFolder = "已处理"
	r.imap.Deliver(t, simpleMail("first@example.com", "one", "x"))
	r.start()
	r.waitFor("the first mail moved", func() bool { return len(r.imap.Messages(t, "已处理")) == 1 })
	r.imap.Deliver(t, simpleMail("second@example.com", "two", "y"))
	r.waitFor("the second mail moved by a poll", func() bool { return len(r.imap.Messages(t, "已处理")) == 2 })
	if n := len(r.imap.Messages(t, "INBOX")); n != 0 {
		t.Fatalf("%d mails left in INBOX", n)
	}
	if n := r.count(`SELECT count(*) FROM relay.inbound_mail WHERE mailbox = 'INBOX'`); n != 2 {
		t.Fatalf("%d rows", n)
	}
}

// A wrong password or mailbox stops the reader at once with an error that
// says what to check; clear text to a remote server is refused.
func TestMailInConfigErrors(t *testing.T) {
	r := newRig(t)
	bad := r.cfg
	bad.Password = "wrong"
	reader, err := mailin.New(context.Background(), r.conn, bad)
	if err != nil {
		t.Fatal(err)
	}
	if err := reader.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "login") || strings.Contains(err.Error(), r.imap.Password) {
		t.Fatalf("wrong password: %v", err)
	}
	bad = r.cfg
	bad.Mailbox = "NoSuchBox"
	reader, _ = mailin.New(context.Background(), r.conn, bad)
	if err := reader.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "NoSuchBox") {
		t.Fatalf("missing mailbox: %v", err)
	}
	bad = r.cfg
	bad.Server, bad.TLS = "imap.example.com:143", mailin.TLSNone
	if _, err := mailin.New(context.Background(), r.conn, bad); !errors.Is(err, mailin.ErrConfig) || !strings.Contains(err.Error(), "clear") {
		t.Fatalf("plain text to a remote server: %v", err)
	}
}
