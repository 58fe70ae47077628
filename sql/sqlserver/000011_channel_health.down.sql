-- dbrelay 000011 down (SQL Server): removes relay.channel_health.
--
-- One batch, one transaction. relay_api.channel_stats reads the table, so
-- the view goes first; version 9's `dbrelay migrate up` creates version 9's
-- view again. If one of your objects depends on the view or the table (a
-- view WITH SCHEMABINDING), a DROP fails, XACT_ABORT rolls everything back,
-- and nothing is dropped.

SET XACT_ABORT ON;
BEGIN TRANSACTION;

IF OBJECT_ID(N'relay_api.channel_stats', N'V') IS NOT NULL
    EXEC sp_executesql N'DROP VIEW relay_api.channel_stats';
DROP TABLE relay.channel_health;

COMMIT TRANSACTION;
