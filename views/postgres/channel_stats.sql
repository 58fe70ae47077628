-- relay_api.channel_stats: per channel, how many messages are in each state,
-- the oldest unfinished one and the last success. No target, config or
-- secret name appears here: this view is for dashboards.
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
       s.last_sent_at
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
) s ON s.channel = c.code;
