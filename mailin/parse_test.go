package mailin_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/mailin"
)

func TestParseChinese(t *testing.T) {
	pdf := []byte("%PDF-1.4\x00\xff binary")
	m := mailin.Parse(chineseMail("approval-42@oa.example.com", pdf), "INBOX", 1<<20)
	if m.ParseError != "" || m.Raw != nil {
		t.Fatalf("parse error %q (raw kept: %v)", m.ParseError, m.Raw != nil)
	}
	checks := []struct{ name, got, want string }{
		{"message id", m.MessageID, "approval-42@oa.example.com"},
		{"subject", m.Subject, subjectCN},
		{"from", m.From, "wang@example.com"},
		{"from name", m.FromName, "王经理"},
		{"to", m.To, "zs@example.com, approvals@example.com"},
		{"cc", m.Cc, "audit@example.com"},
		{"in-reply-to", m.InReplyTo, "msg-41@oa.example.com"},
		{"text", m.Text, bodyCN},
		{"html", m.HTML, htmlCN},
		{"mailbox", m.Mailbox, "INBOX"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if want := time.Date(2026, 11, 25, 1, 30, 15, 0, time.UTC); !m.SentAt.Equal(want) {
		t.Errorf("sent at %v, want %v", m.SentAt, want)
	}
	if len(m.Attachments) != 3 {
		t.Fatalf("%d attachments, want the inline image and two files: %+v", len(m.Attachments), m.Attachments)
	}
	img, doc, second := m.Attachments[0], m.Attachments[1], m.Attachments[2]
	if img.ContentType != "image/png" || img.ContentID != "logo@oa" || !bytes.HasPrefix(img.Content, []byte("\x89PNG")) {
		t.Errorf("inline image = %+v", img)
	}
	sum := sha256.Sum256(pdf)
	if doc.Filename != fileCN || doc.ContentType != "application/pdf" || !bytes.Equal(doc.Content, pdf) ||
		doc.Size != int64(len(pdf)) || doc.SHA256 != hex.EncodeToString(sum[:]) || doc.Omitted != "" {
		t.Errorf("pdf = %+v", doc)
	}
	if second.Filename != "附件二.txt" || string(second.Content) != "second" {
		t.Errorf("second attachment = %q %q", second.Filename, second.Content)
	}
}

func TestParseAttachmentOverLimit(t *testing.T) {
	m := mailin.Parse(withAttachment("big@test", 5000), "INBOX", 4096)
	if m.ParseError != "" || len(m.Attachments) != 1 {
		t.Fatalf("parse error %q, %d attachments", m.ParseError, len(m.Attachments))
	}
	a := m.Attachments[0]
	if a.Content != nil || a.Size != 5000 || !strings.Contains(a.Omitted, "5000 bytes") || !strings.Contains(a.Omitted, "4096") {
		t.Fatalf("over-limit attachment kept %d bytes, size %d, omitted %q", len(a.Content), a.Size, a.Omitted)
	}
	if len(a.SHA256) != 64 {
		t.Fatalf("no hash of the omitted content: %q", a.SHA256)
	}
	// At the limit exactly, the content is kept.
	m = mailin.Parse(withAttachment("edge@test", 4096), "INBOX", 4096)
	if a := m.Attachments[0]; len(a.Content) != 4096 || a.Omitted != "" {
		t.Fatalf("attachment at the limit: %d bytes kept, omitted %q", len(a.Content), a.Omitted)
	}
}

// A mail without Message-ID is keyed by the hash of its bytes: the same
// every time it is read, another for another mail.
func TestParseNoMessageID(t *testing.T) {
	raw := simpleMail("", "没有 Message-ID", "正文")
	a, b := mailin.Parse(raw, "INBOX", 1<<20), mailin.Parse(raw, "INBOX", 1<<20)
	sum := sha256.Sum256(raw)
	if a.MessageID != "sha256:"+hex.EncodeToString(sum[:]) || a.MessageID != b.MessageID {
		t.Fatalf("substitute ids %q, %q", a.MessageID, b.MessageID)
	}
	other := mailin.Parse(simpleMail("", "没有 Message-ID", "另一个正文"), "INBOX", 1<<20)
	if other.MessageID == a.MessageID {
		t.Fatal("two different mails without Message-ID got the same key")
	}
	if a.Subject != "没有 Message-ID" || a.Text != "正文" || a.ParseError != "" {
		t.Fatalf("subject %q text %q error %q", a.Subject, a.Text, a.ParseError)
	}
	long := mailin.Parse(simpleMail(strings.Repeat("x", 600)+"@test", "s", "b"), "INBOX", 1<<20)
	if !strings.HasPrefix(long.MessageID, "sha256:") || len(long.MessageID) != 71 {
		t.Fatalf("a 600-character Message-ID became %q", long.MessageID)
	}
}

func TestParseGarbage(t *testing.T) {
	garbage := append([]byte("\x00"), garbage...)
	m := mailin.Parse(garbage, "INBOX", 1<<20)
	if m.ParseError == "" || !bytes.Equal(m.Raw, garbage) || strings.Contains(m.ParseError, "\x00") {
		t.Fatalf("garbage parsed without error (%q) or raw not kept", m.ParseError)
	}
	if !strings.HasPrefix(m.MessageID, "sha256:") || m.Size != int64(len(garbage)) {
		t.Fatalf("garbage stored as %q, size %d", m.MessageID, m.Size)
	}
}

// Parts that cannot be decoded: what can be read is kept, with the raw
// message and the reason.
func TestParseBrokenParts(t *testing.T) {
	cases := map[string]struct {
		raw, reason string
	}{
		"unknown charset": {"Message-ID: <cs@test>\r\nSubject: x\r\nContent-Type: text/plain; charset=x-no-such-charset\r\n\r\nhello\r\n", "charset"},
		"bad base64":      {"Message-ID: <b64@test>\r\nSubject: x\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!! not base64 ****\r\n", "base64"},
		"truncated":       {"Message-ID: <cut@test>\r\nSubject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\npart one", "EOF"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			m := mailin.Parse([]byte(c.raw), "INBOX", 1<<20)
			if !strings.Contains(m.ParseError, c.reason) || string(m.Raw) != c.raw {
				t.Fatalf("parse error %q (want it to mention %q), raw kept: %v", m.ParseError, c.reason, m.Raw != nil)
			}
			if m.MessageID == "" || strings.HasPrefix(m.MessageID, "sha256:") || m.Subject != "x" {
				t.Fatalf("header not read: id %q subject %q", m.MessageID, m.Subject)
			}
		})
	}
}

// A mailer that wrote the subject in raw GBK bytes (no RFC 2047): read in
// the charset the mail declares for its text.
func TestParseRawEightBitHeader(t *testing.T) {
	raw := "Message-ID: <raw8@test>\r\nSubject: " + gbk(subjectCN) + "\r\nFrom: " + gbk("李四") + " <ls@example.com>\r\n" +
		"Content-Type: text/plain; charset=GBK\r\n\r\n" + gbk(bodyCN) + "\r\n"
	m := mailin.Parse([]byte(raw), "INBOX", 1<<20)
	if m.Subject != subjectCN || m.Text != bodyCN+"\r\n" || m.FromName != "李四" {
		t.Fatalf("subject %q, from %q, text %q", m.Subject, m.FromName, m.Text)
	}
}
