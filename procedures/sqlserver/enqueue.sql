SET ANSI_NULLS ON;
SET QUOTED_IDENTIFIER ON;
GO
-- relay.enqueue: the stable low-level insert of one message; its id comes
-- back in @Id (an OUTPUT parameter: PostgreSQL's relay.enqueue returns it).
--
-- Called by: relay.push (once per receiver and channel), and by host code
-- that routes messages itself:
--   DECLARE @id bigint;
--   EXEC relay.enqueue @Sender = N'oa', @Receiver = N'zhangsan',
--        @Channel = N'crm', @Title = N'...', @Id = @id OUTPUT;
-- Trims @Receiver of all Unicode white space, as relay.push does. Checks: a
-- NULL title (50001), an unknown channel (50005), a blank receiver (50002)
-- and a message over relay.settings.max_message_bytes (50006: title, body
-- and payload, DATALENGTH, 2 bytes a character) here, before the row is
-- written; the message_validate trigger checks the same for a direct
-- INSERT. A disabled channel is no error: the message waits until the
-- channel is enabled again. Errors are raised with THROW: "problem. Hint:
-- fix".
--
-- Permissions: a host that routes messages itself needs EXECUTE on this
-- procedure only (docs/sqlserver-roles.sql); ownership chaining lets it
-- insert into relay.message, which the host itself cannot. EXECUTE is
-- revoked from public at the end of this file.
--
-- `dbrelay push` prints the ids it enqueued: when that command arms the
-- session context key relay.enqueued_ids (sp_set_session_context), each
-- call appends its id there, in chunks of at most 8000 characters
-- (relay.enqueued_ids.1, .2, ...). Sessions that never arm it (every host)
-- pay one SESSION_CONTEXT lookup and store nothing.
--
-- dbrelay's own: `dbrelay migrate up` restores it (hosts and relay.push call
-- it by name). Put your routing and checks in relay.push.
CREATE OR ALTER PROCEDURE relay.enqueue
    @Sender nvarchar(200),
    @Receiver nvarchar(200),
    @Channel nvarchar(100),
    @Title nvarchar(400),
    @Body nvarchar(max) = N'',
    @Payload nvarchar(max) = NULL,
    @Event nvarchar(100) = N'MESSAGE',
    @Ref nvarchar(200) = NULL,
    @Address nvarchar(400) = NULL,
    @Id bigint = NULL OUTPUT
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;

    -- As in relay.push: Unicode White_Space and the zero-width characters.
    DECLARE @blanks nvarchar(40) = NCHAR(9) + NCHAR(10) + NCHAR(11) + NCHAR(12) + NCHAR(13) + NCHAR(32) + NCHAR(133) + NCHAR(160)
        + NCHAR(5760) + NCHAR(6158) + NCHAR(8192) + NCHAR(8193) + NCHAR(8194) + NCHAR(8195) + NCHAR(8196)
        + NCHAR(8197) + NCHAR(8198) + NCHAR(8199) + NCHAR(8200) + NCHAR(8201) + NCHAR(8202) + NCHAR(8203)
        + NCHAR(8204) + NCHAR(8205) + NCHAR(8232) + NCHAR(8233) + NCHAR(8239) + NCHAR(8287) + NCHAR(8288)
        + NCHAR(12288) + NCHAR(65279);
    DECLARE @not_blank nvarchar(50) = N'%[^' + @blanks + N']%';
    DECLARE @first int;
    DECLARE @last int;
    DECLARE @size bigint;
    DECLARE @limit int;
    DECLARE @msg nvarchar(2048);
    DECLARE @chunk int;
    DECLARE @slot sysname;
    DECLARE @ids varchar(8000);
    DECLARE @item varchar(21);

    IF @Title IS NULL
    BEGIN
        THROW 50001, N'relay.enqueue: title is NULL. Hint: Pass a title; an empty string is allowed.', 1;
    END;

    IF NOT EXISTS (SELECT 1 FROM relay.channel WHERE code = @Channel)
    BEGIN
        SET @msg = N'relay.enqueue: channel "' + ISNULL(LEFT(@Channel, 100), N'NULL')
            + N'" does not exist. Hint: Use a code from relay.channel, or register the channel first'
            + N' (INSERT INTO relay.channel (code, kind, target) VALUES (...)).';
        THROW 50005, @msg, 1;
    END;

    SET @first = PATINDEX(@not_blank, @Receiver COLLATE Latin1_General_100_BIN2);
    IF @first IS NULL OR @first = 0
    BEGIN
        THROW 50002, N'relay.enqueue: receiver is empty or blank. Hint: Pass the receiver''s name (@Receiver).', 1;
    END;
    SET @last = PATINDEX(@not_blank, REVERSE(@Receiver COLLATE Latin1_General_100_BIN2));
    SET @Receiver = SUBSTRING(
        @Receiver COLLATE Latin1_General_100_BIN2, @first, DATALENGTH(@Receiver) / 2 - @first - @last + 2
    );

    SET @size = ISNULL(DATALENGTH(@Title), 0) + ISNULL(DATALENGTH(@Body), 0) + ISNULL(DATALENGTH(@Payload), 0);
    SELECT @limit = max_message_bytes FROM relay.settings WHERE id = 1;
    IF @size > @limit
    BEGIN
        SET @msg = N'relay.enqueue: the message is ' + CONVERT(nvarchar(20), @size)
            + N' bytes (title, body and payload, 2 a character), over relay.settings.max_message_bytes ('
            + CONVERT(nvarchar(20), @limit) + N'). Hint: Send less (keep large documents in your own table'
            + N' and pass a reference), or raise the limit: UPDATE relay.settings SET max_message_bytes = ...'
            + N' (the listener holds up to --workers + --batch-size messages in memory).';
        THROW 50006, @msg, 1;
    END;

    INSERT INTO relay.message (sender, receiver, channel, address, title, body, payload, event, ref)
    VALUES (
        ISNULL(@Sender, N''),
        @Receiver,
        @Channel,
        COALESCE(NULLIF(@Address, N''), @Receiver, N''),
        @Title,
        ISNULL(@Body, N''),
        @Payload,
        ISNULL(@Event, N'MESSAGE'),
        @Ref
    );
    -- SCOPE_IDENTITY, not OUTPUT: a bare OUTPUT is refused (error 334) on a
    -- table with triggers, and this scope's identity ignores theirs.
    SET @Id = CONVERT(bigint, SCOPE_IDENTITY());

    SET @chunk = CONVERT(int, SESSION_CONTEXT(N'relay.enqueued_ids'));
    IF @chunk IS NOT NULL
    BEGIN
        SET @slot = N'relay.enqueued_ids.' + CONVERT(nvarchar(10), @chunk);
        SET @ids = ISNULL(CONVERT(varchar(8000), SESSION_CONTEXT(@slot)), '');
        SET @item = CONVERT(varchar(20), @Id) + ',';
        IF DATALENGTH(@ids) + DATALENGTH(@item) > 8000
        BEGIN
            SET @chunk = @chunk + 1;
            SET @slot = N'relay.enqueued_ids.' + CONVERT(nvarchar(10), @chunk);
            SET @ids = '';
            EXEC sp_set_session_context @key = N'relay.enqueued_ids', @value = @chunk;
        END;
        SET @ids = @ids + @item;
        EXEC sp_set_session_context @key = @slot, @value = @ids;
    END;
END;
GO
-- Granted explicitly (docs/sqlserver-roles.sql), never to public.
-- (Through sp_executesql only because sqlfluff 3.3.1 cannot parse REVOKE.)
EXEC sp_executesql N'REVOKE EXECUTE ON OBJECT::relay.enqueue FROM public';
GO
