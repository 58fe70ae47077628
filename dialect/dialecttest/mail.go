package dialecttest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/dialect"
)

// MailHarness is what the mail-in tests need besides Harness: each dialect's
// test package implements it on its harness.
type MailHarness interface {
	// OnMailHook returns the statements (each executed on its own) that
	// replace relay.on_mail with a test body, and create what it needs:
	//   "record": inserts (mail_id, subject, number of attachments) of the
	//             stored mail, read from relay.inbound_mail and
	//             relay.inbound_mail_attachment, into a table relay_test_mail_seen
	//             (columns mail_id, subject, attachments) that it creates;
	//   "raise":  inserts into relay_test_mail_seen likewise, then raises an
	//             error whose message contains "mail refused by the hook".
	OnMailHook(kind string) []string
}

func runMailSuite(t *testing.T, h Harness) {
	mh, ok := h.(MailHarness)
	if !ok {
		t.Fatalf("the harness %T does not implement dialecttest.MailHarness", h)
	}
	t.Run("StoreMail", func(t *testing.T) { testStoreMail(t, h, mh) })
	t.Run("StoreMailDuplicate", func(t *testing.T) { testStoreMailDuplicate(t, h, mh) })
	t.Run("StoreMailConcurrentDuplicates", func(t *testing.T) { testStoreMailConcurrent(t, h, mh) })
	t.Run("StoreMailHookRaises", func(t *testing.T) { testStoreMailHookRaises(t, h, mh) })
	t.Run("StoreMailRaw", func(t *testing.T) { testStoreMailRaw(t, h, mh) })
}

// mailDB is a fresh database with relay.on_mail replaced by the test hook
// kind ("" keeps the default), and its dialect's MailStore.
func mailDB(t *testing.T, h Harness, mh MailHarness, kind string) (*db, dialect.MailStore) {
	t.Helper()
	d := fresh(t, h)
	if kind != "" {
		d.hook(mh, kind)
	}
	s, ok := d.Dialect.(dialect.MailStore)
	if !ok {
		t.Fatalf("dialect %s does not implement dialect.MailStore", d.Dialect.Name())
	}
	return d, s
}

// storeNew stores m, which must be new, and returns its id.
func storeNew(t *testing.T, d *db, s dialect.MailStore, m *dialect.InboundMail) int64 {
	t.Helper()
	res, err := s.StoreMail(context.Background(), d.DB, m)
	if err != nil {
		t.Fatalf("StoreMail(%s): %v", m.MessageID, err)
	}
	if res.Duplicate || res.ID == 0 {
		t.Fatalf("StoreMail(%s) = %+v, want a new row", m.MessageID, res)
	}
	return res.ID
}

func (d *db) hook(mh MailHarness, kind string) {
	d.t.Helper()
	for _, stmt := range mh.OnMailHook(kind) {
		if _, err := d.DB.Exec(stmt); err != nil {
			d.t.Fatalf("%s: %v", stmt, err)
		}
	}
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func sampleMail(id string) *dialect.InboundMail {
	pdf := []byte("%PDF-1.4 报销单\x00\xff\x01")
	return &dialect.InboundMail{
		MessageID: id,
		Mailbox:   "INBOX",
		From:      "wang@example.com",
		FromName:  "王经理",
		To:        "approvals@example.com, 张三 <zs@example.com>",
		Cc:        "",
		InReplyTo: "msg-41@oa.example.com",
		Subject:   "回复：请审批 差旅报销 😀",
		SentAt:    time.Date(2026, 11, 25, 9, 30, 15, 0, time.FixedZone("CST", 8*3600)),
		Text:      "同意。\n王经理",
		HTML:      "<p>同意。</p>",
		Size:      4321,
		Attachments: []dialect.MailAttachment{
			{Filename: "报销单.pdf", ContentType: "application/pdf", Size: int64(len(pdf)), SHA256: sum(pdf), Content: pdf},
			{Filename: "", ContentType: "image/png", ContentID: "logo@oa", Size: 0, SHA256: sum(nil), Content: []byte{}},
			{Filename: "video.mp4", ContentType: "video/mp4", Size: 50 << 20, SHA256: strings.Repeat("ab", 32), Omitted: "52428800 bytes: over the attachment limit of 10485760"},
		},
	}
}

// storedMail reads a mail back as an InboundMail.
func (d *db) storedMail(id int64) *dialect.InboundMail {
	d.t.Helper()
	m := &dialect.InboundMail{}
	var inReplyTo, parseErr, hookErr *string
	var sentAt *time.Time
	err := d.DB.QueryRow(d.rebind(`SELECT message_id, mailbox, from_address, from_name, to_addresses, cc_addresses,
		in_reply_to, subject, sent_at, text_body, html_body, size, raw_message, parse_error, hook_error
		FROM relay.inbound_mail WHERE id = ?`), id).Scan(&m.MessageID, &m.Mailbox, &m.From, &m.FromName, &m.To, &m.Cc,
		&inReplyTo, &m.Subject, &sentAt, &m.Text, &m.HTML, &m.Size, &m.Raw, &parseErr, &hookErr)
	if err != nil {
		d.t.Fatalf("read mail %d: %v", id, err)
	}
	deref := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	m.InReplyTo, m.ParseError, m.HookError = deref(inReplyTo), deref(parseErr), deref(hookErr)
	if sentAt != nil {
		m.SentAt = *sentAt
	}
	rows, err := d.DB.Query(d.rebind(`SELECT seq, filename, content_type, content_id, size, sha256, content, omitted
		FROM relay.inbound_mail_attachment WHERE mail_id = ? ORDER BY seq`), id)
	if err != nil {
		d.t.Fatal(err)
	}
	defer rows.Close()
	for n := 1; rows.Next(); n++ {
		var a dialect.MailAttachment
		var seq int
		var cid, omitted *string
		if err := rows.Scan(&seq, &a.Filename, &a.ContentType, &cid, &a.Size, &a.SHA256, &a.Content, &omitted); err != nil {
			d.t.Fatal(err)
		}
		if seq != n {
			d.t.Errorf("attachment seq %d, want %d", seq, n)
		}
		a.ContentID, a.Omitted = deref(cid), deref(omitted)
		m.Attachments = append(m.Attachments, a)
	}
	if err := rows.Err(); err != nil {
		d.t.Fatal(err)
	}
	return m
}

func sameMail(t *testing.T, got, want *dialect.InboundMail) {
	t.Helper()
	if !got.SentAt.Equal(want.SentAt) {
		t.Errorf("sent_at = %v, want %v", got.SentAt, want.SentAt)
	}
	g, w := *got, *want
	g.SentAt, w.SentAt = time.Time{}, time.Time{}
	if len(w.Attachments) == 0 {
		w.Attachments = nil
	}
	// An empty content may come back as nil or as an empty slice.
	g.Attachments, w.Attachments = emptyContent(g.Attachments), emptyContent(w.Attachments)
	if !reflect.DeepEqual(g, w) {
		t.Errorf("stored mail differs:\n got %+v\nwant %+v", g, w)
	}
}

func emptyContent(as []dialect.MailAttachment) []dialect.MailAttachment {
	out := append([]dialect.MailAttachment(nil), as...)
	for i := range out {
		if len(out[i].Content) == 0 && out[i].Omitted == "" {
			out[i].Content = []byte{}
		}
	}
	return out
}

func testStoreMail(t *testing.T, h Harness, mh MailHarness) {
	d, s := mailDB(t, h, mh, "record")
	want := sampleMail("approval-42@oa.example.com")
	id := storeNew(t, d, s, want)
	sameMail(t, d.storedMail(id), want)
	// The hook ran in the storing transaction, after the attachments.
	if n := d.count(`SELECT count(*) FROM relay_test_mail_seen WHERE mail_id = ? AND subject = ? AND attachments = 3`, id, want.Subject); n != 1 {
		t.Fatalf("relay.on_mail saw the mail %d times with its subject and 3 attachments, want 1", n)
	}
	// A Message-ID differing only in case is another mail.
	if other := storeNew(t, d, s, sampleMail("APPROVAL-42@oa.example.com")); other == id {
		t.Fatalf("a Message-ID in another case got the same row")
	}
}

func testStoreMailDuplicate(t *testing.T, h Harness, mh MailHarness) {
	d, s := mailDB(t, h, mh, "record")
	first := sampleMail("dup@example.com")
	id := storeNew(t, d, s, first)
	second := sampleMail("dup@example.com")
	second.Subject = "another subject"
	second.Attachments = nil
	again, err := s.StoreMail(context.Background(), d.DB, second)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Duplicate || again.ID != id {
		t.Fatalf("second StoreMail = %+v, want Duplicate of %d", again, id)
	}
	if n := d.count(`SELECT count(*) FROM relay.inbound_mail`); n != 1 {
		t.Fatalf("%d mails stored, want 1", n)
	}
	if n := d.count(`SELECT count(*) FROM relay.inbound_mail_attachment`); n != 3 {
		t.Fatalf("%d attachments stored, want the first mail's 3", n)
	}
	if n := d.count(`SELECT count(*) FROM relay_test_mail_seen`); n != 1 {
		t.Fatalf("relay.on_mail ran %d times, want once", n)
	}
	sameMail(t, d.storedMail(id), first)
}

func testStoreMailConcurrent(t *testing.T, h Harness, mh MailHarness) {
	d, s := mailDB(t, h, mh, "")
	const n = 8
	results := make([]dialect.MailStored, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = s.StoreMail(context.Background(), d.DB, sampleMail("race@example.com"))
		}()
	}
	wg.Wait()
	fresh := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("StoreMail %d: %v", i, errs[i])
		}
		if !results[i].Duplicate {
			fresh++
		}
		if results[i].ID != results[0].ID {
			t.Errorf("StoreMail %d returned id %d, another %d", i, results[i].ID, results[0].ID)
		}
	}
	if fresh != 1 {
		t.Errorf("%d of %d concurrent stores of one Message-ID inserted, want 1", fresh, n)
	}
	if c := d.count(`SELECT count(*) FROM relay.inbound_mail`); c != 1 {
		t.Fatalf("%d rows for one Message-ID", c)
	}
}

func testStoreMailHookRaises(t *testing.T, h Harness, mh MailHarness) {
	d, s := mailDB(t, h, mh, "raise")
	m := sampleMail("refused@example.com")
	_, err := s.StoreMail(context.Background(), d.DB, m)
	var he *dialect.HookError
	if !errors.As(err, &he) || !strings.Contains(err.Error(), "mail refused by the hook") {
		t.Fatalf("StoreMail with a raising hook: %v, want a *dialect.HookError with the hook's message", err)
	}
	for _, table := range []string{"relay.inbound_mail", "relay.inbound_mail_attachment", "relay_test_mail_seen"} {
		if n := d.count(`SELECT count(*) FROM ` + table); n != 0 {
			t.Fatalf("%d rows in %s after the hook raised: the transaction was not rolled back", n, table)
		}
	}
	// Stored again with the hook's error: kept, and the hook not called.
	m.HookError = he.Error()
	sameMail(t, d.storedMail(storeNew(t, d, s, m)), m)
	if n := d.count(`SELECT count(*) FROM relay_test_mail_seen`); n != 0 {
		t.Fatalf("the hook ran for a mail stored with HookError")
	}
}

func testStoreMailRaw(t *testing.T, h Harness, mh MailHarness) {
	d, s := mailDB(t, h, mh, "")
	raw := []byte("garbage\x00\xff\xfe not a mail \r\n\r\n\x80")
	m := &dialect.InboundMail{
		MessageID:  "sha256:" + sum(raw),
		Mailbox:    "收件箱",
		Size:       int64(len(raw)),
		Raw:        raw,
		ParseError: "malformed MIME header line: garbage",
	}
	got := d.storedMail(storeNew(t, d, s, m))
	if !bytes.Equal(got.Raw, raw) {
		t.Fatalf("raw_message = %q, want %q", got.Raw, raw)
	}
	sameMail(t, got, m)
}
