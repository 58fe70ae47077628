-- dbrelay 000012 down (PostgreSQL): back to version 11's relay.delivery.
--
-- One implicit transaction. Drops claim_token, applied and their unique key,
-- and recreates the index delivery_message. Version 2's listener must run
-- afterwards (this release's write-back writes the dropped columns).
--
-- relay_api.deliveries reads applied, so the view goes first; version 11's
-- `dbrelay migrate up` creates version 11's view again. Never with CASCADE:
-- if one of your objects depends on the view, this fails and drops nothing.
DROP VIEW IF EXISTS relay_api.deliveries;
CREATE INDEX delivery_message ON relay.delivery (message_id);
ALTER TABLE relay.delivery
    DROP CONSTRAINT delivery_attempt_key,
    DROP COLUMN applied,
    DROP COLUMN claim_token;
