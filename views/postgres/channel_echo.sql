-- relay_api.channel_echo: the last periodic ECHO health check of each
-- channel that has one (relay.channel.echo_every_s; relay.echo_due raises
-- them). ok is true when it was delivered, false when it went dead, NULL
-- while it is on its way; rtt_ms is its last attempt's round trip.
-- Called by: `dbrelay status`, dashboards, operators.
-- Stable: columns are only ever added at the end, never renamed or dropped.
CREATE OR REPLACE VIEW relay_api.channel_echo AS
SELECT ce.channel,
       ch.echo_every_s,
       ce.raised_at,
       ce.message_id,
       m.status,
       CASE m.status WHEN 'sent' THEN true WHEN 'dead' THEN false END AS ok,
       m.sent_at,
       d.duration_ms AS rtt_ms,
       m.response_code,
       m.last_error
FROM relay.channel_echo ce
JOIN relay.channel ch ON ch.code = ce.channel
LEFT JOIN relay.message m ON m.id = ce.message_id
LEFT JOIN LATERAL (SELECT dl.duration_ms FROM relay.delivery dl
                   WHERE dl.message_id = ce.message_id
                   ORDER BY dl.attempt DESC LIMIT 1) d ON true;
