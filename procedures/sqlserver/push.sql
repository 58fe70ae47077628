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
-- semicolon (U+FF0C, U+FF1B), trim all Unicode white space around each
-- name (spaces, tabs, CR, LF, the ideographic space U+3000 a CJK keyboard
-- types after the full-width comma, no-break and zero-width spaces), drop
-- empty entries and duplicates (first occurrence wins; names are compared
-- with the database's collation, as relay.recipient is searched); for each
-- receiver one message per row in relay.recipient (ordered by channel), or
-- one on relay.settings.default_channel when it has none. Every receiver
-- is resolved before anything is inserted, so a bad receiver inserts
-- nothing. A disabled channel is no error: its messages wait, and are
-- delivered once it is enabled again.
--
-- Errors (THROW; the message says "problem. Hint: what to do"):
--   50001 @Title is NULL
--   50002 no receivers in @Receivers, or a name longer than 200 characters
--   50003 a receiver with no row in relay.recipient and no default channel
--   50005 (relay.enqueue) unknown channel
--   50006 (relay.enqueue) the message is over relay.settings.max_message_bytes
--
-- Permissions: a host needs EXECUTE on this procedure and nothing else
-- (docs/sqlserver-roles.sql): ownership chaining lets it read
-- relay.recipient and relay.settings and call relay.enqueue, which the
-- host itself cannot. EXECUTE is revoked from public at the end of this
-- file. If your body touches tables of another owner (or runs dynamic
-- SQL), the chain breaks there and the caller needs permissions on them;
-- EXECUTE AS OWNER would avoid that, but then the body runs with the
-- owner's rights: never build SQL from the arguments.
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

    -- Unicode White_Space, and the zero-width characters that show as
    -- nothing (U+180E, U+200B-U+200D, U+2060, U+FEFF): trimmed off names.
    DECLARE @blanks nvarchar(40) = NCHAR(9) + NCHAR(10) + NCHAR(11) + NCHAR(12) + NCHAR(13) + NCHAR(32) + NCHAR(133) + NCHAR(160)
        + NCHAR(5760) + NCHAR(6158) + NCHAR(8192) + NCHAR(8193) + NCHAR(8194) + NCHAR(8195) + NCHAR(8196)
        + NCHAR(8197) + NCHAR(8198) + NCHAR(8199) + NCHAR(8200) + NCHAR(8201) + NCHAR(8202) + NCHAR(8203)
        + NCHAR(8204) + NCHAR(8205) + NCHAR(8232) + NCHAR(8233) + NCHAR(8239) + NCHAR(8287) + NCHAR(8288)
        + NCHAR(12288) + NCHAR(65279);
    -- A LIKE pattern matching any character but those.
    DECLARE @not_blank nvarchar(50) = N'%[^' + @blanks + N']%';
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
                SELECT @fallback = s.default_channel
                FROM relay.settings AS s
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
-- Granted explicitly (docs/sqlserver-roles.sql), never to public.
-- (Through sp_executesql only because sqlfluff 3.3.1 cannot parse REVOKE.)
EXEC sp_executesql N'REVOKE EXECUTE ON OBJECT::relay.push FROM public';
GO
