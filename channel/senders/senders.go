// Package senders is the registry of channel kinds this build can deliver:
// relay.channel.kind → the factory that builds a sender for one channel.
package senders

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/dbrelay/dbrelay/channel"
	"github.com/dbrelay/dbrelay/channel/email"
	"github.com/dbrelay/dbrelay/channel/inbox"
	"github.com/dbrelay/dbrelay/channel/robot"
	"github.com/dbrelay/dbrelay/channel/sms"
	"github.com/dbrelay/dbrelay/channel/webhook"
	"github.com/dbrelay/dbrelay/secret"
)

// Default returns every sender of this build. The HTTP kinds (webhooks,
// chat robots, SMS gateways) share one HTTP client keeping up to
// maxConnsPerHost idle connections per endpoint (the listener's worker
// count), so connections are reused across messages. A webhook channel
// whose config names a preset is a chat robot (package robot).
//
// Email channels need the database for their attachments: pass
// Email(email.Options{Store: dialect.AttachmentSource(conn)}); without it
// an email channel cannot be built, and its messages wait.
func Default(maxConnsPerHost int, opts ...Option) map[string]channel.Factory {
	client := webhook.NewClient(maxConnsPerHost)
	m := map[string]channel.Factory{
		webhook.Kind: robot.WebhookFactory(client, webhook.NewFactory(client)),
		sms.Kind:     sms.NewFactory(client),
		inbox.Kind:   inbox.New,
		email.Kind:   email.NewFactory(email.Options{}),
	}
	for _, o := range opts {
		o(m)
	}
	return m
}

// Option adjusts the senders Default returns.
type Option func(map[string]channel.Factory)

// Email sets what the email kind's senders use (the attachment store, the
// certificate pool).
func Email(o email.Options) Option {
	return func(m map[string]channel.Factory) { m[email.Kind] = email.NewFactory(o) }
}

// Check builds the channel's sender as a listener would, with
// secret.Placeholders standing for its secrets, and returns why it cannot
// be built (a bad target, config or template; the factory's error names
// the channel): what
// `dbrelay channel add` checks before it writes the row. No secret is read
// and nothing is sent. ok is false when this build has no sender for the
// kind (the error says so).
func Check(ch channel.Channel) (ok bool, err error) {
	factory, known := Default(1, Email(email.Options{Store: checkOnly{}}))[ch.Kind]
	if !known {
		return false, fmt.Errorf("this dbrelay has no sender for channel kind %q; a listener that has one will check channel %q when it loads it", ch.Kind, ch.Code)
	}
	s, err := factory(ch, secret.Placeholders())
	if err != nil {
		return true, err // factories' errors name the channel
	}
	if c, closes := s.(io.Closer); closes {
		c.Close()
	}
	return true, nil
}

// checkOnly stands for the attachment store in Check, which sends nothing.
type checkOnly struct{}

func (checkOnly) Attachments(context.Context, int64) ([]channel.Attachment, error) {
	return nil, errors.New("senders.Check builds senders to check them, not to send")
}
