package sqlserver

import (
	"encoding/json"

	"github.com/dbrelay/dbrelay/dialect"
)

// The SQL of events (`dbrelay subscription`, `dbrelay retry --event`, the
// ECHO health check; docs/events.md). The tables are in
// sql/sqlserver/000008_events.up.sql, relay.raise and relay.route_event in
// procedures/sqlserver.
const (
	channelExists = `SELECT COUNT(*) FROM relay.channel WHERE code = @p1`
	// insertSubscription returns the new id, or no row when the same
	// subscription exists (UPDLOCK, HOLDLOCK: two adds cannot both pass
	// the check).
	insertSubscription = `
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
	setSubscriptionsEnabled = `
SET NOCOUNT ON;
DECLARE @done TABLE (id bigint NOT NULL);
UPDATE relay.subscription SET enabled = @p2
OUTPUT inserted.id INTO @done (id)
WHERE id IN (SELECT CONVERT(bigint, j.[value]) FROM OPENJSON(@p1) AS j);
SELECT id FROM @done ORDER BY id;`

	lockEvent          = `SELECT status FROM relay.event WITH (UPDLOCK, HOLDLOCK) WHERE id = @p1`
	routeEvent         = `EXEC relay.route_event @event_id = @p1`
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

// EventTables is the events side.
func (Dialect) EventTables() dialect.EventTables {
	return dialect.EventTables{
		ChannelExists: channelExists, InsertSubscription: insertSubscription,
		ListSubscriptions: listSubscriptions, SetEnabled: setSubscriptionsEnabled,
		LockEvent: lockEvent, RouteEvent: routeEvent, EventMessages: eventMessages,
		RetryMessages: retryEventMessages, CallEchoDue: echoDue,
		IDList: func(ids []int64) (any, error) {
			if ids == nil {
				ids = []int64{}
			}
			b, err := json.Marshal(ids)
			return string(b), err
		},
		Explain: Dialect{}.Explain,
	}
}
