package email

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/channel"
	"github.com/dbrelay/dbrelay/internal/smtptest"
)

// A mail over STARTTLS with AUTH PLAIN arrives with its headers, Chinese
// subject and body decoded right, an HTML part from the payload, the audit
// BCC in the envelope only, and an audit record of exactly the bytes the
// server received.
func TestSendStartTLSAuthChineseHTMLAndBCC(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{TLS: smtptest.StartTLS, Username: "relay", Password: testPassword})
	s := newSender(t, srv.Addr, srv, map[string]any{"username": "relay", "password_env": "DBRELAY_SECRET_SMTP",
		"reply_to": "审批中心 <approvals@example.com>", "bcc": "audit@example.com"}, nil)
	m := message(1, "李四 <lisi@example.com>")
	m.Payload = []byte(`{"html": "<p>请在今天下班前<b>审批</b>报销单。</p>"}`)

	res := s.Send(context.Background(), m)
	if res.Outcome != channel.Sent {
		t.Fatalf("outcome %v, want sent: %s", res.Outcome, res.Err)
	}
	mails := srv.Wait(t, 1, 10*time.Second)
	got := mails[0]
	if !got.TLS || got.User != "relay" {
		t.Errorf("session TLS=%v user=%q, want STARTTLS and AUTH as relay", got.TLS, got.User)
	}
	if got.From != "oa@example.com" || !slices.Equal(got.To, []string{"lisi@example.com", "audit@example.com"}) {
		t.Errorf("envelope from %q to %q, want oa@example.com to lisi@example.com + the audit BCC", got.From, got.To)
	}
	p := parse(t, got.Data)
	if subj, err := p.header.Subject(); err != nil || subj != m.Title {
		t.Errorf("decoded Subject %q (%v), want %q", subj, err, m.Title)
	}
	if from, err := p.header.AddressList("From"); err != nil || len(from) != 1 || from[0].Name != "OA 通知" || from[0].Address != "oa@example.com" {
		t.Errorf("From %v (%v)", from, err)
	}
	if rt, err := p.header.AddressList("Reply-To"); err != nil || len(rt) != 1 || rt[0].Name != "审批中心" || rt[0].Address != "approvals@example.com" {
		t.Errorf("Reply-To %v (%v)", rt, err)
	}
	if to, err := p.header.AddressList("To"); err != nil || len(to) != 1 || to[0].Address != "lisi@example.com" {
		t.Errorf("To %v (%v)", to, err)
	}
	if p.header.Get("Bcc") != "" || strings.Contains(string(got.Data), "audit@example.com") {
		t.Errorf("the audit BCC shows in the message; it belongs in the envelope only")
	}
	if id := p.header.Get("Message-Id"); id != "<"+m.Key+"@example.com>" {
		t.Errorf("Message-ID %q, want <key@example.com>", id)
	}
	if strings.TrimRight(p.text, "\r\n") != strings.ReplaceAll(m.Body, "\n", "\r\n") && strings.TrimRight(p.text, "\r\n") != m.Body {
		t.Errorf("text part %q, want %q", p.text, m.Body)
	}
	if !strings.Contains(p.html, "<b>审批</b>") {
		t.Errorf("html part %q, want the payload's html", p.html)
	}

	a := res.Audit
	if a == nil {
		t.Fatal("no audit record")
	}
	if string(a.Raw) != string(got.Data) {
		t.Errorf("audit raw message differs from the bytes the server received:\naudit  %q\nserver %q", a.Raw, got.Data)
	}
	if a.Server != srv.Addr || !a.Accepted || !strings.HasPrefix(a.Reply, "250 ") || a.Reply != res.Body {
		t.Errorf("audit server %q accepted %v reply %q (result body %q)", a.Server, a.Accepted, a.Reply, res.Body)
	}
	if a.MessageID != m.Key+"@example.com" || a.Size != int64(len(got.Data)) || len(a.SHA256) != 64 ||
		!strings.HasPrefix(string(got.Data), a.Headers) || !strings.Contains(a.Headers, "Subject:") {
		t.Errorf("audit id %q size %d sha %q headers %q", a.MessageID, a.Size, a.SHA256, a.Headers)
	}
	if strings.Contains(a.Reply+res.Err+res.Body, testPassword) {
		t.Error("the password shows in the result")
	}
}

// Implicit TLS (port 465 style) with AUTH LOGIN.
func TestSendImplicitTLSAuthLogin(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{TLS: smtptest.Implicit, Username: "relay", Password: testPassword})
	s := newSender(t, srv.Addr, srv, map[string]any{"tls": "tls", "auth": "login", "username": "relay",
		"password_env": "DBRELAY_SECRET_SMTP"}, nil)
	if res := s.Send(context.Background(), message(1, "lisi@example.com")); res.Outcome != channel.Sent {
		t.Fatalf("outcome %v: %s", res.Outcome, res.Err)
	}
	if got := srv.Wait(t, 1, 10*time.Second)[0]; !got.TLS || got.User != "relay" {
		t.Errorf("TLS=%v user=%q", got.TLS, got.User)
	}
}

// A wrong password is the server's 535: permanent, the password nowhere
// in the result.
func TestSendWrongPassword(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{TLS: smtptest.StartTLS, Username: "relay", Password: "other"})
	s := newSender(t, srv.Addr, srv, map[string]any{"username": "relay", "password_env": "DBRELAY_SECRET_SMTP"}, nil)
	res := s.Send(context.Background(), message(1, "lisi@example.com"))
	if res.Outcome == channel.Sent || !strings.Contains(res.Err, "535") || strings.Contains(res.Err, testPassword) {
		t.Fatalf("outcome %v err %q, want a failure quoting 535 without the password", res.Outcome, res.Err)
	}
}

// 550 is permanent, 451 transient; each has an audit record of the refusal,
// and the connection carries the next mail.
func TestSendRefusals(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	s := newSender(t, srv.Addr, srv, map[string]any{"tls": "none"}, nil)
	srv.Script(smtptest.Reply{Code: 550, Message: "5.1.1 mailbox unavailable"}, smtptest.Reply{Code: 451, Message: "4.3.0 try again later"})
	for _, want := range []struct {
		outcome channel.Outcome
		code    int
	}{{channel.Permanent, 550}, {channel.Transient, 451}, {channel.Sent, 250}} {
		res := s.Send(context.Background(), message(1, "lisi@example.com"))
		if res.Outcome != want.outcome || res.StatusCode != want.code {
			t.Fatalf("outcome %v code %d (%s), want %v %d", res.Outcome, res.StatusCode, res.Err, want.outcome, want.code)
		}
		if res.Audit == nil || res.Audit.Accepted != (want.code == 250) || !strings.HasPrefix(res.Audit.Reply, strconv.Itoa(want.code)+" ") ||
			(want.code == 550 && res.Audit.Reply != "550 5.1.1 mailbox unavailable") {
			t.Errorf("audit %+v for %d", res.Audit, want.code)
		}
	}
	if r := srv.Mails()[0]; r.Accepted {
		t.Error("the scripted 550 was not applied")
	}
	if n := srv.Sessions(); n != 1 {
		t.Errorf("%d SMTP sessions for 3 mails, want 1 (a refusal keeps the connection)", n)
	}
}

// An unreachable first server is skipped; the audit names the one that
// took the mail. A server that goes away is replaced by the next dial.
func TestSendFailover(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	down := smtptest.Unreachable(t)
	s := newSender(t, down+", "+srv.Addr, srv, map[string]any{"tls": "none"}, nil)
	res := s.Send(context.Background(), message(1, "lisi@example.com"))
	if res.Outcome != channel.Sent || res.Audit == nil || res.Audit.Server != srv.Addr {
		t.Fatalf("outcome %v (%s), audit %+v: want sent through %s", res.Outcome, res.Err, res.Audit, srv.Addr)
	}
	if got := srv.Wait(t, 1, 10*time.Second)[0].Data; string(res.Audit.Raw) != string(got) {
		t.Errorf("audit raw %q, server received %q", res.Audit.Raw, got)
	}

	s2 := newSender(t, down, nil, map[string]any{"tls": "none"}, nil)
	res = s2.Send(context.Background(), message(2, "lisi@example.com"))
	if res.Outcome != channel.Transient || !strings.Contains(res.Err, down) {
		t.Fatalf("outcome %v err %q: an unreachable server is transient and named", res.Outcome, res.Err)
	}
}

// Connections are reused across messages and by concurrent senders (at
// most config.connections of them), and Close ends them.
func TestConnectionsReusedAndClosed(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	s := newSender(t, srv.Addr, srv, map[string]any{"tls": "none", "connections": 2}, nil)
	var wg sync.WaitGroup
	errs := make(chan string, 40)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if res := s.Send(context.Background(), message(int64(i), "lisi@example.com")); res.Outcome != channel.Sent {
				errs <- res.Err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("send failed: %s", e)
	}
	srv.Wait(t, 40, 10*time.Second)
	if n := srv.Sessions(); n < 1 || n > 2 {
		t.Errorf("%d SMTP sessions for 40 mails with connections=2", n)
	}
	s.Close()
	srv.WaitLogouts(t, srv.Sessions(), 10*time.Second)
}

// An idle connection the server dropped is replaced without failing the
// message.
func TestSendRedialsDroppedConnection(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	s := newSender(t, srv.Addr, srv, map[string]any{"tls": "none", "connections": 1}, nil)
	if res := s.Send(context.Background(), message(1, "lisi@example.com")); res.Outcome != channel.Sent {
		t.Fatal(res.Err)
	}
	// Break the idle connection under the client, as a server timeout would.
	s.mu.Lock()
	s.idle[0].raw.Close()
	s.mu.Unlock()
	if res := s.Send(context.Background(), message(2, "lisi@example.com")); res.Outcome != channel.Sent {
		t.Fatalf("outcome %v after a dropped idle connection: %s", res.Outcome, res.Err)
	}
	srv.Wait(t, 2, 10*time.Second)
}

// A server that accepts the connection and never answers costs one
// timeout and is transient.
func TestSendStalledServer(t *testing.T) {
	addr := smtptest.Stalled(t)
	s := newSender(t, addr, nil, map[string]any{"tls": "none"}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	res := s.Send(ctx, message(1, "lisi@example.com"))
	if res.Outcome != channel.Transient {
		t.Fatalf("outcome %v (%s), want transient", res.Outcome, res.Err)
	}
}

// Attachments arrive with their names, types and bytes.
func TestSendAttachments(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	pdf := []byte("%PDF-1.4\n\x00\x01binary\xff")
	store := attachments{1: {{Filename: "报销单.pdf", ContentType: "application/pdf", Content: pdf},
		{Filename: "notes.txt", Content: []byte("备注")}}}
	s := newSender(t, srv.Addr, srv, map[string]any{"tls": "none"}, store)
	if res := s.Send(context.Background(), message(1, "lisi@example.com")); res.Outcome != channel.Sent {
		t.Fatal(res.Err)
	}
	p := parse(t, srv.Wait(t, 1, 10*time.Second)[0].Data)
	if string(p.attachments["报销单.pdf"]) != string(pdf) || p.types["报销单.pdf"] != "application/pdf" {
		t.Errorf("pdf attachment %q type %q", p.attachments["报销单.pdf"], p.types["报销单.pdf"])
	}
	if string(p.attachments["notes.txt"]) != "备注" {
		t.Errorf("text attachment %q", p.attachments["notes.txt"])
	}
}

// A message that cannot be built is permanent, before any connection.
func TestSendBadAddress(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	s := newSender(t, srv.Addr, srv, map[string]any{"tls": "none"}, nil)
	res := s.Send(context.Background(), message(1, "not an address"))
	if res.Outcome != channel.Permanent || !strings.Contains(res.Err, "not a mail address") {
		t.Fatalf("outcome %v err %q", res.Outcome, res.Err)
	}
	if srv.Sessions() != 0 {
		t.Error("connected for a message that cannot be built")
	}
}
