-- dbrelay 000002 (PostgreSQL): hardening.
--
-- Applied by `dbrelay migrate up` after 000001, then the object files
-- (procedures/, views/, triggers/) of this release, which carry most of the
-- change. Upgrade notes — each is a breaking change (README "Upgrading"):
--
--  1. Secrets: the listener reads only the environment variables the
--     operator allowed: names starting with DBRELAY_SECRET_, or listed with
--     `dbrelay listen --allow-secret-env NAME[,NAME]`
--     (DBRELAY_ALLOW_SECRET_ENV). A channel whose secret_env,
--     basic_auth.password_env or header value_from_env names another
--     variable cannot deliver: its messages wait, pending, and the
--     listener's log says which names are allowed. Before upgrading the
--     listeners, rename the variables (and the channel rows), or allow them.
--  2. Privileges: every function and procedure in schemas relay and
--     relay_api is revoked from PUBLIC (below, and in each object file).
--     relay.push and relay.enqueue run as their owner (SECURITY DEFINER,
--     search_path pg_catalog, pg_temp): a host needs EXECUTE on them and
--     nothing else. Grant it as docs/postgres-roles.sql does, and revoke
--     what version 1's script granted relay_host (SELECT on relay.channel,
--     relay.recipient, relay.settings, relay.listener; INSERT on
--     relay.message). A customised relay.push must keep SECURITY DEFINER
--     and SET search_path, and qualify every name it uses.
--  3. A message is born pending: an INSERT into relay.message that sets
--     status, attempts, sent_at, last_error, response_code, response_body,
--     locked_by or locked_until fails (42501) unless the inserting role owns
--     relay.message.
--  4. A disabled channel no longer fails relay.push (SQLSTATE 55000 is
--     gone): its messages wait, and enabling it makes them due at once.
--  5. Message size: relay.settings.max_message_bytes (below, default
--     1 MiB) bounds title + body + payload; a bigger message fails with
--     54000 at relay.push, relay.enqueue and a direct INSERT.
--  6. Receivers are trimmed of all Unicode white space (U+3000, NBSP,
--     zero-width spaces, …) by relay.push, relay.enqueue and the insert
--     trigger; a blank receiver fails with 22023 in each.
--  7. relay.channel rows are checked when written (triggers/postgres/
--     channel_validate.sql, 23514). Rows already there are not re-checked;
--     the next UPDATE of their kind, target, config or secret_env is.
--
-- Down (000002_hardening.down.sql) removes the column and this release's
-- channel triggers; apply version 1's object files afterwards (its
-- `dbrelay migrate up`), since this release's refer to the column.

ALTER TABLE relay.settings
    ADD COLUMN max_message_bytes integer NOT NULL DEFAULT 1048576
        CONSTRAINT settings_max_message_bytes_check CHECK (max_message_bytes > 0);

-- Functions and procedures are executable by PUBLIC unless revoked; the
-- object files revoke theirs when applied, and this covers the routines
-- already installed (an integrator's customised relay.push or
-- relay.on_outcome, which `migrate up` may not replace).
REVOKE ALL ON ALL ROUTINES IN SCHEMA relay, relay_api FROM PUBLIC;
