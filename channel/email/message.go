package email

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"strings"

	gomail "github.com/wneessen/go-mail"

	"github.com/dbrelay/dbrelay/channel"
)

// outgoing is one mail, rendered once: the bytes written after DATA are
// exactly the bytes kept in the audit.
type outgoing struct {
	from       string   // envelope sender
	recipients []string // envelope recipients: To, then the audit BCC
	data       []byte   // the RFC 5322 message, CRLF line ends
	messageID  string   // without angle brackets
}

// errMessage is wrapped by build errors that the same message would hit
// again on every attempt (an address that is not one, a template that
// fails on this payload): the message is dead at once.
var errMessage = errors.New("cannot build the mail")

// build renders m as a MIME message: UTF-8 subject (RFC 2047 encoded
// words) and body, a text/plain part, an alternative text/html part when
// config.html or the payload's "html" member gives one, then the
// attachments. The audit BCC goes only into the envelope, never into a
// header, so the receiver cannot see it.
func (s *Sender) build(m *channel.Message, atts []channel.Attachment) (*outgoing, error) {
	to, err := mail.ParseAddress(m.Address)
	if err != nil {
		return nil, fmt.Errorf("%w: the message's address %q is not a mail address (relay.recipient.address, or relay.enqueue's address): %v",
			errMessage, m.Address, err)
	}
	subject, err := s.cfg.subject.Render(m)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errMessage, err)
	}
	text, err := s.cfg.text.Render(m)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errMessage, err)
	}
	html, err := s.htmlBody(m)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errMessage, err)
	}

	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.FromFormat(s.cfg.from.Name, s.cfg.from.Address); err != nil {
		return nil, fmt.Errorf("%w: config.from: %v", errMessage, err)
	}
	if err := msg.To(to.String()); err != nil {
		return nil, fmt.Errorf("%w: address %q: %v", errMessage, m.Address, err)
	}
	if s.cfg.replyTo != nil {
		if err := msg.ReplyTo(s.cfg.replyTo.String()); err != nil {
			return nil, fmt.Errorf("%w: config.reply_to: %v", errMessage, err)
		}
	}
	// One Message-ID per message, the same on every attempt: a receiver
	// that de-duplicates by Message-ID sees a retried mail once.
	id := messageID(m.Key, s.cfg.from.Address)
	msg.SetMessageIDWithValue(id)
	msg.SetDate()
	msg.Subject(subject)
	msg.SetBodyString(gomail.TypeTextPlain, text)
	if html != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, html)
	}
	for _, a := range atts {
		var opts []gomail.FileOption
		if a.ContentType != "" {
			opts = append(opts, gomail.WithFileContentType(gomail.ContentType(a.ContentType)))
		}
		if err := msg.AttachReader(a.Filename, bytes.NewReader(a.Content), opts...); err != nil {
			return nil, fmt.Errorf("%w: attachment %q: %v", errMessage, a.Filename, err)
		}
	}
	var b bytes.Buffer
	if _, err := msg.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("%w: %v", errMessage, err)
	}
	data := b.Bytes()
	if !bytes.HasSuffix(data, []byte("\r\n")) {
		// DATA's dot-writer would add it: add it here, so the audit holds
		// exactly the bytes the server receives.
		data = append(data, '\r', '\n')
	}
	out := &outgoing{from: s.cfg.from.Address, recipients: []string{to.Address}, data: data, messageID: id}
	for _, a := range s.cfg.bcc {
		out.recipients = append(out.recipients, a.Address)
	}
	return out, nil
}

// htmlBody is config.html rendered, or else the payload's "html" string.
func (s *Sender) htmlBody(m *channel.Message) (string, error) {
	if s.cfg.html != nil {
		return s.cfg.html.Render(m)
	}
	if len(m.Payload) == 0 {
		return "", nil
	}
	var p struct {
		HTML json.RawMessage `json:"html"`
	}
	if json.Unmarshal(m.Payload, &p) != nil || channel.IsNull(p.HTML) {
		return "", nil
	}
	var html string
	if err := json.Unmarshal(p.HTML, &html); err != nil {
		return "", errors.New(`payload.html must be a string (the mail's HTML part)`)
	}
	return html, nil
}

// messageID is key@domain-of-from: unique per message, stable across
// attempts, and in the sender's domain as RFC 5322 recommends.
func messageID(key, from string) string {
	domain := "dbrelay.invalid"
	if i := strings.LastIndexByte(from, '@'); i >= 0 && i < len(from)-1 {
		domain = from[i+1:]
	}
	return key + "@" + domain
}

// audit is the audit record of out as answered by server.
func (o *outgoing) audit(server, reply string, accepted bool) *channel.MailAudit {
	sum := sha256.Sum256(o.data)
	a := &channel.MailAudit{MessageID: o.messageID, Server: server, Accepted: accepted, Reply: reply,
		From: o.from, Recipients: o.recipients, Headers: headerBlock(o.data),
		Size: int64(len(o.data)), SHA256: hex.EncodeToString(sum[:])}
	if len(o.data) <= channel.MaxAuditRaw {
		a.Raw = o.data
	}
	return a
}

// headerBlock is the message's header section, up to the blank line.
func headerBlock(data []byte) string {
	if i := bytes.Index(data, []byte("\r\n\r\n")); i >= 0 {
		return string(data[:i+2])
	}
	return string(data)
}
