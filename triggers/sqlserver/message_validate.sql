SET ANSI_NULLS ON;
SET QUOTED_IDENTIFIER ON;
GO
-- Validation of relay.message rows, whatever writes them (relay.enqueue, a
-- host's own INSERT, a DBA's UPDATE).
--
-- Rejects, with THROW and a message naming the column and the fix: an empty
-- receiver (50002) and a disabled channel (50004), on insert and when the
-- column changes. A NULL title cannot get here (NOT NULL: error 515) and an
-- unknown channel neither (foreign key message_channel_fkey: error 547):
-- SQL Server checks constraints before AFTER triggers, so relay.enqueue
-- checks those two itself, with errors 50001 and 50005.
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

    DECLARE @not_blank nvarchar(10);
    DECLARE @channel nvarchar(100);
    DECLARE @msg nvarchar(2048);

    IF NOT (UPDATE(status) OR UPDATE(channel) OR UPDATE(receiver) OR UPDATE(next_attempt_at))
    BEGIN
        RETURN;
    END;

    IF UPDATE(receiver)
    BEGIN
        -- Any character but space, tab, LF and CR.
        SET @not_blank = N'%[^' + NCHAR(32) + NCHAR(9) + NCHAR(10) + NCHAR(13) + N']%';
        IF EXISTS (SELECT 1 FROM inserted WHERE PATINDEX(@not_blank, receiver COLLATE Latin1_General_100_BIN2) = 0)
        BEGIN
            THROW 50002, N'relay.message: receiver is empty. Hint: Pass the receiver''s name (relay.enqueue''s @Receiver).', 1;
        END;
    END;

    IF UPDATE(channel)
    BEGIN
        SELECT TOP (1) @channel = i.channel
        FROM inserted AS i
        INNER JOIN relay.channel AS c ON i.channel = c.code
        LEFT JOIN deleted AS d ON i.id = d.id
        WHERE c.enabled = 0 AND (d.id IS NULL OR d.channel <> i.channel)
        ORDER BY i.id;
        IF @channel IS NOT NULL
        BEGIN
            SET @msg = N'relay.message: channel "' + @channel + N'" is disabled.'
                + N' Hint: Enable it (UPDATE relay.channel SET enabled = 1 WHERE code = N'''
                + REPLACE(@channel, N'''', N'''''') + N''') or use another channel.';
            THROW 50004, @msg, 1;
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
