SET ANSI_NULLS ON;
SET QUOTED_IDENTIFIER ON;
GO
-- relay_api.failures: dead messages (given up: redeliver with `dbrelay retry`)
-- and unfinished ones whose last attempt failed (retrying).
-- Called by: hosts, dashboards and operators.
-- last_error (and error) are redacted when written: no credential an
-- endpoint echoed, no redirect query, no environment variable's name
-- (relay_api.outbox's header says how).
-- Stable: columns are only ever added at the end, never renamed or dropped.
-- Integrators: leave it as it is (hosts rely on its columns); build views of
-- your own on top of it.
CREATE OR ALTER VIEW relay_api.failures
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
    m.last_error,
    m.response_code,
    m.next_attempt_at,
    m.created_at
FROM relay.message AS m
WHERE
    m.status = N'dead'
    OR (m.status IN (N'pending', N'sending') AND m.last_error IS NOT NULL);
GO
