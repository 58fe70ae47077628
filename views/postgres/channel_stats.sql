-- relay_api.channel_stats: per channel, how many messages are in each state,
-- the oldest unfinished one and the last success, and whether the running
-- listeners can deliver on it (relay.channel_health, migration 10):
--   up            true when every listener that reported in the last minute
--                 can deliver on the channel; false when one cannot (bad
--                 config, unknown kind, a secret not set or not allowed,
--                 disabled, or parked); NULL when no listener reported: no
--                 listener is running, and nothing is delivered.
--   reason        why not, as a listener that cannot says it.
--   parked_until  when a listener tries the channel again, after its
--                 endpoint did not answer several attempts in a row.
--   waiting       messages not yet in a final state (pending + sending).
-- No target, config or secret name appears here: this view is for dashboards.
-- Stable: columns are only ever added at the end, never renamed or dropped.
CREATE OR REPLACE VIEW relay_api.channel_stats AS
SELECT c.code AS channel,
       c.kind,
       c.enabled,
       coalesce(s.pending, 0) AS pending,
       coalesce(s.sending, 0) AS sending,
       coalesce(s.sent, 0) AS sent,
       coalesce(s.dead, 0) AS dead,
       coalesce(s.cancelled, 0) AS cancelled,
       s.oldest_unfinished_at,
       s.last_sent_at,
       h.up,
       h.reason,
       h.parked_until,
       coalesce(s.pending, 0) + coalesce(s.sending, 0) AS waiting
FROM relay.channel c
LEFT JOIN (
    SELECT m.channel,
           count(*) FILTER (WHERE m.status = 'pending') AS pending,
           count(*) FILTER (WHERE m.status = 'sending') AS sending,
           count(*) FILTER (WHERE m.status = 'sent') AS sent,
           count(*) FILTER (WHERE m.status = 'dead') AS dead,
           count(*) FILTER (WHERE m.status = 'cancelled') AS cancelled,
           min(m.created_at) FILTER (WHERE m.status IN ('pending', 'sending')) AS oldest_unfinished_at,
           max(m.sent_at) AS last_sent_at
    FROM relay.message m
    GROUP BY m.channel
) s ON s.channel = c.code
LEFT JOIN (
    SELECT ch.channel,
           bool_and(ch.up) AS up,
           min(ch.reason) FILTER (WHERE NOT ch.up) AS reason,
           max(ch.parked_until) FILTER (WHERE ch.parked_until > now()) AS parked_until
    FROM relay.channel_health ch
    WHERE ch.reported_at > now() - interval '1 minute'
    GROUP BY ch.channel
) h ON h.channel = c.code;
