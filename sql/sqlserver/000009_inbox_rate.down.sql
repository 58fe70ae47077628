-- dbrelay 000009 down (SQL Server): removes the inbox (its view, procedure,
-- trigger and columns: read marks are lost) and the rate limits (the
-- column and the listeners' schedule).
--
-- One batch, one transaction. If one of your objects depends on these, a
-- DROP fails, XACT_ABORT rolls everything back, and nothing is dropped.

SET XACT_ABORT ON;
BEGIN TRANSACTION;

IF OBJECT_ID(N'relay.mark_read', N'P') IS NOT NULL
    EXEC sp_executesql N'DROP PROCEDURE relay.mark_read';
IF OBJECT_ID(N'relay_api.inbox', N'V') IS NOT NULL
    EXEC sp_executesql N'DROP VIEW relay_api.inbox';
IF OBJECT_ID(N'relay.message_inbox', N'TR') IS NOT NULL
    EXEC sp_executesql N'DROP TRIGGER relay.message_inbox';
DELETE FROM relay.schema_object WHERE path IN (
    N'procedures/sqlserver/mark_read.sql', N'views/sqlserver/inbox.sql', N'triggers/sqlserver/message_inbox.sql'
);
DROP TABLE relay.channel_rate;
ALTER TABLE relay.channel DROP CONSTRAINT channel_rate_per_minute_check;
ALTER TABLE relay.channel DROP COLUMN rate_per_minute;
DROP INDEX message_inbox ON relay.message;
ALTER TABLE relay.message DROP COLUMN read_at, inbox;

COMMIT TRANSACTION;
