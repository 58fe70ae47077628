-- dbrelay 000012 (PostgreSQL): idempotent write-backs (issue 13, defect 3).
--
-- Applied by `dbrelay migrate up`, or by hand with the upstream CLI
-- (migrate -path sql/postgres -database "$URL" up). One implicit
-- transaction.
--
-- A write-back whose reply is lost is run again (by database/sql on a bad
-- connection, and by the listener's retry). It must not record an attempt
-- twice, so every relay.delivery row now names the claim it was made under,
-- and (message_id, claim_token, attempt) is unique: the write-back inserts
-- with ON CONFLICT DO NOTHING.
--
--   claim_token  the token of the claim the attempt was made under
--                (relay.message.locked_by at the time). NULL in rows written
--                before this migration (and in rows inserted by hand without
--                one): NULLs are distinct in a unique key, so it binds only
--                the listener's rows.
--   applied      true when the attempt's outcome became the message's status;
--                false when the claim's lease had run out and the message
--                had been claimed again before the write-back (the call
--                really happened, so it is recorded, once, but a later claim
--                decides the message's status). NULL in rows written before
--                this migration.
--
-- The unique key starts with message_id, so it replaces the index
-- delivery_message.
--
-- Upgrading: adding the columns rewrites nothing; building the key reads
-- relay.delivery once, under a lock that makes write-backs wait meanwhile.
-- Down (000012_delivery_fence.down.sql) drops both columns and the key and
-- recreates delivery_message.
ALTER TABLE relay.delivery
    ADD COLUMN claim_token text,
    ADD COLUMN applied boolean,
    ADD CONSTRAINT delivery_attempt_key UNIQUE (message_id, claim_token, attempt);
DROP INDEX relay.delivery_message;
