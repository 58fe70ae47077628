SET ANSI_NULLS ON;
SET QUOTED_IDENTIFIER ON;
GO
-- relay_api.outbox: every message and where it stands. The host's window on
-- what it pushed: SELECT status, sent_at FROM relay_api.outbox WHERE ref = ...
-- key is a uniqueidentifier (webhooks send it as lowercase text); compare
-- it with a string and SQL Server converts the string: [key] = N'...'.
-- Called by: hosts and dashboards.
-- Stable: columns are only ever added at the end, never renamed or dropped.
-- Integrators: leave it as it is (hosts rely on its columns); build views of
-- your own on top of it.
CREATE OR ALTER VIEW relay_api.outbox
AS
SELECT
    m.id,
    m.[key],
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
FROM relay.message AS m;
GO
