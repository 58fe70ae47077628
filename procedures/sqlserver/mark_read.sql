SET ANSI_NULLS ON;
SET QUOTED_IDENTIFIER ON;
GO
-- relay.mark_read: marks a receiver's inbox messages read
-- (relay_api.inbox.read_at = now, UTC) and returns how many it marked, as
-- its one result row (column marked) and its return value.
--   @Receiver  whose messages; ids of other receivers' messages are ignored
--   @Ids       the messages' ids (relay_api.inbox.id) as a JSON array,
--              N'[41,42]' (read with OPENJSON: compatibility level 130);
--              NULL marks every unread message of the receiver
-- Messages already read keep their first read_at; unknown ids are ignored.
-- Anything but a JSON array of integers is refused (50040).
--   EXEC relay.mark_read @Receiver = N'alice', @Ids = N'[41,42]';
--   EXEC relay.mark_read @Receiver = N'alice', @Ids = NULL;  -- all of alice's
-- Permissions: EXECUTE on this procedure only (docs/sqlserver-roles.sql
-- grants it to relay_host); ownership chaining lets it update
-- relay.message, which the host itself cannot.
-- Called by: hosts. dbrelay's own: `dbrelay migrate up` restores it.
CREATE OR ALTER PROCEDURE relay.mark_read
    @Receiver nvarchar(200),
    @Ids nvarchar(max) = NULL
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;

    DECLARE @marked int;
    DECLARE @valid bit = 0;
    DECLARE @ids TABLE (id bigint PRIMARY KEY);

    -- Checked in steps: a condition does not guarantee the order its
    -- parts run in, and OPENJSON fails on text that is not JSON.
    IF @Ids IS NOT NULL AND ISJSON(@Ids) = 1 AND LEFT(LTRIM(@Ids), 1) = N'['
    BEGIN
        IF NOT EXISTS (
            SELECT 1
            FROM OPENJSON(@Ids) AS j
            WHERE j.[type] <> 2 OR TRY_CONVERT(bigint, j.[value]) IS NULL
        )
        BEGIN
            SET @valid = 1;
        END;
    END;
    IF @Ids IS NOT NULL AND @valid = 0
    BEGIN
        THROW 50040, N'relay.mark_read: @Ids must be a JSON array of message ids, e.g. N''[41,42]''. Hint: pass NULL to mark all of the receiver''s messages read.', 1;
    END;
    IF @valid = 1
    BEGIN
        INSERT INTO @ids (id)
        SELECT DISTINCT CONVERT(bigint, j.[value]) FROM OPENJSON(@Ids) AS j;
    END;

    UPDATE m
    SET m.read_at = SYSUTCDATETIME()
    FROM relay.message AS m
    WHERE
        m.inbox = 1
        AND m.receiver = @Receiver
        AND m.status = N'sent'
        AND m.read_at IS NULL
        AND (@Ids IS NULL OR m.id IN (SELECT i.id FROM @ids AS i));
    SET @marked = @@ROWCOUNT;

    SELECT @marked AS marked;
    RETURN @marked;
END;
GO
-- Hosts call it by the grant in docs/sqlserver-roles.sql, nobody else.
-- (Through sp_executesql only because sqlfluff 3.3.1 cannot parse REVOKE.)
EXEC sp_executesql N'REVOKE EXECUTE ON OBJECT::relay.mark_read FROM public';
GO
