package imaptest

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// Deliver puts a raw message into the user's INBOX the way a local
// delivery agent does: written into the maildir's tmp/, then renamed into
// new/, where dovecot finds it (and tells an IDLE client). The bytes are
// stored as they are, however malformed.
func (s *Server) Deliver(t testing.TB, raw []byte) {
	t.Helper()
	s.seq++
	name := fmt.Sprintf("%d.M%dP%d.dbrelay-test", time.Now().Unix(), s.seq, os.Getpid())
	tmp := filepath.Join(s.maildir, "tmp", name)
	if err := os.WriteFile(tmp, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(tmp, s.uid, s.gid); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(s.maildir, "new", name)); err != nil {
		t.Fatal(err)
	}
}

// Client is a logged-in IMAP client of the test user, closed when t ends.
func (s *Server) Client(t testing.TB) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialTLS(s.Addr, &imapclient.Options{TLSConfig: s.TLSConfig()})
	if err != nil {
		t.Fatalf("imaptest: dial %s: %v", s.Addr, err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(s.User, s.Password).Wait(); err != nil {
		t.Fatalf("imaptest: login: %v", err)
	}
	return c
}

// Message is what Messages reports of one message in a mailbox.
type Message struct {
	UID       imap.UID
	MessageID string
	Subject   string
	Flags     []imap.Flag
}

// HasFlag tells whether the message carries f.
func (m Message) HasFlag(f imap.Flag) bool { return slices.Contains(m.Flags, f) }

// Messages lists a mailbox (read-only: it changes no flag), oldest first;
// nil when the mailbox does not exist.
func (s *Server) Messages(t testing.TB, mailbox string) []Message {
	t.Helper()
	c := s.Client(t)
	defer c.Close()
	sel, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil || sel.NumMessages == 0 {
		return nil
	}
	all := imap.SeqSet{imap.SeqRange{Start: 1, Stop: 0}} // 1:*
	msgs, err := c.Fetch(all, &imap.FetchOptions{UID: true, Flags: true, Envelope: true}).Collect()
	if err != nil {
		t.Fatalf("imaptest: fetch %s: %v", mailbox, err)
	}
	var out []Message
	for _, m := range msgs {
		msg := Message{UID: m.UID, Flags: m.Flags}
		if m.Envelope != nil {
			msg.MessageID, msg.Subject = m.Envelope.MessageID, m.Envelope.Subject
		}
		out = append(out, msg)
	}
	slices.SortFunc(out, func(a, b Message) int { return int(a.UID) - int(b.UID) })
	return out
}
