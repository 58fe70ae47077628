package dialect

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"time"
	"unicode/utf8"
)

// EventsDialect is implemented by dialects with events (relay.raise,
// relay.subscription, relay.event; docs/events.md): `dbrelay subscription`,
// `dbrelay retry --event` and the listener's ECHO health check reach it
// through EventsOf.
type EventsDialect interface {
	// AddSubscription inserts a row of relay.subscription and returns its
	// id; ErrSubscriptionExists when the same event, ref prefix, channel
	// and address are already subscribed, ErrNoChannel when the channel is
	// not in relay.channel.
	AddSubscription(ctx context.Context, db *sql.DB, s Subscription) (int64, error)
	// Subscriptions lists relay.subscription by id.
	Subscriptions(ctx context.Context, db *sql.DB) ([]Subscription, error)
	// EnableSubscriptions sets enabled on the given subscriptions and
	// returns the ids it found.
	EnableSubscriptions(ctx context.Context, db *sql.DB, ids []int64, enabled bool) ([]int64, error)
	// RetryEvent replays one event in a transaction of its own: a routed
	// event's dead, cancelled and pending messages are due again (as
	// Retry does for messages); an unrouted one is routed again against
	// today's subscriptions (relay.route_event). ok is false when there is
	// no such event.
	RetryEvent(ctx context.Context, db *sql.DB, id int64) (r EventRetry, ok bool, err error)
	// EchoDue raises the periodic ECHO events that are due
	// (relay.echo_due) and returns how many.
	EchoDue(ctx context.Context, db *sql.DB) (int, error)
}

// EventsOf returns the connection's dialect as an EventsDialect, or an
// error saying it has none.
func EventsOf(c *Conn) (EventsDialect, error) {
	d, ok := c.Dialect.(EventsDialect)
	if !ok {
		return nil, fmt.Errorf("the %s dialect does not support events", c.Dialect.Name())
	}
	return d, nil
}

// Subscription is a row of relay.subscription.
type Subscription struct {
	ID        int64
	Event     string // a name (ACTION_DONE) or a pattern with * (ACTION_*)
	RefPrefix string // "" = every ref
	Channel   string
	Address   string // handed to the channel as the message's address; "" for a webhook
	Enabled   bool
	CreatedAt time.Time
}

// EventRetry is what replaying one event did.
type EventRetry struct {
	Rerouted bool    // the event was unrouted and was routed again
	Messages []int64 // the messages due again (Rerouted: the new ones)
}

var (
	// ErrSubscriptionExists: the same event, ref prefix, channel and
	// address are subscribed already.
	ErrSubscriptionExists = errors.New("this subscription exists already")
	// ErrNoChannel: the channel named is not in relay.channel.
	ErrNoChannel = errors.New("no such channel")
)

// eventPattern is what relay.subscription.event accepts (its CHECK on both
// databases): letters, digits, _ . : / - and the wildcard *.
var eventPattern = regexp.MustCompile(`^[A-Za-z0-9_.:/*-]{1,100}$`)

// ValidateSubscription checks s as the table's constraints will, with a
// message that says what to write instead.
func ValidateSubscription(s Subscription) error {
	switch {
	case !eventPattern.MatchString(s.Event):
		return fmt.Errorf("event %q: write an event name or a pattern of 1 to 100 letters, digits, _ . : / - and * (any run of characters), e.g. ACTION_DONE or ACTION_*", s.Event)
	case utf8.RuneCountInString(s.RefPrefix) > 200:
		return fmt.Errorf("ref prefix is %d characters; refs have at most 200", utf8.RuneCountInString(s.RefPrefix))
	case s.Channel == "":
		return fmt.Errorf("a subscription needs a channel (a code from relay.channel)")
	case utf8.RuneCountInString(s.Address) > 400:
		return fmt.Errorf("address is over 400 characters")
	}
	return nil
}
