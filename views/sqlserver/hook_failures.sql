SET ANSI_NULLS ON;
SET QUOTED_IDENTIFIER ON;
GO
-- relay_api.hook_failures: hooks that failed after their outcome was
-- recorded, and are retried on their own (relay.run_hooks): one row per
-- queued hook run whose last attempt raised an error. The message itself is
-- finished (sent or dead) and is never delivered again because of this.
-- A row goes away when the hook runs cleanly. After fixing the hook, make
-- them due at once with
--   UPDATE relay.hook_run SET next_attempt_at = SYSUTCDATETIME();
-- Called by: hosts, dashboards and operators.
-- Stable: columns are only ever added at the end, never renamed or dropped.
-- dbrelay's own: `dbrelay migrate up` restores it; build views of your own
-- on top of it.
CREATE OR ALTER VIEW relay_api.hook_failures
AS
SELECT
    h.id,
    h.hook,
    h.message_id,
    h.status,
    h.channel,
    h.receiver,
    h.event,
    h.ref,
    h.attempts,
    h.last_error,
    h.failed_at,
    h.next_attempt_at,
    h.created_at
FROM relay.hook_run AS h
WHERE h.attempts > 0;
GO
