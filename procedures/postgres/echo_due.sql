-- relay.echo_due(): the periodic ECHO health check. Raises an ECHO event
-- (relay.raise('ECHO', code, '{"health_check": true}')) on every enabled
-- channel whose echo_every_s is set, whose last check was raised at least
-- that long ago, and that has nothing waiting (no pending or in-flight
-- message: a channel at work needs no probe, and a probe stuck behind a
-- down endpoint is not piled up). Records each in relay.channel_echo;
-- relay_api.channel_echo shows the outcome. Returns how many it raised.
--
-- Called by: every `dbrelay listen`, about every 15 seconds (and a DBA may
-- call it: SELECT relay.echo_due()). Listeners take turns through a
-- transaction-level advisory lock: while one runs it, the others skip, so
-- one ECHO is raised per channel and interval however many listen.
--
-- Rights: SECURITY DEFINER with a fixed search path, so the listener's role
-- needs EXECUTE on it only (docs/postgres-roles.sql grants it to
-- relay_listener). EXECUTE is revoked from PUBLIC below.
--
-- dbrelay's own: `dbrelay migrate up` restores it. Set the interval with
-- UPDATE relay.channel SET echo_every_s = 300 WHERE code = 'crm'.
CREATE OR REPLACE FUNCTION relay.echo_due() RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c   record;
    eid bigint;
    mid bigint;
    n   integer := 0;
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('relay.echo_due')) THEN
        RETURN 0;
    END IF;
    FOR c IN
        SELECT ch.code
        FROM relay.channel ch
        LEFT JOIN relay.channel_echo ce ON ce.channel = ch.code
        WHERE ch.enabled AND ch.echo_every_s IS NOT NULL
          AND (ce.raised_at IS NULL OR ce.raised_at <= now() - ch.echo_every_s * interval '1 second')
          AND NOT EXISTS (SELECT 1 FROM relay.message m
                          WHERE m.next_attempt_at IS NOT NULL AND m.channel = ch.code)
        ORDER BY ch.code
    LOOP
        eid := relay.raise('ECHO', c.code, '{"health_check": true}'::jsonb);
        SELECT em.message_id INTO mid FROM relay.event_message em WHERE em.event_id = eid;
        INSERT INTO relay.channel_echo (channel, message_id, raised_at) VALUES (c.code, mid, now())
        ON CONFLICT (channel) DO UPDATE SET message_id = excluded.message_id, raised_at = excluded.raised_at;
        n := n + 1;
    END LOOP;
    RETURN n;
END
$$;

REVOKE ALL ON FUNCTION relay.echo_due() FROM PUBLIC;
