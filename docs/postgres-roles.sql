-- Least-privilege roles for dbrelay on PostgreSQL. Rename the roles to your
-- site's conventions; give them LOGIN and passwords as you usually do
-- (CREATE ROLE … LOGIN PASSWORD …, or GRANT relay_host TO app).
--
-- Who may run it: the CREATE ROLE lines need a role with the CREATEROLE
-- attribute (or a superuser); the GRANT lines need the owner of the relay
-- schemas and their objects (the role that ran `dbrelay migrate up`). Run
-- the whole script as a role that is both, or split it: CREATE ROLE as the
-- administrator, the rest as the owner. Run it after `dbrelay migrate up`.
--
--   relay_host      the host application: calls relay.push (and
--                   relay.enqueue) in its own transactions, reads
--                   relay_api and marks inbox messages read
--                   (relay.mark_read). Nothing else: it cannot read relay.channel
--                   (targets, header values, secret names) or
--                   relay.recipient (addresses), and cannot write
--                   relay.message, so it cannot forge an outcome.
--   relay_listener  `dbrelay listen` (also `dbrelay status` and `retry`):
--                   claims, delivers, writes outcomes back.
--   relay_reader    dashboards and reports: relay_api only.
--   relay_mailin    `dbrelay mail-in`: stores mail, calls relay.on_mail.
--   relay_serve     `dbrelay serve`: records requests, runs endpoint functions.
--
-- How the host pushes without reading the tables: relay.push and
-- relay.enqueue are SECURITY DEFINER (they run as their owner, with
-- search_path fixed to pg_catalog, pg_temp), and every function and
-- procedure in relay and relay_api is revoked from PUBLIC, so EXECUTE is
-- granted here explicitly, to the role that needs it. The views in
-- relay_api run with their owner's rights too: SELECT on them is enough.
--
-- Why relay_host may call relay.enqueue: it is the stable insert for hosts
-- that route messages themselves (an event with a payload and a ref), and it
-- can do nothing push cannot: it addresses a channel by code, whose target
-- and secrets the host can neither see nor change, and every message it
-- inserts is born pending. Drop that GRANT if your host only pushes.
--
-- Exercised by cmd/dbrelay's TestLeastPrivilegeRoles, which checks every
-- denial below under the role.

CREATE ROLE relay_host NOLOGIN;
CREATE ROLE relay_listener NOLOGIN;
CREATE ROLE relay_reader NOLOGIN;
CREATE ROLE relay_mailin NOLOGIN;

-- Everyone reads the stable views. USAGE on schema relay is only for
-- naming the routines and tables granted below; it gives no access by
-- itself.
GRANT USAGE ON SCHEMA relay_api TO relay_host, relay_listener, relay_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA relay_api TO relay_host, relay_listener, relay_reader;
GRANT USAGE ON SCHEMA relay TO relay_host, relay_listener;

-- The host: push, enqueue, raise events (docs/events.md), mark its inbox
-- messages read (relay.mark_read sets relay_api.inbox.read_at and nothing
-- else) and attach files to the email messages it enqueued (relay.attach,
-- while they are pending), nothing more.
GRANT EXECUTE ON PROCEDURE relay.push(text, text, text, text) TO relay_host;
GRANT EXECUTE ON FUNCTION relay.enqueue(text, text, text, text, text, jsonb, text, text, text) TO relay_host;
GRANT EXECUTE ON FUNCTION relay.raise(text, text, jsonb) TO relay_host;
GRANT EXECUTE ON FUNCTION relay.mark_read(text, bigint[]) TO relay_host;
GRANT EXECUTE ON FUNCTION relay.attach(bigint, text, bytea, text) TO relay_host;

-- The listener: claim and write back, log attempts, keep its idle mark,
-- read the channels and the schema version. Its hook runner calls
-- relay.run_hooks, which takes the queued calls from relay.hook_run (the
-- outcome trigger queues them with the owner's rights) and calls
-- relay.on_outcome with the listener's rights: grant it whatever your hook
-- writes too (or make your hook SECURITY DEFINER, keeping its REVOKE).
GRANT SELECT, UPDATE ON relay.message TO relay_listener;
GRANT SELECT, INSERT ON relay.delivery TO relay_listener;  -- SELECT: an idempotent write-back reads what an earlier run of it recorded
GRANT SELECT ON relay.settings TO relay_listener;  -- max_message_bytes, read by the claim
GRANT SELECT ON relay.channel, relay.schema_migrations TO relay_listener;
GRANT SELECT, INSERT, UPDATE, DELETE ON relay.listener TO relay_listener;
GRANT SELECT, UPDATE, DELETE ON relay.hook_run TO relay_listener;
GRANT SELECT, INSERT, DELETE ON relay.channel_health TO relay_listener;  -- its view of each channel (migration 10)
-- The rate-limited channels' shared schedule (one row per channel).
GRANT SELECT, INSERT, UPDATE ON relay.channel_rate TO relay_listener;
GRANT EXECUTE ON PROCEDURE relay.run_hooks(integer, bigint, bigint, integer, integer) TO relay_listener;
GRANT EXECUTE ON PROCEDURE relay.on_outcome(bigint, text, text, text, text, text) TO relay_listener;
-- The periodic ECHO health check (relay.channel.echo_every_s); SECURITY
-- DEFINER, it needs nothing else.
GRANT EXECUTE ON FUNCTION relay.echo_due() TO relay_listener;
-- Email channels: read a message's attachments, record each SMTP attempt
-- in the mail audit (the listener only inserts; nobody updates it).
GRANT SELECT ON relay.attachment TO relay_listener;
GRANT SELECT, INSERT ON relay.mail_audit TO relay_listener;

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

-- A role that inserts into relay.message itself (a host writing its outbox
-- rows by hand instead of calling relay.enqueue) needs INSERT, and what the
-- insert triggers read as that role: channel codes, the size limit and
-- whether a listener is idle (columns that hold nothing secret). Its rows
-- are checked as relay.enqueue's are, and born pending.
--   GRANT USAGE ON SCHEMA relay TO app_writer;
--   GRANT INSERT, SELECT (id) ON relay.message TO app_writer;
--   GRANT SELECT (code) ON relay.channel TO app_writer;
--   GRANT SELECT (id, max_message_bytes) ON relay.settings TO app_writer;
--   GRANT SELECT (idle, expires_at) ON relay.listener TO app_writer;
