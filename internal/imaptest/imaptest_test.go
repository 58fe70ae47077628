package imaptest

import (
	"testing"

	"github.com/emersion/go-imap/v2"
)

// A delivered mail shows up in INBOX, unflagged, through TLS and a login.
func TestDeliverAndList(t *testing.T) {
	s := Start(t)
	if got := s.Messages(t, "INBOX"); len(got) != 0 {
		t.Fatalf("a new mailbox holds %d messages", len(got))
	}
	s.Deliver(t, []byte("Message-ID: <one@test>\r\nSubject: hello\r\n\r\nbody\r\n"))
	s.Deliver(t, []byte("Message-ID: <two@test>\r\nSubject: again\r\n\r\nbody\r\n"))
	got := s.Messages(t, "INBOX")
	if len(got) != 2 || got[0].MessageID != "one@test" || got[1].Subject != "again" {
		t.Fatalf("INBOX = %+v", got)
	}
	if got[0].HasFlag(imap.FlagSeen) {
		t.Fatalf("listing marked a message seen: %v", got[0].Flags)
	}
	if s.Messages(t, "Nowhere") != nil {
		t.Fatal("a missing mailbox listed messages")
	}
}
