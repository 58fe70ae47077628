SET ANSI_NULLS ON;
SET QUOTED_IDENTIFIER ON;
GO
-- relay.run_hooks: runs queued hooks (relay.on_outcome), each in a
-- transaction of its own, after the outcome that queued it was committed.
--
-- Called by: every `dbrelay listen` (its hook runner), in a loop, with
--   EXEC relay.run_hooks @max_runs = 100, @retry_base_ms = 1000, @retry_max_ms = 3600000,
--        @ran = @ran OUTPUT, @failed = @failed OUTPUT;
-- outside a transaction: it begins and commits one per hook. A DBA may call
-- it the same way, e.g. after fixing a hook, to run what failed at once
-- (UPDATE relay.hook_run SET next_attempt_at = SYSUTCDATETIME() first).
-- @ran counts the hooks that ran and committed, @failed those that failed.
--
-- What it does: takes up to @max_runs due rows of relay.hook_run (queued
-- by the message_outcome trigger when a message became sent or dead) and,
-- for each, in one transaction: locks the row (skipping one another runner
-- holds), calls the hook, and deletes the row. The hook's work and the
-- dequeue commit together, so a hook that ran is never run again, and one
-- interrupted half-way runs again later. Any error in the hook (XACT_ABORT
-- ON: whatever it raised, doomed or not) rolls back that hook's
-- transaction alone; the error is then recorded in its row
-- (relay_api.hook_failures), due again after @retry_base_ms, doubled for
-- each further failure up to @retry_max_ms. The message's outcome, already
-- committed, is never touched, so a failing hook can no longer roll back
-- outcomes or have messages delivered again.
-- dbrelay's own: `dbrelay migrate up` restores it. Integrators: edit
-- relay.on_outcome, not this.
CREATE OR ALTER PROCEDURE relay.run_hooks
    @max_runs int,
    @retry_base_ms bigint,
    @retry_max_ms bigint,
    @ran int = NULL OUTPUT,
    @failed int = NULL OUTPUT
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;
    SET @ran = 0;
    SET @failed = 0;

    DECLARE @n int;
    DECLARE @i int = 1;
    DECLARE @id bigint;
    DECLARE @found int;
    DECLARE @message_id bigint;
    DECLARE @status nvarchar(16);
    DECLARE @channel nvarchar(100);
    DECLARE @receiver nvarchar(200);
    DECLARE @event nvarchar(100);
    DECLARE @ref nvarchar(200);
    DECLARE @attempts int;
    DECLARE @delay_ms bigint;
    DECLARE @failure nvarchar(4000);
    DECLARE @due TABLE (seq int IDENTITY (1, 1) PRIMARY KEY, id bigint NOT NULL);

    INSERT INTO @due (id)
    SELECT TOP (@max_runs) h.id
    FROM relay.hook_run AS h WITH (READPAST)
    WHERE h.next_attempt_at <= SYSUTCDATETIME()
    ORDER BY h.next_attempt_at, h.id;
    SET @n = @@ROWCOUNT;

    WHILE @i <= @n
    BEGIN
        SELECT @id = id FROM @due WHERE seq = @i;
        SET @i = @i + 1;
        SET @attempts = 0;
        BEGIN TRY
            BEGIN TRANSACTION;
            -- Locked by another runner: skipped. Gone or no longer due:
            -- another runner ran it (or recorded its failure) meanwhile.
            SELECT
                @message_id = h.message_id,
                @status = h.status,
                @channel = h.channel,
                @receiver = h.receiver,
                @event = h.event,
                @ref = h.ref,
                @attempts = h.attempts
            FROM relay.hook_run AS h WITH (UPDLOCK, READPAST, ROWLOCK)
            WHERE h.id = @id AND h.next_attempt_at <= SYSUTCDATETIME();
            SET @found = @@ROWCOUNT;
            IF @found = 1
            BEGIN
                EXEC relay.on_outcome
                    @message_id = @message_id,
                    @status = @status,
                    @channel = @channel,
                    @receiver = @receiver,
                    @event = @event,
                    @ref = @ref;
                DELETE FROM relay.hook_run WHERE id = @id;
                SET @ran = @ran + 1;
            END;
            COMMIT TRANSACTION;
        END TRY
        BEGIN CATCH
            SET @failure = LEFT(ISNULL(ERROR_MESSAGE(), N''), 3900)
                + N' (error ' + CONVERT(nvarchar(11), ERROR_NUMBER()) + N')';
            IF @@TRANCOUNT > 0
            BEGIN
                ROLLBACK TRANSACTION;
            END;
            SET @delay_ms = CASE
                WHEN @attempts >= 40 THEN @retry_max_ms
                ELSE @retry_base_ms * POWER(CONVERT(bigint, 2), @attempts)
            END;
            IF @delay_ms > @retry_max_ms OR @delay_ms < 0
            BEGIN
                SET @delay_ms = @retry_max_ms;
            END;
            UPDATE relay.hook_run
            SET
                attempts = attempts + 1,
                last_error = @failure,
                failed_at = SYSUTCDATETIME(),
                next_attempt_at = DATEADD(millisecond, CONVERT(int, @delay_ms % 1000), DATEADD(second, CONVERT(int, @delay_ms / 1000), SYSUTCDATETIME()))
            WHERE id = @id;
            SET @failed = @failed + 1;
        END CATCH;
    END;
END;
GO
-- Granted to relay_listener (docs/sqlserver-roles.sql), never to public.
-- (Through sp_executesql only because sqlfluff 3.3.1 cannot parse REVOKE.)
EXEC sp_executesql N'REVOKE EXECUTE ON OBJECT::relay.run_hooks FROM public';
GO
