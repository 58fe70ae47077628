// Package tmpl renders the templates a channel's config may carry (an SMS
// body, a webhook header, an e-mail subject and body) over one small,
// documented set of fields, so every kind offers integrators the same names.
//
// Templates use Go's text/template syntax ({{.Title}}, {{.Payload.amount}});
// HTML mail bodies use html/template, which escapes what it inserts. A
// template is checked when the channel is read — parsed, then executed
// against a sample message — so a typo in a field name fails when the
// channel is added or the listener starts, not on the first real message.
package tmpl

import (
	"bytes"
	"encoding/json"
	"errors"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/dbrelay/dbrelay/channel"
)

// Fields are what a template can use. Documented in docs/channels.md; only
// ever add to them.
type Fields struct {
	ID        int64
	Key       string // the message key (idempotency key)
	Event     string
	Sender    string
	Receiver  string
	Address   string // phone number, e-mail address, account on the channel
	Channel   string
	Title     string
	Body      string
	Ref       string
	CreatedAt time.Time
	Attempt   int
	// Payload is the message's JSON payload decoded (objects are
	// map[string]any); an empty object when the message has none or it is
	// not valid JSON, so {{.Payload.x}} never fails on a message without
	// one (a missing key prints "<no value>": write {{or .Payload.x ""}}).
	Payload any
}

// FieldsOf builds the fields of m.
func FieldsOf(m *channel.Message) Fields {
	f := Fields{ID: m.ID, Key: m.Key, Event: m.Event, Sender: m.Sender, Receiver: m.Receiver,
		Address: m.Address, Channel: m.Channel, Title: m.Title, Body: m.Body, Ref: m.Ref,
		CreatedAt: m.CreatedAt, Attempt: m.Attempt, Payload: map[string]any{}}
	if len(m.Payload) > 0 {
		var p any
		if json.Unmarshal(m.Payload, &p) == nil && p != nil {
			f.Payload = p
		}
	}
	return f
}

// funcs are the functions templates may call besides text/template's own
// (html, js, urlquery, len, index, printf, …).
var funcs = map[string]any{
	// json encodes a value as JSON, for JSON bodies: {"text": {{json .Body}}}.
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
}

// Template is one parsed template.
type Template struct {
	name string
	text *texttemplate.Template
	html *htmltemplate.Template
}

// sample is the message a template is tried on when parsed.
var sample = channel.Message{ID: 1, Key: "00000000-0000-0000-0000-000000000000", Event: "MESSAGE",
	Sender: "sender", Receiver: "receiver", Address: "address", Channel: "channel", Title: "title",
	Body: "body", Ref: "ref", CreatedAt: time.Unix(0, 0).UTC(), Attempt: 1}

// Parse parses a text template and tries it on a sample message. name says
// where it comes from in errors (e.g. `config.body_template`).
func Parse(name, text string) (*Template, error) {
	t, err := texttemplate.New(name).Option("missingkey=zero").Funcs(funcs).Parse(text)
	if err != nil {
		return nil, errors.New(clean(name, err))
	}
	tp := &Template{name: name, text: t}
	return tp, tp.try()
}

// ParseHTML parses an HTML template (contextual escaping) and tries it on a
// sample message.
func ParseHTML(name, text string) (*Template, error) {
	t, err := htmltemplate.New(name).Option("missingkey=zero").Funcs(funcs).Parse(text)
	if err != nil {
		return nil, errors.New(clean(name, err))
	}
	tp := &Template{name: name, html: t}
	return tp, tp.try()
}

// try executes the template on the sample message. Payload fields are
// the message's own business: the sample has none, so an error reached
// through .Payload (a nested key of a payload the sample lacks) is not the
// template's fault and is accepted here; at send time it fails the message
// with the same clear error.
func (t *Template) try() error {
	if _, err := t.Render(&sample); err != nil && !strings.Contains(err.Error(), "<.Payload") {
		return err
	}
	return nil
}

// Render executes the template for m.
func (t *Template) Render(m *channel.Message) (string, error) {
	var b bytes.Buffer
	f := FieldsOf(m)
	var err error
	if t.html != nil {
		err = t.html.Execute(&b, f)
	} else {
		err = t.text.Execute(&b, f)
	}
	if err != nil {
		return "", errors.New(clean(t.name, err))
	}
	return b.String(), nil
}

// clean drops the "template: " prefix the template packages repeat and
// makes the message start with name exactly once.
func clean(name string, err error) string {
	s := err.Error()
	s = strings.TrimPrefix(s, "template: ")
	s = strings.TrimPrefix(s, "html/template:")
	if strings.HasPrefix(s, name+":") {
		return s
	}
	return name + ": " + s
}
