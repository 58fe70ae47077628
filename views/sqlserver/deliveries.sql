SET ANSI_NULLS ON;
SET QUOTED_IDENTIFIER ON;
GO
-- relay_api.deliveries: one row per delivery attempt, with its message.
-- Called by: hosts, dashboards and operators.
-- last_error (and error) are redacted when written: no credential an
-- endpoint echoed, no redirect query, no environment variable's name
-- (relay_api.outbox's header says how).
-- applied: 1 when the attempt's outcome became the message's status; 0
-- when the attempt was made under a lease that had run out and the message
-- had been claimed again (the call happened; the later claim decides the
-- status); NULL for attempts recorded before migration 000012.
-- Stable: columns are only ever added at the end, never renamed or dropped.
-- Integrators: leave it as it is (hosts rely on its columns); build views of
-- your own on top of it.
CREATE OR ALTER VIEW relay_api.deliveries
AS
SELECT
    d.id AS delivery_id,
    d.message_id,
    m.[key],
    m.channel,
    m.receiver,
    m.event,
    m.ref,
    d.attempt,
    d.started_at,
    d.duration_ms,
    d.outcome,
    d.response_code,
    d.error,
    d.applied
FROM relay.delivery AS d
INNER JOIN relay.message AS m ON d.message_id = m.id;
GO
