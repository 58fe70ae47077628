// Package senders is the registry of channel kinds this build can deliver:
// relay.channel.kind → the factory that builds a sender for one channel.
package senders

import (
	"github.com/dbrelay/dbrelay/channel"
	"github.com/dbrelay/dbrelay/channel/email"
	"github.com/dbrelay/dbrelay/channel/inbox"
	"github.com/dbrelay/dbrelay/channel/robot"
	"github.com/dbrelay/dbrelay/channel/sms"
	"github.com/dbrelay/dbrelay/channel/webhook"
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
