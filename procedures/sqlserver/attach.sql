SET ANSI_NULLS ON;
SET QUOTED_IDENTIFIER ON;
GO
-- relay.attach: attach a file to an email message; its position (1 for the
-- first) comes back in @seq.
--
-- Called by: host code, right after relay.enqueue (or relay.push) in the
-- same transaction, so the listener never sees the message without its
-- attachments:
--   DECLARE @id bigint;
--   BEGIN TRANSACTION;
--   EXEC relay.enqueue @Sender = N'oa', @Receiver = N'lisi', @Channel = N'mail',
--        @Title = N'Expense claim', @Id = @id OUTPUT;
--   EXEC relay.attach @message_id = @id, @filename = N'claim.pdf',
--        @content = @pdf, @content_type = N'application/pdf';
--   COMMIT;
--
-- The file travels in the database; dbrelay never reads a path from the
-- listener's disk. Refused with THROW, each with its own number and a
-- message that starts with the error's name:
--   50051 attachment_too_large        content over
--         relay.settings.mail_max_attachment_bytes (default 1 MB)
--   50052 attachment_extension_prohibited   the file name's extension is
--         in relay.settings.mail_prohibited_extensions (default
--         exe,dll,vbs,js; comma separated, case-insensitive)
--   50053 attachment_not_allowed      no such message, not on an email
--         channel, or already claimed or attempted (attach in the
--         enqueueing transaction)
--   50054 attachment_invalid          empty or over-long file name, a
--         path (/ or \) or control characters in it, NULL content
--
-- Permissions: EXECUTE only (docs/sqlserver-roles.sql grants it to
-- relay_host); ownership chaining lets it insert into relay.attachment.
-- dbrelay's own: `dbrelay migrate up` restores it.
CREATE OR ALTER PROCEDURE relay.attach
    @message_id bigint,
    @filename nvarchar(400),
    @content varbinary(max),
    @content_type nvarchar(400) = NULL,
    @seq int = NULL OUTPUT
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;

    DECLARE @limit int;
    DECLARE @prohibited nvarchar(400);
    DECLARE @ext nvarchar(400);
    DECLARE @dot int;
    DECLARE @kind nvarchar(16);
    DECLARE @status nvarchar(16);
    DECLARE @attempts int;
    DECLARE @locked_by nvarchar(200);
    DECLARE @msg nvarchar(2048);

    IF @filename IS NULL OR @filename = N'' OR LEN(@filename) > 255 OR @content IS NULL
        OR PATINDEX(N'%[/\' + NCHAR(1) + N'-' + NCHAR(31) + NCHAR(127) + N']%', @filename COLLATE Latin1_General_100_BIN2) > 0
    BEGIN
        THROW 50054, N'relay.attach: attachment_invalid: @filename must be a file name (1 to 255 characters, no / or \ or control characters) and @content not NULL. Hint: Pass the file''s bytes and its bare name, e.g. N''report.pdf''.', 1;
    END;

    SELECT @limit = mail_max_attachment_bytes, @prohibited = mail_prohibited_extensions
    FROM relay.settings WHERE id = 1;
    IF DATALENGTH(@content) > @limit
    BEGIN
        SET @msg = N'relay.attach: attachment_too_large: ' + @filename + N' is '
            + CONVERT(nvarchar(20), DATALENGTH(@content)) + N' bytes, over relay.settings.mail_max_attachment_bytes ('
            + CONVERT(nvarchar(20), @limit) + N'). Hint: Send a link instead, or raise the setting'
            + N' (your mail server has its own limit too).';
        THROW 50051, @msg, 1;
    END;

    SET @dot = CHARINDEX(N'.', REVERSE(@filename));
    IF @dot > 0
    BEGIN
        SET @ext = LOWER(RIGHT(@filename, @dot - 1));
        IF CHARINDEX(N',' + @ext + N',', N',' + LOWER(REPLACE(@prohibited, N' ', N'')) + N',') > 0
        BEGIN
            SET @msg = N'relay.attach: attachment_extension_prohibited: ' + @filename + N' has the extension .'
                + @ext + N', listed in relay.settings.mail_prohibited_extensions (' + @prohibited
                + N'). Hint: Send another format (zip it, or a PDF), or change the setting.';
            THROW 50052, @msg, 1;
        END;
    END;

    SELECT @status = m.status, @attempts = m.attempts, @locked_by = m.locked_by, @kind = c.kind
    FROM relay.message AS m WITH (UPDLOCK, ROWLOCK)
    INNER JOIN relay.channel AS c ON c.code = m.channel
    WHERE m.id = @message_id;
    IF @kind IS NULL OR @kind <> N'email' OR @status <> N'pending' OR @attempts <> 0 OR @locked_by IS NOT NULL
    BEGIN
        SET @msg = N'relay.attach: attachment_not_allowed: message ' + ISNULL(CONVERT(nvarchar(20), @message_id), N'NULL')
            + CASE
                WHEN @kind IS NULL THEN N' does not exist'
                WHEN @kind <> N'email' THEN N' is on a ' + @kind + N' channel; only email messages carry attachments'
                ELSE N' is already being delivered'
            END
            + N'. Hint: Call relay.attach in the transaction that enqueued the message.';
        THROW 50053, @msg, 1;
    END;

    SELECT @seq = ISNULL(MAX(seq), 0) + 1 FROM relay.attachment WITH (UPDLOCK, HOLDLOCK) WHERE message_id = @message_id;
    INSERT INTO relay.attachment (message_id, seq, filename, content_type, content)
    VALUES (@message_id, @seq, @filename, ISNULL(@content_type, N''), @content);
END;
GO
-- Granted explicitly (docs/sqlserver-roles.sql), never to public.
-- (Through sp_executesql only because sqlfluff 3.3.1 cannot parse REVOKE.)
EXEC sp_executesql N'REVOKE EXECUTE ON OBJECT::relay.attach FROM public';
GO
