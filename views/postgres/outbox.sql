-- relay_api.outbox: every message and where it stands. The host's window on
-- what it pushed: SELECT status, sent_at FROM relay_api.outbox WHERE ref = …
-- Stable: columns are only ever added at the end, never renamed or dropped.
CREATE OR REPLACE VIEW relay_api.outbox AS
SELECT m.id,
       m.key,
       m.sender,
       m.receiver,
       m.channel,
       m.address,
       m.title,
       m.body,
       m.payload,
       m.event,
       m.ref,
       m.status,
       m.attempts,
       m.next_attempt_at,
       m.last_error,
       m.response_code,
       m.response_body,
       m.created_at,
       m.sent_at
FROM relay.message m;
