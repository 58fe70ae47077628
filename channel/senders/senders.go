// Package senders is the registry of channel kinds this build can deliver:
// relay.channel.kind → the factory that builds a sender for one channel.
package senders

import (
	"github.com/dbrelay/dbrelay/channel"
	"github.com/dbrelay/dbrelay/channel/inbox"
	"github.com/dbrelay/dbrelay/channel/webhook"
)

// Default returns every sender of this build. Webhooks share one HTTP
// client keeping up to maxConnsPerHost idle connections per endpoint (the
// listener's worker count), so connections are reused across messages.
func Default(maxConnsPerHost int) map[string]channel.Factory {
	return map[string]channel.Factory{
		webhook.Kind: webhook.NewFactory(webhook.NewClient(maxConnsPerHost)),
		inbox.Kind:   inbox.New,
	}
}
