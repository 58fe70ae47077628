SET ANSI_NULLS ON;
SET QUOTED_IDENTIFIER ON;
GO
-- relay_api.channel_echo: the last periodic ECHO health check of each
-- channel that has one (relay.channel.echo_every_s; relay.echo_due raises
-- them). ok is 1 when it was delivered, 0 when it went dead, NULL while it
-- is on its way; rtt_ms is its last attempt's round trip.
-- Called by: `dbrelay status`, dashboards and operators.
-- Stable: columns are only ever added at the end, never renamed or dropped.
-- dbrelay's own: `dbrelay migrate up` restores it; build views of your own
-- on top of it.
CREATE OR ALTER VIEW relay_api.channel_echo
AS
SELECT
    ce.channel,
    ch.echo_every_s,
    ce.raised_at,
    ce.message_id,
    m.status,
    CASE m.status WHEN N'sent' THEN CONVERT(bit, 1) WHEN N'dead' THEN CONVERT(bit, 0) END AS ok,
    m.sent_at,
    d.duration_ms AS rtt_ms,
    m.response_code,
    m.last_error
FROM relay.channel_echo AS ce
INNER JOIN relay.channel AS ch ON ce.channel = ch.code
LEFT JOIN relay.message AS m ON ce.message_id = m.id
OUTER APPLY (
    SELECT TOP (1) dl.duration_ms
    FROM relay.delivery AS dl
    WHERE dl.message_id = ce.message_id
    ORDER BY dl.attempt DESC
) AS d;
GO
