// Package inbox is the "internal" channel kind: messages for the host's own
// in-app inbox (ccflow's internal message). There is nothing to call: the
// message is delivered by being recorded. The listener marks it sent like
// any other message, and from then on the host reads it per receiver from
// relay_api.inbox and marks it read with relay.mark_read (docs/channels.md,
// "Internal inbox"). The listener, not a trigger, marks it delivered so that
// a disabled internal channel holds its messages back as every other kind
// does, relay.on_outcome runs for it (an integrator can copy it into the
// host's own inbox table), and the host's insert stays one write.
package inbox

import (
	"context"

	"github.com/dbrelay/dbrelay/channel"
	"github.com/dbrelay/dbrelay/secret"
)

// Kind is relay.channel.kind for this sender.
const Kind = "internal"

// Sender marks every message delivered.
type Sender struct{}

// New is the channel.Factory for the internal kind.
func New(channel.Channel, *secret.Env) (channel.Sender, error) { return Sender{}, nil }

// Send succeeds at once.
func (Sender) Send(context.Context, *channel.Message) channel.Result {
	return channel.Result{Outcome: channel.Sent}
}
