-- dbrelay 000012 down (PostgreSQL): back to version 11's relay.delivery.
--
-- One implicit transaction. Drops claim_token, applied and their unique key,
-- and recreates the index delivery_message. Version 2's listener must run
-- afterwards (this release's write-back writes the dropped columns).
CREATE INDEX delivery_message ON relay.delivery (message_id);
ALTER TABLE relay.delivery
    DROP CONSTRAINT delivery_attempt_key,
    DROP COLUMN applied,
    DROP COLUMN claim_token;
