SET ANSI_NULLS ON;
SET QUOTED_IDENTIFIER ON;
GO
-- Queues the outcome hook relay.on_outcome once for each message whose
-- status becomes sent or dead (compared with its status before the
-- statement): one row per message in relay.hook_run, in one set-based
-- INSERT, committed with the outcome.
--
-- Why only queue: the hook used to run here, inside the listener's
-- write-back transaction, where SQL Server dooms the transaction for most
-- errors a trigger raises: one broken hook rolled back the outcomes of a
-- whole batch and had those messages delivered again. Now the outcome is
-- committed first, and the listener's hook runner (relay.run_hooks) calls
-- the hook afterwards in a transaction of its own; its failures are
-- recorded and retried on their own (relay_api.hook_failures).
--
-- Called by: SQL Server, inside the listener's write-back (and any other
-- UPDATE of relay.message.status).
-- dbrelay's own: `dbrelay migrate up` restores it. Integrators: edit
-- relay.on_outcome, not this trigger.
CREATE OR ALTER TRIGGER relay.message_outcome
ON relay.message
AFTER UPDATE
AS
BEGIN
    SET NOCOUNT ON;

    IF NOT UPDATE(status)
    BEGIN
        RETURN;
    END;

    INSERT INTO relay.hook_run (message_id, status, channel, receiver, event, ref)
    SELECT
        i.id,
        i.status,
        i.channel,
        i.receiver,
        i.event,
        i.ref
    FROM inserted AS i
    INNER JOIN deleted AS d ON i.id = d.id
    WHERE i.status IN (N'sent', N'dead') AND d.status <> i.status
    ORDER BY i.id;
END;
GO
-- A disabled trigger is drift: applying this file enables it again (through
-- sp_executesql only because sqlfluff 3.3.1 cannot parse ENABLE TRIGGER).
EXEC sp_executesql N'ENABLE TRIGGER relay.message_outcome ON relay.message';
GO
