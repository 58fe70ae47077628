-- dbrelay 000012 (SQL Server): idempotent write-backs (issue 13, defect 3).
--
-- One batch, one transaction (golang-migrate's sqlserver driver sends the
-- file as it is; it also runs as it is in sqlcmd or SSMS).
--
-- A write-back whose reply is lost is run again (by database/sql on a bad
-- connection, and by the listener's retry). It must not record an attempt
-- twice, so every relay.delivery row now names the claim it was made under,
-- and (message_id, claim_token, attempt) is unique: the write-back inserts
-- only what is not there yet.
--
--   claim_token  the token of the claim the attempt was made under
--                (relay.message.locked_by at the time). Rows written before
--                this migration get N'before-000012:<id>', unique per row:
--                SQL Server's unique key treats NULLs as equal, and a
--                filtered index would fail DML for sessions with
--                QUOTED_IDENTIFIER off (error 1934; deleting a message
--                cascades here). A row inserted by hand without a token is
--                allowed once per message and attempt.
--   applied      1 when the attempt's outcome became the message's status;
--                0 when the claim's lease had run out and the message had
--                been claimed again before the write-back (the call really
--                happened, so it is recorded, once, but a later claim decides
--                the message's status). NULL in rows written before this
--                migration.
--
-- The unique key starts with message_id, so it replaces the index
-- delivery_message.
--
-- Upgrading: relay.delivery is rewritten (every row gets its claim_token).
-- Down (000012_delivery_fence.down.sql) drops both columns and the key and
-- recreates delivery_message.

SET XACT_ABORT ON;
BEGIN TRANSACTION;

ALTER TABLE relay.delivery ADD claim_token nvarchar(200) NULL, applied bit NULL;
EXEC sp_executesql N'UPDATE relay.delivery SET claim_token = N''before-000012:'' + CONVERT(nvarchar(20), id)';
ALTER TABLE relay.delivery ADD CONSTRAINT delivery_attempt_key UNIQUE (message_id, claim_token, attempt);
DROP INDEX delivery_message ON relay.delivery;

COMMIT TRANSACTION;
