SET ANSI_NULLS ON;
SET QUOTED_IDENTIFIER ON;
GO
-- relay_api.mail_audit: every SMTP attempt of the email channels that a
-- server answered: what was sent (the exact RFC 5322 message up to 1 MiB,
-- else NULL with its headers, size and SHA-256), its Message-ID, the server
-- that answered (host:port, the one that took it after a failover), its
-- final reply line, and whether it accepted the mail.
-- Called by: hosts and auditors ("was this mail sent, and what did it say?").
-- Stable: columns are only ever added at the end, never renamed or dropped.
-- Integrators: leave it as it is; build views of your own on top of it.
CREATE OR ALTER VIEW relay_api.mail_audit
AS
SELECT
    a.id,
    a.message_id,
    a.attempt,
    a.channel,
    a.server,
    a.accepted,
    a.reply,
    a.mail_message_id,
    a.envelope_from,
    a.recipients,
    a.headers,
    a.size,
    a.sha256,
    a.raw_message,
    a.sent_at
FROM relay.mail_audit AS a;
GO
