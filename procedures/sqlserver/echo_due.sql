SET ANSI_NULLS ON;
SET QUOTED_IDENTIFIER ON;
GO
-- relay.echo_due: the periodic ECHO health check. Raises an ECHO event
-- (relay.raise @Event = N'ECHO', @Ref = code) on every enabled channel
-- whose echo_every_s is set, whose last check was raised at least that long
-- ago, and that has nothing waiting (no pending or in-flight message: a
-- channel at work needs no probe, and a probe stuck behind a down endpoint
-- is not piled up). Records each in relay.channel_echo;
-- relay_api.channel_echo shows the outcome. @raised returns how many it
-- raised.
--
-- Called by: every `dbrelay listen`, about every 15 seconds (a DBA may call
-- it too: EXEC relay.echo_due). Listeners take turns through an
-- application lock (sp_getapplock, no wait): while one runs it, the others
-- skip, so one ECHO is raised per channel and interval however many
-- listen.
--
-- dbrelay's own: `dbrelay migrate up` restores it. Set the interval with
-- UPDATE relay.channel SET echo_every_s = 300 WHERE code = N'crm'.
CREATE OR ALTER PROCEDURE relay.echo_due
    @raised int = NULL OUTPUT
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;

    DECLARE @code nvarchar(100);
    DECLARE @eid bigint;
    DECLARE @mid bigint;
    DECLARE @lock int;
    DECLARE @due TABLE (code nvarchar(100) NOT NULL PRIMARY KEY);

    SET @raised = 0;
    BEGIN TRANSACTION;
    EXEC @lock = sp_getapplock
        @Resource = N'relay.echo_due', @LockMode = N'Exclusive', @LockOwner = N'Transaction', @LockTimeout = 0;
    IF @lock < 0
    BEGIN
        COMMIT TRANSACTION;
        RETURN;
    END;

    INSERT INTO @due (code)
    SELECT ch.code
    FROM relay.channel AS ch
    LEFT JOIN relay.channel_echo AS ce ON ch.code = ce.channel
    WHERE
        ch.enabled = 1
        AND ch.echo_every_s IS NOT NULL
        AND (ce.raised_at IS NULL OR ce.raised_at <= DATEADD(second, -ch.echo_every_s, SYSUTCDATETIME()))
        AND NOT EXISTS (
            SELECT 1 FROM relay.message AS m
            WHERE m.status IN (N'pending', N'sending') AND m.channel = ch.code
        );

    SET @code = (SELECT MIN(code) FROM @due);
    WHILE @code IS NOT NULL
    BEGIN
        EXEC relay.raise @Event = N'ECHO', @Ref = @code, @Payload = N'{"health_check": true}', @Id = @eid OUTPUT;
        SELECT @mid = em.message_id FROM relay.event_message AS em WHERE em.event_id = @eid;
        UPDATE relay.channel_echo SET message_id = @mid, raised_at = SYSUTCDATETIME() WHERE channel = @code;
        IF @@ROWCOUNT = 0
        BEGIN
            INSERT INTO relay.channel_echo (channel, message_id) VALUES (@code, @mid);
        END;
        SET @raised = @raised + 1;
        SET @code = (SELECT MIN(code) FROM @due WHERE code > @code);
    END;
    COMMIT TRANSACTION;
END;
GO
-- Granted explicitly to the listener's role (docs/sqlserver-roles.sql),
-- never to public.
-- (Through sp_executesql only because sqlfluff 3.3.1 cannot parse REVOKE.)
EXEC sp_executesql N'REVOKE EXECUTE ON OBJECT::relay.echo_due FROM public';
GO
