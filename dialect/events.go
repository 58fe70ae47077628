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
	EventTables() EventTables
}

// EventsOf returns the connection's dialect's events side, or an error
// saying it has none.
func EventsOf(c *Conn) (EventTables, error) {
	d, ok := c.Dialect.(EventsDialect)
	if !ok {
		return EventTables{}, fmt.Errorf("the %s dialect does not support events", c.Dialect.Name())
	}
	return d.EventTables(), nil
}

// EventTables is the events side, the same in every dialect but for its
// SQL: a dialect fills one in (EventsDialect.EventTables).
type EventTables struct {
	// ChannelExists counts the channels with the code $1.
	ChannelExists string
	// InsertSubscription takes (event, ref_prefix, channel, address,
	// enabled) and yields the new id, or no row when the same event, ref
	// prefix, channel and address are subscribed already.
	InsertSubscription string
	// ListSubscriptions selects (id, event, ref_prefix, channel, address,
	// enabled, created_at) by id.
	ListSubscriptions string
	// SetEnabled takes (the ids as IDList makes them, enabled) and yields
	// the ids it changed.
	SetEnabled string
	// LockEvent yields the status of event $1, locked until the
	// transaction ends; RouteEvent routes event $1 (relay.route_event);
	// EventMessages yields the ids of its messages; RetryMessages sets
	// its dead, cancelled and pending messages due and yields their ids.
	LockEvent, RouteEvent, EventMessages, RetryMessages string
	// CallEchoDue calls relay.echo_due and yields how many it raised.
	CallEchoDue string
	IDList      func([]int64) (any, error) // a list of ids as SetEnabled takes it
	Explain     func(error) error
}

// AddSubscription inserts a row of relay.subscription and returns its id;
// ErrNoChannel when the channel is not in relay.channel,
// ErrSubscriptionExists when the same event, ref prefix, channel and
// address are subscribed already.
func (t EventTables) AddSubscription(ctx context.Context, db *sql.DB, s Subscription) (int64, error) {
	var n int
	if err := db.QueryRowContext(ctx, t.ChannelExists, s.Channel).Scan(&n); err != nil {
		return 0, t.Explain(err)
	}
	if n == 0 {
		return 0, ErrNoChannel
	}
	var id int64
	err := db.QueryRowContext(ctx, t.InsertSubscription, s.Event, s.RefPrefix, s.Channel, s.Address, s.Enabled).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrSubscriptionExists
	}
	return id, t.Explain(err)
}

// Subscriptions lists relay.subscription by id.
func (t EventTables) Subscriptions(ctx context.Context, db *sql.DB) ([]Subscription, error) {
	rows, err := db.QueryContext(ctx, t.ListSubscriptions)
	if err != nil {
		return nil, t.Explain(err)
	}
	defer rows.Close()
	var out []Subscription
	for rows.Next() {
		var s Subscription
		if err := rows.Scan(&s.ID, &s.Event, &s.RefPrefix, &s.Channel, &s.Address, &s.Enabled, &s.CreatedAt); err != nil {
			return nil, t.Explain(err)
		}
		out = append(out, s)
	}
	return out, t.Explain(rows.Err())
}

// EnableSubscriptions sets enabled on the given subscriptions and returns
// the ids it found.
func (t EventTables) EnableSubscriptions(ctx context.Context, db *sql.DB, ids []int64, enabled bool) ([]int64, error) {
	list, err := t.IDList(ids)
	if err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, t.SetEnabled, list, enabled)
	if err != nil {
		return nil, t.Explain(err)
	}
	done, err := ScanIDs(rows)
	return done, t.Explain(err)
}

// RetryEvent replays one event in a transaction of its own: a routed
// event's dead, cancelled and pending messages are due again (as Retry
// does for messages); an unrouted one is routed again against today's
// subscriptions (relay.route_event). ok is false when there is no such
// event.
func (t EventTables) RetryEvent(ctx context.Context, db *sql.DB, id int64) (r EventRetry, ok bool, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return r, false, t.Explain(err)
	}
	defer tx.Rollback()
	var status string
	switch err := tx.QueryRowContext(ctx, t.LockEvent, id).Scan(&status); {
	case errors.Is(err, sql.ErrNoRows):
		return r, false, nil
	case err != nil:
		return r, false, t.Explain(err)
	}
	q := t.RetryMessages
	if status == "unrouted" {
		if _, err := tx.ExecContext(ctx, t.RouteEvent, id); err != nil {
			return r, true, t.Explain(err)
		}
		r.Rerouted, q = true, t.EventMessages
	}
	rows, err := tx.QueryContext(ctx, q, id)
	if err != nil {
		return r, true, t.Explain(err)
	}
	if r.Messages, err = ScanIDs(rows); err != nil {
		return r, true, t.Explain(err)
	}
	return r, true, t.Explain(tx.Commit())
}

// EchoDue raises the periodic ECHO events that are due (relay.echo_due)
// and returns how many.
func (t EventTables) EchoDue(ctx context.Context, db *sql.DB) (int, error) {
	var n sql.NullInt64
	err := db.QueryRowContext(ctx, t.CallEchoDue).Scan(&n)
	return int(n.Int64), t.Explain(err)
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
