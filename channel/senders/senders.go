// Package senders is the registry of channel kinds this build can deliver:
// relay.channel.kind → the factory that builds a sender for one channel.
package senders

import (
	"github.com/dbrelay/dbrelay/channel"
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
func Default(maxConnsPerHost int) map[string]channel.Factory {
	client := webhook.NewClient(maxConnsPerHost)
	return map[string]channel.Factory{
		webhook.Kind: robot.WebhookFactory(client, webhook.NewFactory(client)),
		sms.Kind:     sms.NewFactory(client),
		inbox.Kind:   inbox.New,
	}
}
