SET ANSI_NULLS ON;
SET QUOTED_IDENTIFIER ON;
GO
-- Marks messages for the inbox: relay.message.inbox is 1 when the
-- message's channel is of kind internal, NULL otherwise, decided when the
-- message is written (and again when its channel changes). relay_api.inbox
-- and the index message_inbox (which leads with inbox) rely on it.
--
-- Why a trigger: every way a message is written (relay.enqueue, a host's
-- own INSERT) must land in the inbox the same way. Changing a channel's
-- kind later does not move its old messages in or out of the inbox.
--
-- Cost: statements that change no channel return at once (the listener's
-- claims and write-backs); an insert pays one join of its own rows with
-- relay.channel, and an update of the internal ones only.
-- dbrelay's own: `dbrelay migrate up` restores it.
CREATE OR ALTER TRIGGER relay.message_inbox
ON relay.message
AFTER INSERT, UPDATE
AS
BEGIN
    SET NOCOUNT ON;

    IF NOT UPDATE(channel)
    BEGIN
        RETURN;
    END;

    UPDATE m
    SET m.inbox = CASE WHEN c.kind = N'internal' THEN 1 END
    FROM relay.message AS m
    INNER JOIN inserted AS i ON m.id = i.id
    INNER JOIN relay.channel AS c ON i.channel = c.code
    WHERE
        (c.kind = N'internal' AND m.inbox IS NULL)
        OR (c.kind <> N'internal' AND m.inbox IS NOT NULL);
END;
GO
-- A disabled trigger is drift: applying this file enables it again (through
-- sp_executesql only because sqlfluff 3.3.1 cannot parse ENABLE TRIGGER).
EXEC sp_executesql N'ENABLE TRIGGER relay.message_inbox ON relay.message';
GO
