-- dbrelay 000001 down (PostgreSQL): removes everything dbrelay installed.
--
-- The repeatable objects go first (views in relay_api, triggers on relay's
-- tables, then functions and procedures in relay and relay_api), so that the tables can be dropped
-- without CASCADE: if one of the host's own objects depends on a relay
-- object, this fails with PostgreSQL's "cannot drop … because other objects
-- depend on it" and drops nothing, rather than silently taking the host's
-- object with it.
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT c.oid::regclass AS name
        FROM pg_class c
        WHERE c.relnamespace = 'relay_api'::regnamespace AND c.relkind IN ('v', 'm')
        ORDER BY c.oid DESC
    LOOP
        EXECUTE format('DROP VIEW %s', r.name);
    END LOOP;
    -- Triggers on relay's tables, so that their functions can go.
    FOR r IN
        SELECT t.tgname, t.tgrelid::regclass AS tbl
        FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        WHERE c.relnamespace = 'relay'::regnamespace AND NOT t.tgisinternal
    LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', r.tgname, r.tbl);
    END LOOP;
    FOR r IN
        SELECT p.oid::regprocedure AS name, p.prokind
        FROM pg_proc p
        WHERE p.pronamespace IN ('relay'::regnamespace, 'relay_api'::regnamespace)
        ORDER BY p.oid DESC
    LOOP
        IF r.prokind = 'p' THEN
            EXECUTE format('DROP PROCEDURE %s', r.name);
        ELSE
            EXECUTE format('DROP FUNCTION %s', r.name);
        END IF;
    END LOOP;
END
$$;

DROP TABLE relay.delivery;
DROP TABLE relay.message;
DROP TABLE relay.recipient;
DROP TABLE relay.settings;
DROP TABLE relay.channel;
DROP TABLE relay.schema_object;
DROP TABLE relay.listener;
DROP SCHEMA relay_api;

-- Schema relay also holds golang-migrate's version table when dbrelay ran
-- the migrations, so it can only go when it is empty; `dbrelay migrate down`
-- removes it afterwards.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_class WHERE relnamespace = 'relay'::regnamespace) THEN
        DROP SCHEMA relay;
    END IF;
END
$$;
