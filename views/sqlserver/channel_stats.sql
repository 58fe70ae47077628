SET ANSI_NULLS ON;
SET QUOTED_IDENTIFIER ON;
GO
-- relay_api.channel_stats: per channel, how many messages are in each state,
-- the oldest unfinished one and the last success, and whether the running
-- listeners can deliver on it (relay.channel_health, migration 10):
--   up            1 when every listener that reported in the last minute
--                 can deliver on the channel; 0 when one cannot (bad
--                 config, unknown kind, a secret not set or not allowed,
--                 disabled, or parked); NULL when no listener reported: no
--                 listener is running, and nothing is delivered.
--   reason        why not, as a listener that cannot says it.
--   parked_until  when a listener tries the channel again (UTC), after its
--                 endpoint did not answer several attempts in a row.
--   waiting       messages not yet in a final state (pending + sending).
-- No target, config or secret name appears here: this view is for dashboards.
-- Called by: dashboards and operators.
-- Stable: columns are only ever added at the end, never renamed or dropped.
-- Integrators: leave it as it is (hosts rely on its columns); build views of
-- your own on top of it.
CREATE OR ALTER VIEW relay_api.channel_stats
AS
SELECT
    c.code AS channel,
    c.kind,
    c.enabled,
    ISNULL(s.pending, 0) AS pending,
    ISNULL(s.sending, 0) AS sending,
    ISNULL(s.sent, 0) AS sent,
    ISNULL(s.dead, 0) AS dead,
    ISNULL(s.cancelled, 0) AS cancelled,
    s.oldest_unfinished_at,
    s.last_sent_at,
    h.up,
    h.reason,
    h.parked_until,
    ISNULL(s.pending, 0) + ISNULL(s.sending, 0) AS waiting
FROM relay.channel AS c
LEFT JOIN (
    SELECT
        m.channel,
        SUM(CASE WHEN m.status = N'pending' THEN CONVERT(bigint, 1) ELSE 0 END) AS pending,
        SUM(CASE WHEN m.status = N'sending' THEN CONVERT(bigint, 1) ELSE 0 END) AS sending,
        SUM(CASE WHEN m.status = N'sent' THEN CONVERT(bigint, 1) ELSE 0 END) AS sent,
        SUM(CASE WHEN m.status = N'dead' THEN CONVERT(bigint, 1) ELSE 0 END) AS dead,
        SUM(CASE WHEN m.status = N'cancelled' THEN CONVERT(bigint, 1) ELSE 0 END) AS cancelled,
        MIN(CASE WHEN m.status IN (N'pending', N'sending') THEN m.created_at END) AS oldest_unfinished_at,
        MAX(m.sent_at) AS last_sent_at
    FROM relay.message AS m
    GROUP BY m.channel
) AS s ON c.code = s.channel
LEFT JOIN (
    SELECT
        ch.channel,
        CONVERT(bit, MIN(CONVERT(int, ch.up))) AS up,
        MIN(CASE WHEN ch.up = 0 THEN ch.reason END) AS reason,
        MAX(CASE WHEN ch.parked_until > SYSUTCDATETIME() THEN ch.parked_until END) AS parked_until
    FROM relay.channel_health AS ch
    WHERE ch.reported_at > DATEADD(minute, -1, SYSUTCDATETIME())
    GROUP BY ch.channel
) AS h ON c.code = h.channel;
GO
