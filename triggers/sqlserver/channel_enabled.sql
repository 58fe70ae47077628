SET ANSI_NULLS ON;
SET QUOTED_IDENTIFIER ON;
GO
-- Wakes the messages of a channel that is enabled again.
--
-- Messages for a disabled channel are accepted (relay.push never fails a
-- host's transaction because an endpoint is paused) and wait: a listener
-- that claims one postpones it, pending, with last_error saying the
-- channel is disabled. When the channel is enabled again this makes every
-- pending message of it due now (also those waiting on a retry's backoff:
-- you enabled it because the endpoint works again); polling listeners
-- claim them within --poll-interval.
--
-- Who may enable a channel need not be allowed to update relay.message:
-- the trigger and the table have the same owner (ownership chaining).
CREATE OR ALTER TRIGGER relay.channel_enabled
ON relay.channel
AFTER UPDATE
AS
BEGIN
    SET NOCOUNT ON;

    IF NOT UPDATE(enabled)
    BEGIN
        RETURN;
    END;

    UPDATE m
    SET m.next_attempt_at = SYSUTCDATETIME()
    FROM relay.message AS m
    INNER JOIN inserted AS i ON m.channel = i.code
    INNER JOIN deleted AS d ON i.code = d.code
    WHERE
        i.enabled = 1
        AND d.enabled = 0
        AND m.status = N'pending'
        AND m.next_attempt_at > SYSUTCDATETIME();
END;
GO
-- A disabled trigger is drift: applying this file enables it again (through
-- sp_executesql only because sqlfluff 3.3.1 cannot parse ENABLE TRIGGER).
EXEC sp_executesql N'ENABLE TRIGGER relay.channel_enabled ON relay.channel';
GO
