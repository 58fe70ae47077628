SET ANSI_NULLS ON;
SET QUOTED_IDENTIFIER ON;
GO
-- relay.push(@Sender, @Receivers, @Title, @Context): the host's one call.
--
-- dbrelay:extension-point (the integrator's once installed: `dbrelay migrate up`
-- creates it when missing and never replaces a customised one)
--
-- Called by: the host application, inside its own transaction or not
--   EXEC relay.push @Sender = N'...', @Receivers = N'zhangsan,lisi',
--        @Title = N'...', @Context = N'...';
-- and by `dbrelay push`. The parameters are exactly the seed's. The
-- messages commit or roll back with the host's transaction; without one,
-- this procedure opens its own, so a push is all-or-nothing either way. An
-- error rolls back the caller's whole transaction (XACT_ABORT ON), as an
-- exception does on PostgreSQL.
--
-- Default body: split @Receivers on , ; and the full-width comma and
-- semicolon (U+FF0C, U+FF1B), trim spaces, tabs, CR and LF around each
-- name, drop empty entries and duplicates (first occurrence wins; names
-- are compared with the database's collation, as relay.recipient is
-- searched); for each receiver one message per row in relay.recipient
-- (ordered by channel), or one on relay.settings.default_channel when it
-- has none. Every receiver is resolved before anything is inserted, so a
-- bad receiver inserts nothing.
--
-- Errors (THROW; the message says "problem. Hint: what to do"):
--   50001 @Title is NULL
--   50002 no receivers in @Receivers, or a name longer than 200 characters
--   50003 a receiver with no row in relay.recipient and no default channel
--   50004 a receiver's channel (preferred or default) is disabled
--   50005 (relay.enqueue) unknown channel
-- Works on SQL Server 2016 SP1 and Azure SQL Database, and when the caller
-- runs with QUOTED_IDENTIFIER or ANSI_NULLS off: a module uses the settings
-- it was created with (the SET lines at the top of this file).
--
-- Integrators: this body is yours to edit (routing, filtering, writing into
-- your own tables); keep the signature, and call relay.enqueue to insert.
CREATE OR ALTER PROCEDURE relay.push
    @Sender nvarchar(100),
    @Receivers nvarchar(2000),
    @Title nvarchar(100),
    @Context nvarchar(max)
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;

    -- A LIKE pattern matching any character but space, tab, LF and CR.
    DECLARE @not_blank nvarchar(10) = N'%[^' + NCHAR(32) + NCHAR(9) + NCHAR(10) + NCHAR(13) + N']%';
    DECLARE @msg nvarchar(2048);
    DECLARE @list nvarchar(2000);
    DECLARE @part nvarchar(2000);
    DECLARE @len int;
    DECLARE @at int;
    DECLARE @next int;
    DECLARE @first int;
    DECLARE @last int;
    DECLARE @i int;
    DECLARE @n int;
    DECLARE @name nvarchar(200);
    DECLARE @channel nvarchar(100);
    DECLARE @address nvarchar(400);
    DECLARE @fallback nvarchar(100);
    DECLARE @fallback_on bit;
    DECLARE @fallback_read bit = 0;
    DECLARE @own_tran bit = 0;
    DECLARE @names TABLE (pos int IDENTITY (1, 1) PRIMARY KEY, name nvarchar(2000) COLLATE DATABASE_DEFAULT NOT NULL);
    DECLARE @out TABLE (
        seq int IDENTITY (1, 1) PRIMARY KEY,
        receiver nvarchar(200) NOT NULL,
        channel nvarchar(100) NOT NULL,
        address nvarchar(400) NOT NULL
    );

    IF @Title IS NULL
    BEGIN
        THROW 50001, N'relay.push: title is NULL. Hint: Pass a title; an empty string is allowed.', 1;
    END;

    -- Split. Every separator becomes a comma first; all positions are
    -- counted in UTF-16 code units under a binary collation, so that no
    -- collation (width-insensitive, supplementary-character-aware) can
    -- change what matches or where a name ends.
    SET @list = REPLACE(
        REPLACE(
            REPLACE(@Receivers COLLATE Latin1_General_100_BIN2, N';', N','),
            NCHAR(65292), N','
        ),
        NCHAR(65307), N','
    );
    SET @len = ISNULL(DATALENGTH(@list) / 2, -1);
    SET @at = 1;
    WHILE @at <= @len + 1
    BEGIN
        SET @next = CHARINDEX(N',', @list COLLATE Latin1_General_100_BIN2, @at);
        IF @next = 0
        BEGIN
            SET @next = @len + 1;
        END;
        SET @part = SUBSTRING(@list COLLATE Latin1_General_100_BIN2, @at, @next - @at);
        SET @first = PATINDEX(@not_blank, @part COLLATE Latin1_General_100_BIN2);
        IF @first > 0
        BEGIN
            SET @last = PATINDEX(@not_blank, REVERSE(@part COLLATE Latin1_General_100_BIN2));
            SET @part = SUBSTRING(
                @part COLLATE Latin1_General_100_BIN2, @first, DATALENGTH(@part) / 2 - @first - @last + 2
            );
            IF DATALENGTH(@part) / 2 > 200
            BEGIN
                SET @msg = N'relay.push: receivers: "' + LEFT(@part, 100)
                    + N'..." is longer than 200 characters. Hint: Shorten the name'
                    + N' (relay.message.receiver holds 200 characters).';
                THROW 50002, @msg, 1;
            END;
            IF NOT EXISTS (SELECT 1 FROM @names WHERE name = @part)
            BEGIN
                INSERT INTO @names (name) VALUES (@part);
            END;
        END;
        SET @at = @next + 1;
    END;

    SET @n = (SELECT COUNT(*) FROM @names);
    IF @n = 0
    BEGIN
        -- CASE, not ISNULL(N'''' + ...): the caller's session may run with
        -- CONCAT_NULL_YIELDS_NULL off, and a procedure inherits that.
        SET @msg = N'relay.push: receivers is empty (got '
            + CASE
                WHEN @Receivers IS NULL THEN N'NULL'
                ELSE N'''' + REPLACE(LEFT(@Receivers, 100), N'''', N'''''') + N''''
            END
            + N'). Hint: Pass one or more receiver names separated by "," or ";".';
        THROW 50002, @msg, 1;
    END;

    -- Resolve every receiver before inserting anything.
    SET @i = 1;
    WHILE @i <= @n
    BEGIN
        SELECT @name = name FROM @names WHERE pos = @i;

        SET @channel = NULL;
        SELECT TOP (1) @channel = rc.channel
        FROM relay.recipient AS rc
        INNER JOIN relay.channel AS c ON rc.channel = c.code
        WHERE rc.receiver = @name AND c.enabled = 0
        ORDER BY rc.channel;
        IF @channel IS NOT NULL
        BEGIN
            SET @msg = N'relay.push: receivers: "' + LEFT(@name, 100) + N'" prefers channel "' + @channel
                + N'", which is disabled. Hint: Enable it (UPDATE relay.channel SET enabled = 1 WHERE code = N'''
                + REPLACE(@channel, N'''', N'''''') + N''') or delete that row of relay.recipient.';
            THROW 50004, @msg, 1;
        END;

        INSERT INTO @out (receiver, channel, address)
        SELECT
            @name,
            rc.channel,
            rc.address
        FROM relay.recipient AS rc
        WHERE rc.receiver = @name
        ORDER BY rc.channel;

        IF @@ROWCOUNT = 0
        BEGIN
            IF @fallback_read = 0
            BEGIN
                SELECT
                    @fallback = s.default_channel,
                    @fallback_on = c.enabled
                FROM relay.settings AS s
                LEFT JOIN relay.channel AS c ON s.default_channel = c.code
                WHERE s.id = 1;
                SET @fallback_read = 1;
            END;
            IF @fallback IS NULL
            BEGIN
                SET @msg = N'relay.push: receivers: "' + LEFT(@name, 100)
                    + N'" has no channel in relay.recipient and no default channel is set.'
                    + N' Hint: Add a row (INSERT INTO relay.recipient (receiver, channel, address) VALUES (N'''
                    + REPLACE(LEFT(@name, 100), N'''', N'''''')
                    + N''', N''<channel>'', N'''')) or set a default'
                    + N' (UPDATE relay.settings SET default_channel = N''<channel>'').';
                THROW 50003, @msg, 1;
            END;
            IF @fallback_on = 0
            BEGIN
                SET @msg = N'relay.push: receivers: "' + LEFT(@name, 100) + N'" would use the default channel "'
                    + @fallback + N'", which is disabled.'
                    + N' Hint: Enable it (UPDATE relay.channel SET enabled = 1 WHERE code = N'''
                    + REPLACE(@fallback, N'''', N'''''') + N''') or set another default in relay.settings.';
                THROW 50004, @msg, 1;
            END;
            INSERT INTO @out (receiver, channel, address) VALUES (@name, @fallback, N'');
        END;
        SET @i = @i + 1;
    END;

    -- Insert. Open a transaction only when the caller has none, and commit
    -- only that one: a caller's transaction is the caller's to commit.
    IF @@TRANCOUNT = 0
    BEGIN
        BEGIN TRANSACTION;
        SET @own_tran = 1;
    END;
    BEGIN TRY
        SET @n = (SELECT COUNT(*) FROM @out);
        SET @i = 1;
        WHILE @i <= @n
        BEGIN
            SELECT
                @name = receiver,
                @channel = channel,
                @address = address
            FROM @out
            WHERE seq = @i;
            EXEC relay.enqueue
                @Sender = @Sender,
                @Receiver = @name,
                @Channel = @channel,
                @Title = @Title,
                @Body = @Context,
                @Payload = NULL,
                @Event = N'MESSAGE',
                @Ref = NULL,
                @Address = @address;
            SET @i = @i + 1;
        END;
        IF @own_tran = 1
        BEGIN
            COMMIT TRANSACTION;
        END;
    END TRY
    BEGIN CATCH
        IF @own_tran = 1 AND @@TRANCOUNT > 0
        BEGIN
            ROLLBACK TRANSACTION;
        END;
        THROW;
    END CATCH;
END;
GO
