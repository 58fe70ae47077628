-- dbrelay 000012 down (SQL Server): back to version 11's relay.delivery.
--
-- One batch, one transaction. Drops claim_token, applied and their unique
-- key, and recreates the index delivery_message. Version 2's listener must
-- run afterwards (this release's write-back writes the dropped columns).

SET XACT_ABORT ON;
BEGIN TRANSACTION;

-- relay_api.deliveries reads applied, so the view goes first; version 11's
-- `dbrelay migrate up` creates version 11's view again.
IF OBJECT_ID(N'relay_api.deliveries', N'V') IS NOT NULL
    EXEC sp_executesql N'DROP VIEW relay_api.deliveries';
CREATE NONCLUSTERED INDEX delivery_message ON relay.delivery (message_id);
ALTER TABLE relay.delivery DROP CONSTRAINT delivery_attempt_key;
ALTER TABLE relay.delivery DROP COLUMN applied, claim_token;

COMMIT TRANSACTION;
