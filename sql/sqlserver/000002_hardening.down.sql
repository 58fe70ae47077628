-- dbrelay 000002 down (SQL Server): back to version 1's tables.
--
-- One batch, one transaction. Drops this release's channel triggers and
-- relay.settings.max_message_bytes (with its constraints). Version 1's
-- object files must be applied afterwards (with version 1's `dbrelay
-- migrate up`): this release's relay.enqueue and message_validate read the
-- column. EXECUTE is not granted back to public.

SET XACT_ABORT ON;
BEGIN TRANSACTION;

IF OBJECT_ID(N'relay.channel_validate', N'TR') IS NOT NULL
    EXEC sp_executesql N'DROP TRIGGER relay.channel_validate';
IF OBJECT_ID(N'relay.channel_enabled', N'TR') IS NOT NULL
    EXEC sp_executesql N'DROP TRIGGER relay.channel_enabled';
DELETE FROM relay.schema_object
WHERE path IN (N'triggers/sqlserver/channel_validate.sql', N'triggers/sqlserver/channel_enabled.sql');

ALTER TABLE relay.settings DROP CONSTRAINT settings_max_message_bytes_check;
ALTER TABLE relay.settings DROP CONSTRAINT settings_max_message_bytes_default;
ALTER TABLE relay.settings DROP COLUMN max_message_bytes;

COMMIT TRANSACTION;
