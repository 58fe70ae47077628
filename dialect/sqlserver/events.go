package sqlserver

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/dbrelay/dbrelay/dialect"
)

// Events: subscriptions, replay of events, the ECHO health check
// (docs/events.md). relay.raise and relay.route_event are in procedures/.
const (
	channelExists = `SELECT COUNT(*) FROM relay.channel WHERE code = @p1`
	// addSubscription returns the new id, or no row when the same
	// subscription exists (UPDLOCK, HOLDLOCK: two adds cannot both pass
	// the check).
	addSubscription = `
SET NOCOUNT ON;
SET XACT_ABORT ON;
DECLARE @id TABLE (id bigint NOT NULL);
BEGIN TRANSACTION;
IF NOT EXISTS (SELECT 1 FROM relay.subscription WITH (UPDLOCK, HOLDLOCK)
               WHERE event = @p1 AND ref_prefix = @p2 AND channel = @p3 AND address = @p4)
    INSERT INTO relay.subscription (event, ref_prefix, channel, address, enabled)
    OUTPUT inserted.id INTO @id (id)
    VALUES (@p1, @p2, @p3, @p4, @p5);
COMMIT TRANSACTION;
SELECT id FROM @id;`
	listSubscriptions = `
SELECT id, event, ref_prefix, channel, address, enabled, created_at FROM relay.subscription ORDER BY id`
	enableSubscriptions = `
SET NOCOUNT ON;
DECLARE @done TABLE (id bigint NOT NULL);
UPDATE relay.subscription SET enabled = @p2
OUTPUT inserted.id INTO @done (id)
WHERE id IN (SELECT CONVERT(bigint, j.[value]) FROM OPENJSON(@p1) AS j);
SELECT id FROM @done ORDER BY id;`

	// lockEvent reads an event's status and keeps two replays of it apart.
	lockEvent  = `SELECT status FROM relay.event WITH (UPDLOCK, HOLDLOCK) WHERE id = @p1`
	routeEvent = `EXEC relay.route_event @event_id = @p1`
	// eventMessages lists the messages an event became.
	eventMessages      = `SELECT message_id FROM relay.event_message WHERE event_id = @p1 ORDER BY message_id`
	retryEventMessages = `
SET NOCOUNT ON;
DECLARE @done TABLE (id bigint NOT NULL);
UPDATE m
SET status = N'pending', next_attempt_at = SYSUTCDATETIME(), locked_by = NULL, locked_until = NULL
OUTPUT inserted.id INTO @done (id)
FROM relay.message AS m
INNER JOIN relay.event_message AS em ON m.id = em.message_id
WHERE em.event_id = @p1 AND m.status IN (N'dead', N'cancelled', N'pending');
SELECT id FROM @done ORDER BY id;`

	echoDue = `
SET NOCOUNT ON;
DECLARE @n int;
EXEC relay.echo_due @raised = @n OUTPUT;
SELECT @n;`
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
	if ids == nil {
		ids = []int64{}
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	return d.queryIDs(ctx, db, enableSubscriptions, string(list), enabled)
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
	var n sql.NullInt64
	err := db.QueryRowContext(ctx, echoDue).Scan(&n)
	return int(n.Int64), d.Explain(err)
}
