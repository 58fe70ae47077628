SET ANSI_NULLS ON;
SET QUOTED_IDENTIFIER ON;
GO
-- relay_api.inbox: the internal inbox (channels of kind internal), one row
-- per message a listener delivered to a receiver. The host shows a user
-- their messages from it and marks them read with relay.mark_read:
--   SELECT id, title, body, sender, created_at, read_at
--   FROM relay_api.inbox WHERE receiver = N'alice' ORDER BY id DESC;
--   SELECT COUNT(*) FROM relay_api.inbox WHERE receiver = N'alice' AND read_at IS NULL;
-- The unread count seeks the index message_inbox (inbox, receiver,
-- read_at). A message shows up once a listener marked it sent: the
-- listener delivers internal messages like every other kind, so a disabled
-- internal channel holds its messages back and relay.on_outcome runs for
-- them (docs/channels.md says why).
-- Called by: hosts (relay_host), dashboards.
-- Stable: columns are only ever added at the end, never renamed or dropped.
CREATE OR ALTER VIEW relay_api.inbox
AS
SELECT
    m.id,
    m.receiver,
    m.title,
    m.body,
    m.sender,
    m.created_at,
    m.read_at,
    m.channel,
    m.event,
    m.ref,
    m.payload,
    m.sent_at
FROM relay.message AS m
WHERE m.inbox = 1 AND m.status = N'sent';
GO
