SET ANSI_NULLS ON;
SET QUOTED_IDENTIFIER ON;
GO
-- relay_api.pending: messages not yet finished (pending, or sending under a
-- listener's lease), with when they are next due.
-- Called by: hosts and dashboards.
-- Stable: columns are only ever added at the end, never renamed or dropped.
-- Integrators: leave it as it is (hosts rely on its columns); build views of
-- your own on top of it.
CREATE OR ALTER VIEW relay_api.pending
AS
SELECT
    m.id,
    m.[key],
    m.receiver,
    m.channel,
    m.title,
    m.event,
    m.ref,
    m.status,
    m.attempts,
    m.next_attempt_at,
    m.last_error,
    m.created_at
FROM relay.message AS m
WHERE m.status IN (N'pending', N'sending');
GO
