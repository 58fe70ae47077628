-- dbrelay 000002 down (PostgreSQL): back to version 1's tables.
--
-- Drops this release's channel triggers and relay.settings.max_message_bytes.
-- Version 1's object files must be applied afterwards (with version 1's
-- `dbrelay migrate up`): this release's relay.enqueue and message_validate
-- read the column. EXECUTE is not granted back to PUBLIC: docs/
-- postgres-roles.sql grants what each role needs, in both versions.
DROP TRIGGER IF EXISTS channel_validate ON relay.channel;
DROP TRIGGER IF EXISTS channel_enabled ON relay.channel;
DROP FUNCTION IF EXISTS relay.channel_validate();
DROP FUNCTION IF EXISTS relay.channel_enabled();
DELETE FROM relay.schema_object WHERE path IN ('triggers/postgres/channel_validate.sql', 'triggers/postgres/channel_enabled.sql');
ALTER TABLE relay.settings DROP COLUMN max_message_bytes;
