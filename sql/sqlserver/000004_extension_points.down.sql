-- dbrelay 000004 down (SQL Server). One batch, one transaction: if one of
-- the host's objects depends on what this drops (a view WITH SCHEMABINDING
-- on relay_api.hook_failures), nothing is dropped.

SET XACT_ABORT ON;
BEGIN TRANSACTION;

IF OBJECT_ID(N'relay_api.hook_failures', N'V') IS NOT NULL
    DROP VIEW relay_api.hook_failures;
DROP TABLE relay.hook_run;
DROP TABLE relay.schema_object_history;
ALTER TABLE relay.schema_object DROP COLUMN shipped_sha256;

COMMIT TRANSACTION;
