// Package inbox is the "internal" channel kind: messages for the host's own
// in-app inbox (ccflow's internal message). There is nothing to call: the
// message is delivered by being recorded, and the host shows it from
// relay_api.outbox (WHERE channel = … AND receiver = …). Marking it sent
// keeps the outbox's status meaningful and runs relay.on_outcome, where an
// integrator can copy it into the host's own inbox table.
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
