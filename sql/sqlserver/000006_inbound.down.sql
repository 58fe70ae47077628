-- dbrelay 000006 down (SQL Server): removes inbound HTTP's tables and the
-- default endpoint procedure (relay.on_inbound, customised or not).
-- One batch, one transaction.

SET XACT_ABORT ON;
BEGIN TRANSACTION;

IF OBJECT_ID(N'relay.on_inbound', N'P') IS NOT NULL
    DROP PROCEDURE relay.on_inbound;
DELETE FROM relay.schema_object WHERE path = N'procedures/sqlserver/on_inbound.sql';
DROP TABLE relay.inbound_seen;
DROP TABLE relay.inbound;
DROP TABLE relay.endpoint;

COMMIT TRANSACTION;
