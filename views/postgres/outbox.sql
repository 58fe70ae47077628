-- relay_api.outbox: every message and where it stands. The host's window on
-- what it pushed: SELECT status, sent_at FROM relay_api.outbox WHERE ref = …
-- response_body and last_error are shown, redacted when written: the
-- listener masks what looks like a credential in an endpoint's response
-- (an echoed Authorization, Cookie or X-Api-Key header, a token, a
-- password, a URL's user:password@) and the exact secrets the channel
-- sent, reports a redirect without its query, and names no environment
-- variable in last_error (its log does). Why not drop response_body from
-- this view: relay_api's columns are never dropped, and an endpoint's error
-- page is what a host needs to see why a message failed.
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
