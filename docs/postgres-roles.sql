-- Least-privilege roles for dbrelay on PostgreSQL. Run as the owner of the
-- relay schemas (the role that ran `dbrelay migrate up`), after it. Rename
-- the roles to your site's conventions; give them LOGIN and passwords as you
-- usually do (CREATE ROLE … LOGIN PASSWORD …, or GRANT relay_host TO app).
--
--   relay_host      the host application: calls relay.push / relay.enqueue
--                   in its own transactions and reads relay_api.
--   relay_listener  `dbrelay listen`: claims, delivers, writes outcomes back.
--   relay_reader    dashboards and reports: relay_api only.
--
-- Exercised by cmd/dbrelay's TestLeastPrivilegeRoles.

CREATE ROLE relay_host NOLOGIN;
CREATE ROLE relay_listener NOLOGIN;
CREATE ROLE relay_reader NOLOGIN;

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
-- read the channels and the schema version. Its hook runner calls
-- relay.run_hooks, which takes the queued calls from relay.hook_run (the
-- outcome trigger queues them with the owner's rights) and calls
-- relay.on_outcome with the listener's rights: grant it whatever your hook
-- writes too (or make your hook SECURITY DEFINER).
GRANT SELECT, UPDATE ON relay.message TO relay_listener;
GRANT INSERT ON relay.delivery TO relay_listener;
GRANT SELECT ON relay.channel, relay.schema_migrations TO relay_listener;
GRANT SELECT, INSERT, UPDATE, DELETE ON relay.listener TO relay_listener;
GRANT SELECT, UPDATE, DELETE ON relay.hook_run TO relay_listener;
GRANT EXECUTE ON PROCEDURE relay.run_hooks(integer, bigint, bigint, integer, integer) TO relay_listener;
GRANT EXECUTE ON PROCEDURE relay.on_outcome(bigint, text, text, text, text, text) TO relay_listener;
