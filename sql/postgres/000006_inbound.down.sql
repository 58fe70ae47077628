-- dbrelay 000006 down (PostgreSQL): removes inbound HTTP's tables and the
-- default endpoint procedure (relay.on_inbound, customised or not).
DROP FUNCTION IF EXISTS relay.on_inbound(bigint, text, text, jsonb);
DELETE FROM relay.schema_object WHERE path = 'procedures/postgres/on_inbound.sql';
DROP TABLE relay.inbound_seen;
DROP TABLE relay.inbound;
DROP TABLE relay.endpoint;
