-- dbrelay 000009 down (PostgreSQL): removes the inbox (its view, procedure,
-- trigger and columns: read marks are lost) and the rate limits (the
-- column and the listeners' schedule). Without CASCADE: if one of your
-- objects depends on these, this fails and drops nothing.
DROP FUNCTION IF EXISTS relay.mark_read(text, bigint[]);
DROP VIEW IF EXISTS relay_api.inbox;
DROP TRIGGER IF EXISTS message_inbox ON relay.message;
DROP FUNCTION IF EXISTS relay.message_inbox();
DELETE FROM relay.schema_object WHERE path IN (
    'procedures/postgres/mark_read.sql', 'views/postgres/inbox.sql', 'triggers/postgres/message_inbox.sql');
DROP TABLE relay.channel_rate;
ALTER TABLE relay.channel DROP COLUMN rate_per_minute;
DROP INDEX relay.message_inbox_unread;
DROP INDEX relay.message_inbox;
ALTER TABLE relay.message DROP COLUMN read_at, DROP COLUMN inbox;
