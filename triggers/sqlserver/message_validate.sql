SET ANSI_NULLS ON;
SET QUOTED_IDENTIFIER ON;
GO
-- Validation of relay.message rows, whatever writes them (relay.enqueue, a
-- host's own INSERT, a DBA's UPDATE).
--
-- Rejects, with THROW and a message naming the column and the fix:
--   50002  a blank receiver (only Unicode white space), on insert and when
--          the column changes; a receiver with white space around it is
--          trimmed (relay.enqueue trims already; a direct INSERT is not);
--   50006  on insert, a message bigger than relay.settings.max_message_bytes
--          (title, body and payload, DATALENGTH: 2 bytes a character);
--   50008  on insert, a message not born pending: status, attempts,
--          sent_at, last_error, response_code, response_body, locked_by
--          and locked_until are the listener's to set. Members of db_owner
--          may, for importing history (they could disable this trigger
--          anyway). relay.enqueue sets none of them.
-- A NULL title cannot get here (NOT NULL: error 515) and an unknown
-- channel neither (foreign key message_channel_fkey: error 547): SQL
-- Server checks constraints before AFTER triggers, so relay.enqueue checks
-- those two itself, with errors 50001 and 50005. A disabled channel is no
-- error: the message waits (trigger relay.channel_enabled wakes it).
--
-- Keeps next_attempt_at consistent with status, the invariant the claim
-- relies on: NULL (and no lock) once sent, dead or cancelled; set (to now
-- if missing) while pending or sending. So `UPDATE relay.message SET
-- status = 'pending' WHERE id = ...` just works. PostgreSQL also has a
-- CHECK for it; here a CHECK would be evaluated before this trigger and
-- reject the very updates it completes, so the trigger alone owns the
-- invariant, and it updates only the rows that break it.
--
-- Cost for the listener: its claims and write-backs change status but
-- never channel or receiver, and always keep the invariant themselves, so
-- they pay one scan of the statement's own rows (inserted) and no update.
-- Statements that change none of status, channel, receiver and
-- next_attempt_at return at once.
--
-- dbrelay's own: `dbrelay migrate up` restores it. Put your own checks in
-- relay.push (or a trigger of your own). THROW numbers 50000-50099 are dbrelay's.
CREATE OR ALTER TRIGGER relay.message_validate
ON relay.message
AFTER INSERT, UPDATE
AS
BEGIN
    SET NOCOUNT ON;

    DECLARE @blanks nvarchar(40);
    DECLARE @not_blank nvarchar(50);
    DECLARE @edge nvarchar(50);
    DECLARE @limit int;
    DECLARE @size bigint;
    DECLARE @msg nvarchar(2048);

    IF NOT (UPDATE(status) OR UPDATE(channel) OR UPDATE(receiver) OR UPDATE(next_attempt_at))
    BEGIN
        RETURN;
    END;

    IF UPDATE(receiver)
    BEGIN
        -- As in relay.push: Unicode White_Space and the zero-width characters.
        SET @blanks = NCHAR(9) + NCHAR(10) + NCHAR(11) + NCHAR(12) + NCHAR(13) + NCHAR(32) + NCHAR(133) + NCHAR(160)
            + NCHAR(5760) + NCHAR(6158) + NCHAR(8192) + NCHAR(8193) + NCHAR(8194) + NCHAR(8195) + NCHAR(8196)
            + NCHAR(8197) + NCHAR(8198) + NCHAR(8199) + NCHAR(8200) + NCHAR(8201) + NCHAR(8202) + NCHAR(8203)
            + NCHAR(8204) + NCHAR(8205) + NCHAR(8232) + NCHAR(8233) + NCHAR(8239) + NCHAR(8287) + NCHAR(8288)
            + NCHAR(12288) + NCHAR(65279);
        SET @not_blank = N'%[^' + @blanks + N']%';
        SET @edge = N'[' + @blanks + N']%';
        IF EXISTS (SELECT 1 FROM inserted WHERE PATINDEX(@not_blank, receiver COLLATE Latin1_General_100_BIN2) = 0)
        BEGIN
            THROW 50002, N'relay.message: receiver is empty or blank. Hint: Pass the receiver''s name (relay.enqueue''s @Receiver).', 1;
        END;
        IF EXISTS (
            SELECT 1
            FROM inserted
            WHERE
                receiver COLLATE Latin1_General_100_BIN2 LIKE @edge
                OR REVERSE(receiver COLLATE Latin1_General_100_BIN2) LIKE @edge
        )
        BEGIN
            UPDATE m
            SET m.receiver = SUBSTRING(
                m.receiver COLLATE Latin1_General_100_BIN2,
                PATINDEX(@not_blank, m.receiver COLLATE Latin1_General_100_BIN2),
                DATALENGTH(m.receiver) / 2
                - PATINDEX(@not_blank, m.receiver COLLATE Latin1_General_100_BIN2)
                - PATINDEX(@not_blank, REVERSE(m.receiver COLLATE Latin1_General_100_BIN2)) + 2
            )
            FROM relay.message AS m
            INNER JOIN inserted AS i ON m.id = i.id
            WHERE
                i.receiver COLLATE Latin1_General_100_BIN2 LIKE @edge
                OR REVERSE(i.receiver COLLATE Latin1_General_100_BIN2) LIKE @edge;
        END;
    END;

    IF NOT EXISTS (SELECT 1 FROM deleted)
    BEGIN
        -- An insert.
        SELECT @limit = max_message_bytes FROM relay.settings WHERE id = 1;
        SELECT @size = MAX(
            ISNULL(DATALENGTH(title), 0) + ISNULL(DATALENGTH(body), 0) + ISNULL(DATALENGTH(payload), 0)
        )
        FROM inserted;
        IF @size > @limit
        BEGIN
            SET @msg = N'relay.message: the message is ' + CONVERT(nvarchar(20), @size)
                + N' bytes (title, body and payload, 2 a character), over relay.settings.max_message_bytes ('
                + CONVERT(nvarchar(20), @limit) + N'). Hint: Send less (keep large documents in your own table'
                + N' and pass a reference), or raise the limit: UPDATE relay.settings SET max_message_bytes = ...';
            THROW 50006, @msg, 1;
        END;
        IF IS_MEMBER(N'db_owner') = 0
            AND EXISTS (
                SELECT 1
                FROM inserted
                WHERE
                    status <> N'pending' OR attempts <> 0 OR sent_at IS NOT NULL OR last_error IS NOT NULL
                    OR response_code IS NOT NULL OR response_body IS NOT NULL
                    OR locked_by IS NOT NULL OR locked_until IS NOT NULL
            )
        BEGIN
            THROW 50008, N'relay.message: a message is born pending: status, attempts, sent_at, last_error, response_code, response_body, locked_by and locked_until are the listener''s to set. Hint: Insert with relay.enqueue (or without those columns); only members of db_owner may import finished messages.', 1;
        END;
    END;

    IF (UPDATE(status) OR UPDATE(next_attempt_at))
        AND EXISTS (
            SELECT 1
            FROM inserted
            WHERE
                (
                    status IN (N'sent', N'dead', N'cancelled')
                    AND (next_attempt_at IS NOT NULL OR locked_by IS NOT NULL OR locked_until IS NOT NULL)
                )
                OR (status IN (N'pending', N'sending') AND next_attempt_at IS NULL)
        )
    BEGIN
        UPDATE m
        SET
            next_attempt_at = CASE
                WHEN m.status IN (N'sent', N'dead', N'cancelled') THEN NULL
                ELSE ISNULL(m.next_attempt_at, SYSUTCDATETIME())
            END,
            locked_by = CASE WHEN m.status IN (N'sent', N'dead', N'cancelled') THEN NULL ELSE m.locked_by END,
            locked_until = CASE WHEN m.status IN (N'sent', N'dead', N'cancelled') THEN NULL ELSE m.locked_until END
        FROM relay.message AS m
        INNER JOIN inserted AS i ON m.id = i.id
        WHERE
            (
                m.status IN (N'sent', N'dead', N'cancelled')
                AND (m.next_attempt_at IS NOT NULL OR m.locked_by IS NOT NULL OR m.locked_until IS NOT NULL)
            )
            OR (m.status IN (N'pending', N'sending') AND m.next_attempt_at IS NULL);
    END;
END;
GO
-- A disabled trigger is drift: applying this file enables it again (through
-- sp_executesql only because sqlfluff 3.3.1 cannot parse ENABLE TRIGGER).
EXEC sp_executesql N'ENABLE TRIGGER relay.message_validate ON relay.message';
GO
