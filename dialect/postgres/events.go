package postgres

import (
	"github.com/dbrelay/dbrelay/dialect"
	"github.com/lib/pq"
)

// The SQL of events (`dbrelay subscription`, `dbrelay retry --event`, the
// ECHO health check; docs/events.md). The tables are in
// sql/postgres/000008_events.up.sql, relay.raise and relay.route_event in
// procedures/postgres.
const (
	channelExists      = `SELECT count(*) FROM relay.channel WHERE code = $1`
	insertSubscription = `
INSERT INTO relay.subscription (event, ref_prefix, channel, address, enabled)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (event, ref_prefix, channel, address) DO NOTHING
RETURNING id`
	listSubscriptions = `
SELECT id, event, ref_prefix, channel, address, enabled, created_at FROM relay.subscription ORDER BY id`
	setSubscriptionsEnabled = `
UPDATE relay.subscription SET enabled = $2 WHERE id = ANY($1) RETURNING id`

	lockEvent          = `SELECT status FROM relay.event WHERE id = $1 FOR UPDATE`
	routeEvent         = `SELECT relay.route_event($1)`
	eventMessages      = `SELECT message_id FROM relay.event_message WHERE event_id = $1 ORDER BY message_id`
	retryEventMessages = `
UPDATE relay.message m
SET status = 'pending', next_attempt_at = now(), locked_by = NULL, locked_until = NULL
FROM relay.event_message em
WHERE em.event_id = $1 AND m.id = em.message_id AND m.status IN ('dead', 'cancelled', 'pending')
RETURNING m.id`

	echoDue = `SELECT relay.echo_due()`
)

// EventTables is the events side.
func (Dialect) EventTables() dialect.EventTables {
	return dialect.EventTables{
		ChannelExists: channelExists, InsertSubscription: insertSubscription,
		ListSubscriptions: listSubscriptions, SetEnabled: setSubscriptionsEnabled,
		LockEvent: lockEvent, RouteEvent: routeEvent, EventMessages: eventMessages,
		RetryMessages: retryEventMessages, CallEchoDue: echoDue,
		IDList:  func(ids []int64) (any, error) { return pq.Array(ids), nil },
		Explain: Dialect{}.Explain,
	}
}
