-- Least-privilege roles for dbrelay on SQL Server (and Azure SQL Database).
-- Rename the roles to your site's conventions; run it in the dbrelay
-- database after `dbrelay migrate up`.
--
-- Who may run it: CREATE ROLE needs the CREATE ROLE permission in the
-- database (db_securityadmin, or db_owner); the GRANTs need CONTROL on the
-- objects, which their owner (dbo) has: run it as a member of db_owner.
-- CREATE LOGIN, at the end, needs ALTER ANY LOGIN on the server
-- (securityadmin); on Azure SQL Database use a contained user instead.
--
--   relay_host      the host application: calls relay.push (and
--                   relay.enqueue) and reads relay_api. Nothing else: it
--                   cannot read relay.channel (targets, header values,
--                   secret names) or relay.recipient (addresses), and cannot
--                   write relay.message, so it cannot forge an outcome.
--   relay_listener  `dbrelay listen` (also `dbrelay status` and `retry`):
--                   claims, delivers, writes outcomes back.
--   relay_reader    dashboards and reports: relay_api only.
--
-- How the host pushes without reading the tables: every object is owned by
-- dbo, so ownership chaining lets relay.push read relay.recipient and
-- relay.settings, call relay.enqueue and insert into relay.message on the
-- caller's behalf; SQL Server checks only the EXECUTE on the procedure the
-- caller named. The same holds for the views in relay_api (SELECT on the
-- schema is enough) and for the triggers calling relay.on_outcome in the
-- listener's write-back (no grant needed). Nothing is granted to public.
--
-- Why relay_host may call relay.enqueue: it is the stable insert for hosts
-- that route messages themselves, and it can do nothing push cannot: it
-- addresses a channel by code, whose target and secrets the host can
-- neither see nor change, and every message it inserts is born pending.
-- Drop that GRANT if your host only pushes.
--
-- Checked by sqlcheck (what relay_host and relay_reader may be granted, on
-- every `go test`) and, with MSSQL_URL set, by dialect/sqlserver's
-- TestLeastPrivilegeRoles, which tries every denial under each role.

CREATE ROLE relay_host AUTHORIZATION dbo;
CREATE ROLE relay_listener AUTHORIZATION dbo;
CREATE ROLE relay_reader AUTHORIZATION dbo;

GRANT SELECT ON SCHEMA::relay_api TO relay_host, relay_listener, relay_reader;

-- The host: push, enqueue, raise events (docs/events.md), mark its inbox
-- messages read (relay.mark_read sets relay_api.inbox.read_at and nothing
-- else) and attach files to the email messages it enqueued (relay.attach,
-- while they are pending), nothing more.
GRANT EXECUTE ON OBJECT::relay.push TO relay_host;
GRANT EXECUTE ON OBJECT::relay.enqueue TO relay_host;
GRANT EXECUTE ON OBJECT::relay.raise TO relay_host;
GRANT EXECUTE ON OBJECT::relay.mark_read TO relay_host;
GRANT EXECUTE ON OBJECT::relay.attach TO relay_host;

-- The listener: claim and write back, retry, status; record attempts; read
-- the channels and the schema version.
GRANT SELECT, UPDATE ON OBJECT::relay.message TO relay_listener;
GRANT SELECT, INSERT ON OBJECT::relay.delivery TO relay_listener;  -- SELECT: an idempotent write-back reads what an earlier run of it recorded
GRANT SELECT ON OBJECT::relay.settings TO relay_listener;  -- max_message_bytes, read by the claim
GRANT SELECT ON OBJECT::relay.channel TO relay_listener;
GRANT SELECT, INSERT, DELETE ON OBJECT::relay.channel_health TO relay_listener;  -- its view of each channel (migration 10)
GRANT SELECT ON OBJECT::relay.schema_migrations TO relay_listener;
GRANT EXECUTE ON OBJECT::relay.run_hooks TO relay_listener;  -- the queued outcome hooks, after the write-back
GRANT SELECT, INSERT, UPDATE ON OBJECT::relay.channel_rate TO relay_listener;  -- rate-limited channels' schedule
GRANT EXECUTE ON OBJECT::relay.echo_due TO relay_listener;  -- the periodic ECHO health check
-- Email channels: read attachments, record each SMTP attempt (insert only).
GRANT SELECT ON OBJECT::relay.attachment TO relay_listener;
GRANT SELECT, INSERT ON OBJECT::relay.mail_audit TO relay_listener;

-- `dbrelay mail-in` (docs/mail-in.md): stores mails and attachments and
-- calls the hook itself (no ownership chain covers its own statements).
CREATE ROLE relay_mailin AUTHORIZATION dbo;
GRANT SELECT, INSERT ON OBJECT::relay.inbound_mail TO relay_mailin;
GRANT INSERT ON OBJECT::relay.inbound_mail_attachment TO relay_mailin;
GRANT EXECUTE ON OBJECT::relay.on_mail TO relay_mailin;
GRANT SELECT ON OBJECT::relay.schema_migrations TO relay_mailin;

-- `dbrelay serve` (docs/inbound.md): reads the endpoints, records each
-- request and its idempotency key, runs the endpoints' procedures. Grant it
-- EXECUTE on each procedure you register with `dbrelay endpoint add` too:
--   GRANT EXECUTE ON OBJECT::app.on_order TO relay_serve;
CREATE ROLE relay_serve AUTHORIZATION dbo;
GRANT SELECT ON OBJECT::relay.endpoint TO relay_serve;
GRANT SELECT, INSERT, UPDATE ON OBJECT::relay.inbound TO relay_serve;
GRANT SELECT, INSERT, DELETE ON OBJECT::relay.inbound_seen TO relay_serve;
GRANT SELECT ON OBJECT::relay.schema_migrations TO relay_serve;
GRANT EXECUTE ON OBJECT::relay.on_inbound TO relay_serve;

-- Logins and users (in master, then here), e.g. for the listener:
--   CREATE LOGIN dbrelay_listen WITH PASSWORD = N'...', CHECK_POLICY = ON;
--   CREATE USER dbrelay_listen FOR LOGIN dbrelay_listen;
--   ALTER ROLE relay_listener ADD MEMBER dbrelay_listen;
-- Azure SQL Database, a contained user instead:
--   CREATE USER dbrelay_listen WITH PASSWORD = N'...';
-- The host's existing database user:
--   ALTER ROLE relay_host ADD MEMBER oa_app;
