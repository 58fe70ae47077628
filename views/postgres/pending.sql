-- relay_api.pending: messages not yet finished (pending, or sending under a
-- listener's lease), with when they are next due.
-- Stable: columns are only ever added at the end, never renamed or dropped.
CREATE OR REPLACE VIEW relay_api.pending AS
SELECT m.id,
       m.key,
       m.receiver,
       m.channel,
       m.title,
       m.event,
       m.ref,
       m.status,
       m.attempts,
       m.next_attempt_at,
       m.last_error,
       m.created_at
FROM relay.message m
WHERE m.status IN ('pending', 'sending');
