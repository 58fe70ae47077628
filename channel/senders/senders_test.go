package senders

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/dbrelay/dbrelay/channel"
)

// `dbrelay channel add` checks an email row as a listener would build it,
// without the database the listener reads attachments from.
func TestCheckEmail(t *testing.T) {
	good := channel.Channel{Code: "mail", Kind: "email", Target: "smtp.example.com:587",
		Config: json.RawMessage(`{"from": "oa@example.com", "username": "oa", "password_env": "DBRELAY_SECRET_SMTP"}`)}
	if ok, err := Check(good); !ok || err != nil {
		t.Fatalf("a good email channel: ok %v err %v", ok, err)
	}
	bad := good
	bad.Config = json.RawMessage(`{"from": "oa@example.com", "subject": "{{.Titel}}"}`)
	if ok, err := Check(bad); !ok || err == nil || !strings.Contains(err.Error(), "config.subject") {
		t.Fatalf("a bad email channel: ok %v err %v", ok, err)
	}
}
