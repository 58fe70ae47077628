-- relay_api.deliveries: one row per delivery attempt, with its message.
-- last_error (and error) are redacted when written: no credential an
-- endpoint echoed, no redirect query, no environment variable's name
-- (relay_api.outbox's header says how).
-- applied: true when the attempt's outcome became the message's status;
-- false when the attempt was made under a lease that had run out and the
-- message had been claimed again (the call happened; the later claim
-- decides the status); NULL for attempts recorded before migration 000012.
-- Stable: columns are only ever added at the end, never renamed or dropped.
CREATE OR REPLACE VIEW relay_api.deliveries AS
SELECT d.id AS delivery_id,
       d.message_id,
       m.key,
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
FROM relay.delivery d
JOIN relay.message m ON m.id = d.message_id;
