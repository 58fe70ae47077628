-- dbrelay 000009 (PostgreSQL): the internal inbox and per-channel rate
-- limits (docs/channels.md, "Internal inbox" and "Rate limits").
--
-- Applied by `dbrelay migrate up`, or by hand with the upstream CLI
-- (migrate -path sql/postgres -database "$URL" up), followed by this
-- release's object files (relay_api.inbox, relay.mark_read, the trigger
-- message_inbox), which `dbrelay migrate up` applies.

-- The inbox: messages on an internal channel, read per receiver through
-- relay_api.inbox and marked read with relay.mark_read.
--   inbox    true when the message's channel was of kind internal when
--            the message was written (set by the trigger message_inbox);
--            NULL for every other message, so that the indexes below hold
--            inbox messages only.
--   read_at  when the host marked it read (relay.mark_read); NULL = unread.
-- Both columns are nullable without a default: adding them rewrites
-- nothing. Messages already on internal channels join the inbox, unread.
ALTER TABLE relay.message
    ADD COLUMN inbox boolean,
    ADD COLUMN read_at timestamptz;
UPDATE relay.message m SET inbox = true
FROM relay.channel c
WHERE c.code = m.channel AND c.kind = 'internal';
-- A receiver's inbox, newest first.
CREATE INDEX message_inbox ON relay.message (receiver, id) WHERE inbox;
-- Unread counts (SELECT count(*) FROM relay_api.inbox WHERE receiver = …
-- AND read_at IS NULL): the unread messages only, so the count costs what
-- the receiver has unread, not their history.
CREATE INDEX message_inbox_unread ON relay.message (receiver, status) WHERE inbox AND read_at IS NULL;

-- Per-channel rate limit: most messages the channel may send per minute,
-- over all listeners together; NULL = no limit. 20 a second is 1200.
ALTER TABLE relay.channel
    ADD COLUMN rate_per_minute integer
    CONSTRAINT channel_rate_per_minute_check CHECK (rate_per_minute BETWEEN 1 AND 6000000);

-- The shared schedule of each rate-limited channel, kept by the listeners
-- (one row per channel, created on its first message). Each message
-- reserves the next free slot, one every 60/rate_per_minute seconds, by
-- the database's clock, under the row's lock: so the limit holds whatever
-- the number of listeners, with no clock of theirs involved.
--   next_at         the first free slot for a message sent now
--   deferred_until  the first slot not promised to a message sent back to
--                   wait in the table (its attempt not counted), so that
--                   those come back one slot apart instead of together
CREATE TABLE relay.channel_rate (
    channel        text        PRIMARY KEY REFERENCES relay.channel (code) ON UPDATE CASCADE ON DELETE CASCADE,
    next_at        timestamptz NOT NULL,
    deferred_until timestamptz NOT NULL
);
