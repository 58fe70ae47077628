SET ANSI_NULLS ON;
SET QUOTED_IDENTIFIER ON;
GO
-- Calls the editable hook relay.on_outcome once for each message whose
-- status becomes sent or dead (compared with its status before the
-- statement), in id order.
--
-- Called by: SQL Server, inside the listener's write-back transaction (and
-- any other UPDATE of relay.message.status).
--
-- Errors: the hook runs in TRY/CATCH with XACT_ABORT OFF, so that an error
-- which leaves the transaction committable is contained: it is appended to
-- that message's last_error and the outcome is recorded, as on PostgreSQL
-- (where it is logged as a WARNING). SQL Server dooms the transaction for
-- most errors raised inside a trigger, though; such an error cannot be
-- contained, and it is raised again as it is (not as the anonymous error
-- 3609), so the listener logs the hook's own message: its whole write-back
-- batch is rolled back and retried, and if the hook keeps failing those
-- messages are delivered again after their lease. See
-- procedures/sqlserver/on_outcome.sql: keep the hook unable to fail.
--
-- Integrators: edit relay.on_outcome, not this trigger.
CREATE OR ALTER TRIGGER relay.message_outcome
ON relay.message
AFTER UPDATE
AS
BEGIN
    SET NOCOUNT ON;

    DECLARE @n int;
    DECLARE @i int;
    DECLARE @message_id bigint;
    DECLARE @status nvarchar(16);
    DECLARE @channel nvarchar(100);
    DECLARE @receiver nvarchar(200);
    DECLARE @event nvarchar(100);
    DECLARE @ref nvarchar(200);
    DECLARE @failure nvarchar(4000);
    DECLARE @done TABLE (
        seq int IDENTITY (1, 1) PRIMARY KEY,
        message_id bigint NOT NULL,
        status nvarchar(16) NOT NULL,
        channel nvarchar(100) NOT NULL,
        receiver nvarchar(200) NOT NULL,
        event nvarchar(100) NOT NULL,
        ref nvarchar(200) NULL
    );

    IF NOT UPDATE(status)
    BEGIN
        RETURN;
    END;

    INSERT INTO @done (message_id, status, channel, receiver, event, ref)
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
    SET @n = @@ROWCOUNT;
    IF @n = 0
    BEGIN
        RETURN;
    END;

    SET XACT_ABORT OFF;
    SET @i = 1;
    WHILE @i <= @n
    BEGIN
        SELECT
            @message_id = message_id,
            @status = status,
            @channel = channel,
            @receiver = receiver,
            @event = event,
            @ref = ref
        FROM @done
        WHERE seq = @i;
        BEGIN TRY
            EXEC relay.on_outcome
                @message_id = @message_id,
                @status = @status,
                @channel = @channel,
                @receiver = @receiver,
                @event = @event,
                @ref = @ref;
        END TRY
        BEGIN CATCH
            IF XACT_STATE() <> 1
            BEGIN
                THROW;
            END;
            SET @failure = N'relay.on_outcome failed: ' + ISNULL(ERROR_MESSAGE(), N'')
                + N' (error ' + CONVERT(nvarchar(11), ERROR_NUMBER()) + N')';
            UPDATE relay.message
            SET last_error = CASE WHEN last_error IS NULL THEN @failure ELSE last_error + N'; ' + @failure END
            WHERE id = @message_id;
        END CATCH;
        SET @i = @i + 1;
    END;
END;
GO
-- A disabled trigger is drift: applying this file enables it again (through
-- sp_executesql only because sqlfluff 3.3.1 cannot parse ENABLE TRIGGER).
EXEC sp_executesql N'ENABLE TRIGGER relay.message_outcome ON relay.message';
GO
