-- relay_api.events: every event raised (relay.raise), one row per message
-- it became, with the subscription that routed it and the message's
-- outcome; an unrouted event has one row with the message columns NULL.
-- response_json is the endpoint's JSON answer (docs/events.md). Replay an
-- event with `dbrelay retry --event ID`.
-- Called by: hosts, dashboards, operators.
-- Stable: columns are only ever added at the end, never renamed or dropped.
CREATE OR REPLACE VIEW relay_api.events AS
SELECT e.id,
       e.event,
       e.ref,
       e.payload,
       e.status,
       e.raised_at,
       em.subscription_id,
       m.id AS message_id,
       m.channel,
       m.status AS message_status,
       m.attempts,
       m.sent_at,
       m.last_error,
       m.response_code,
       m.response_json
FROM relay.event e
LEFT JOIN relay.event_message em ON em.event_id = e.id
LEFT JOIN relay.message m ON m.id = em.message_id;
