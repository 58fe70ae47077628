package email

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	_ "github.com/emersion/go-message/charset" // GB18030 etc. for the parser
	gomessage "github.com/emersion/go-message/mail"

	"github.com/dbrelay/dbrelay/channel"
	"github.com/dbrelay/dbrelay/internal/smtptest"
	"github.com/dbrelay/dbrelay/secret"
)

// attachments is an attachment source holding fixed attachments per
// message id, standing in for relay.attachment in the sender's own tests
// (the listener's suite reads the real table).
type attachments map[int64][]channel.Attachment

func (a attachments) Attachments(_ context.Context, id int64) ([]channel.Attachment, error) {
	return a[id], nil
}

const testPassword = "s3cret-pw"

var testEnv = secret.FromMap(map[string]string{"DBRELAY_SECRET_SMTP": testPassword})

// newSender builds a sender for srv with the given config members added to
// a From.
func newSender(t *testing.T, target string, srv *smtptest.Server, cfg map[string]any, store Store) *Sender {
	t.Helper()
	if _, ok := cfg["from"]; !ok {
		cfg["from"] = "OA 通知 <oa@example.com>"
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if store == nil {
		store = attachments{}
	}
	o := Options{Store: store}
	if srv != nil {
		o.RootCAs = srv.RootCAs
	}
	s, err := New(channel.Channel{Code: "mail", Kind: Kind, Target: target, Config: raw, Enabled: true,
		MaxAttempts: 5, Timeout: 10 * time.Second}, testEnv, o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func message(id int64, address string) *channel.Message {
	return &channel.Message{ID: id, Key: "6f1c0d2e-0000-4000-8000-00000000000" + string(rune('0'+id%10)),
		Event: "MESSAGE", Sender: "zhangsan", Receiver: "lisi", Address: address, Channel: "mail",
		Title: "请审批：报销单 #1024", Body: "您好，李四：\n请在今天下班前审批报销单。\n谢谢！", Attempt: 1,
		CreatedAt: time.Now()}
}

// parsed is a received mail, decoded.
type parsed struct {
	header      gomessage.Header
	text, html  string
	attachments map[string][]byte // filename → content
	types       map[string]string // filename → content type
}

func parse(t *testing.T, data []byte) parsed {
	t.Helper()
	r, err := gomessage.CreateReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("parsing the received mail: %v\n%s", err, data)
	}
	p := parsed{header: r.Header, attachments: map[string][]byte{}, types: map[string]string{}}
	for {
		part, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("reading a part: %v", err)
		}
		b, err := io.ReadAll(part.Body)
		if err != nil {
			t.Fatalf("reading a part's body: %v", err)
		}
		switch h := part.Header.(type) {
		case *gomessage.InlineHeader:
			ct, _, _ := h.ContentType()
			if strings.HasPrefix(ct, "text/html") {
				p.html = string(b)
			} else {
				p.text = string(b)
			}
		case *gomessage.AttachmentHeader:
			name, _ := h.Filename()
			ct, _, _ := h.ContentType()
			p.attachments[name], p.types[name] = b, ct
		}
	}
	return p
}
