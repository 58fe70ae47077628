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
-- Checks: a NULL title (50001) and an unknown channel (50005) here, because
-- the NOT NULL column and the foreign key would reject them first with a
-- less helpful message; an empty receiver (50002) and a disabled channel
-- (50004) in the message_validate trigger, so that a direct INSERT is held
-- to the same rules. Errors are raised with THROW: "problem. Hint: fix".
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
