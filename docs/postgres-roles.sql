-- Least-privilege roles for dbrelay on PostgreSQL. Run as the owner of the
-- relay schemas (the role that ran `dbrelay migrate up`), after it. Rename
-- the roles to your site's conventions; give them LOGIN and passwords as you
-- usually do (CREATE ROLE … LOGIN PASSWORD …, or GRANT relay_host TO app).
--
--   relay_host      the host application: calls relay.push / relay.enqueue
--                   in its own transactions and reads relay_api.
--   relay_listener  `dbrelay listen`: claims, delivers, writes outcomes back.
--   relay_reader    dashboards and reports: relay_api only.
--   relay_mailin    `dbrelay mail-in`: stores mail, calls relay.on_mail.
--   relay_serve     `dbrelay serve`: records requests, runs endpoint functions.
--
-- Exercised by cmd/dbrelay's TestLeastPrivilegeRoles.

CREATE ROLE relay_host NOLOGIN;
CREATE ROLE relay_listener NOLOGIN;
CREATE ROLE relay_reader NOLOGIN;
CREATE ROLE relay_mailin NOLOGIN;

GRANT USAGE ON SCHEMA relay, relay_api TO relay_host, relay_listener, relay_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA relay_api TO relay_host, relay_listener, relay_reader;

-- The host: relay.push runs with the caller's rights, so the caller needs
-- what push, enqueue and the triggers read and write.
GRANT EXECUTE ON PROCEDURE relay.push(text, text, text, text) TO relay_host;
GRANT EXECUTE ON FUNCTION relay.enqueue(text, text, text, text, text, jsonb, text, text, text) TO relay_host;
-- INSERT … RETURNING id (in relay.enqueue) needs SELECT on id.
GRANT INSERT, SELECT (id) ON relay.message TO relay_host;
GRANT SELECT ON relay.channel, relay.recipient, relay.settings, relay.listener TO relay_host;

-- The listener: claim and write back, log attempts, keep its idle mark,
-- read the channels and the schema version. The outcome trigger calls
-- relay.on_outcome with the listener's rights: grant it whatever your hook
-- writes too (or make your hook SECURITY DEFINER).
GRANT SELECT, UPDATE ON relay.message TO relay_listener;
GRANT INSERT ON relay.delivery TO relay_listener;
GRANT SELECT ON relay.channel, relay.schema_migrations TO relay_listener;
GRANT SELECT, INSERT, UPDATE, DELETE ON relay.listener TO relay_listener;
GRANT EXECUTE ON PROCEDURE relay.on_outcome(bigint, text, text, text, text, text) TO relay_listener;

-- mail-in: store each mail and its attachments (INSERT … RETURNING id and
-- the duplicate check read id and message_id), call the hook, read the
-- schema version. relay.on_mail runs with mail-in's rights: grant it
-- whatever your hook writes too (or make your hook SECURITY DEFINER).
GRANT USAGE ON SCHEMA relay TO relay_mailin;
GRANT SELECT, INSERT ON relay.inbound_mail TO relay_mailin;
GRANT INSERT ON relay.inbound_mail_attachment TO relay_mailin;
GRANT SELECT ON relay.schema_migrations TO relay_mailin;
GRANT EXECUTE ON PROCEDURE relay.on_mail(bigint) TO relay_mailin;

-- `dbrelay serve` (inbound HTTP): reads the endpoints and the schema
-- version, records each request and its idempotency key, and runs the
-- endpoints' functions. It runs them with its own rights: grant it EXECUTE
-- on each endpoint function you register, and what that function touches
-- (or make the function SECURITY DEFINER).
CREATE ROLE relay_serve NOLOGIN;
GRANT USAGE ON SCHEMA relay TO relay_serve;
GRANT SELECT ON relay.endpoint, relay.schema_migrations TO relay_serve;
GRANT SELECT, INSERT, UPDATE ON relay.inbound TO relay_serve;
GRANT SELECT, INSERT, DELETE ON relay.inbound_seen TO relay_serve;
GRANT EXECUTE ON FUNCTION relay.on_inbound(bigint, text, text, jsonb) TO relay_serve;
