-- relay_api.failures: dead messages (given up: redeliver with `dbrelay retry`)
-- and unfinished ones whose last attempt failed (retrying).
-- last_error (and error) are redacted when written: no credential an
-- endpoint echoed, no redirect query, no environment variable's name
-- (relay_api.outbox's header says how).
-- Stable: columns are only ever added at the end, never renamed or dropped.
CREATE OR REPLACE VIEW relay_api.failures AS
SELECT m.id,
       m.key,
       m.receiver,
       m.channel,
       m.title,
       m.event,
       m.ref,
       m.status,
       m.attempts,
       m.last_error,
       m.response_code,
       m.next_attempt_at,
       m.created_at
FROM relay.message m
WHERE m.status = 'dead'
   OR (m.status IN ('pending', 'sending') AND m.last_error IS NOT NULL);
