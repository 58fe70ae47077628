// Package senders is the registry of channel kinds this build can deliver:
// relay.channel.kind → the factory that builds a sender for one channel.
package senders

import (
	"fmt"
	"io"

	"github.com/dbrelay/dbrelay/channel"
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
func Default(maxConnsPerHost int) map[string]channel.Factory {
	client := webhook.NewClient(maxConnsPerHost)
	return map[string]channel.Factory{
		webhook.Kind: robot.WebhookFactory(client, webhook.NewFactory(client)),
		sms.Kind:     sms.NewFactory(client),
		inbox.Kind:   inbox.New,
	}
}

// Check builds the channel's sender as a listener would, with
// secret.Placeholders standing for its secrets, and returns why it cannot
// be built (a bad target, config or template; the factory's error names
// the channel): what
// `dbrelay channel add` checks before it writes the row. No secret is read
// and nothing is sent. ok is false when this build has no sender for the
// kind (the error says so).
func Check(ch channel.Channel) (ok bool, err error) {
	factory, known := Default(1)[ch.Kind]
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
