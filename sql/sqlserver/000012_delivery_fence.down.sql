-- dbrelay 000012 down (SQL Server): back to version 11's relay.delivery.
--
-- One batch, one transaction. Drops claim_token, applied and their unique
-- key, and recreates the index delivery_message. Version 2's listener must
-- run afterwards (this release's write-back writes the dropped columns).

SET XACT_ABORT ON;
BEGIN TRANSACTION;

CREATE NONCLUSTERED INDEX delivery_message ON relay.delivery (message_id);
ALTER TABLE relay.delivery DROP CONSTRAINT delivery_attempt_key;
ALTER TABLE relay.delivery DROP COLUMN applied, claim_token;

COMMIT TRANSACTION;
