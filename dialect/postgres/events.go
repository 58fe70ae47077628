package postgres

import (
	"context"
	"database/sql"
	"errors"

	"github.com/dbrelay/dbrelay/dialect"
	"github.com/lib/pq"
)

// Events: subscriptions, replay of events, the ECHO health check
// (docs/events.md). relay.raise and relay.route_event are in procedures/.
const (
	channelExists   = `SELECT count(*) FROM relay.channel WHERE code = $1`
	addSubscription = `
INSERT INTO relay.subscription (event, ref_prefix, channel, address, enabled)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (event, ref_prefix, channel, address) DO NOTHING
RETURNING id`
	listSubscriptions = `
SELECT id, event, ref_prefix, channel, address, enabled, created_at FROM relay.subscription ORDER BY id`
	enableSubscriptions = `
UPDATE relay.subscription SET enabled = $2 WHERE id = ANY($1) RETURNING id`

	// lockEvent reads an event's status and keeps two replays of it apart.
	lockEvent  = `SELECT status FROM relay.event WHERE id = $1 FOR UPDATE`
	routeEvent = `SELECT relay.route_event($1)`
	// eventMessages lists the messages an event became.
	eventMessages      = `SELECT message_id FROM relay.event_message WHERE event_id = $1 ORDER BY message_id`
	retryEventMessages = `
UPDATE relay.message m
SET status = 'pending', next_attempt_at = now(), locked_by = NULL, locked_until = NULL
FROM relay.event_message em
WHERE em.event_id = $1 AND m.id = em.message_id AND m.status IN ('dead', 'cancelled', 'pending')
RETURNING m.id`

	echoDue = `SELECT relay.echo_due()`
)

// AddSubscription inserts a subscription.
func (d Dialect) AddSubscription(ctx context.Context, db *sql.DB, s dialect.Subscription) (int64, error) {
	var n int
	if err := db.QueryRowContext(ctx, channelExists, s.Channel).Scan(&n); err != nil {
		return 0, d.Explain(err)
	}
	if n == 0 {
		return 0, dialect.ErrNoChannel
	}
	var id int64
	err := db.QueryRowContext(ctx, addSubscription, s.Event, s.RefPrefix, s.Channel, s.Address, s.Enabled).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, dialect.ErrSubscriptionExists
	}
	return id, d.Explain(err)
}

// Subscriptions lists relay.subscription.
func (d Dialect) Subscriptions(ctx context.Context, db *sql.DB) ([]dialect.Subscription, error) {
	rows, err := db.QueryContext(ctx, listSubscriptions)
	if err != nil {
		return nil, d.Explain(err)
	}
	defer rows.Close()
	var out []dialect.Subscription
	for rows.Next() {
		var s dialect.Subscription
		if err := rows.Scan(&s.ID, &s.Event, &s.RefPrefix, &s.Channel, &s.Address, &s.Enabled, &s.CreatedAt); err != nil {
			return nil, d.Explain(err)
		}
		out = append(out, s)
	}
	return out, d.Explain(rows.Err())
}

// EnableSubscriptions enables or disables subscriptions.
func (d Dialect) EnableSubscriptions(ctx context.Context, db *sql.DB, ids []int64, enabled bool) ([]int64, error) {
	return d.queryIDs(ctx, db, enableSubscriptions, pq.Array(ids), enabled)
}

// RetryEvent replays one event.
func (d Dialect) RetryEvent(ctx context.Context, db *sql.DB, id int64) (dialect.EventRetry, bool, error) {
	var r dialect.EventRetry
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return r, false, d.Explain(err)
	}
	defer tx.Rollback()
	var status string
	switch err := tx.QueryRowContext(ctx, lockEvent, id).Scan(&status); {
	case errors.Is(err, sql.ErrNoRows):
		return r, false, nil
	case err != nil:
		return r, false, d.Explain(err)
	}
	q := retryEventMessages
	if status == "unrouted" {
		if _, err := tx.ExecContext(ctx, routeEvent, id); err != nil {
			return r, true, d.Explain(err)
		}
		r.Rerouted, q = true, eventMessages
	}
	rows, err := tx.QueryContext(ctx, q, id)
	if err != nil {
		return r, true, d.Explain(err)
	}
	if r.Messages, err = dialect.ScanIDs(rows); err != nil {
		return r, true, d.Explain(err)
	}
	return r, true, d.Explain(tx.Commit())
}

// EchoDue raises the due ECHO health checks.
func (d Dialect) EchoDue(ctx context.Context, db *sql.DB) (int, error) {
	var n int
	err := db.QueryRowContext(ctx, echoDue).Scan(&n)
	return n, d.Explain(err)
}
