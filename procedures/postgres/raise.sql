-- relay.raise(event, ref, payload): raise an event from the host's
-- transaction; returns the event's id (relay_api.events).
--
-- Called by: the host application inside its own transaction, e.g. when a
-- workflow step is done:
--   SELECT relay.raise('ACTION_DONE', 'leave/approve/42', '{"by": "lisi"}');
-- (PERFORM relay.raise(...) in PL/pgSQL). The event and its messages commit
-- or roll back with the host's transaction.
--
-- What it does: records the event in relay.event and enqueues one message
-- per matching subscription (relay.route_event: pattern and ref prefix;
-- ECHO goes to the channel its ref names). An event no enabled
-- subscription matches is recorded as unrouted and is no error: the host's
-- transaction never fails because nobody listens. Each message carries the
-- event as its event and title, the ref and the payload; its receiver is
-- the channel's code.
-- Errors (SQLSTATE): 22004 event is NULL; 22023 event is empty, longer
-- than 100 characters, or an ECHO without a channel; 42704 an ECHO to an
-- unknown channel; 54000 the payload is over
-- relay.settings.max_message_bytes (relay.enqueue). Any error enqueues
-- nothing.
--
-- Rights: SECURITY DEFINER with a fixed search path, like relay.push: a
-- host needs EXECUTE on it and nothing else (docs/postgres-roles.sql
-- grants it to relay_host); it cannot read the subscriptions or the
-- channels. EXECUTE is revoked from PUBLIC below.
--
-- dbrelay's own: `dbrelay migrate up` restores it. Route with
-- relay.subscription (`dbrelay subscription add`).
CREATE OR REPLACE FUNCTION relay.raise(
    event   text,
    ref     text  DEFAULT NULL,
    payload jsonb DEFAULT NULL
) RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    new_id bigint;
BEGIN
    IF raise.event IS NULL THEN
        RAISE EXCEPTION 'relay.raise: event is NULL'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass the event''s name, e.g. ''ACTION_DONE''.';
    END IF;
    IF raise.event = '' OR length(raise.event) > 100 THEN
        RAISE EXCEPTION 'relay.raise: event must be 1 to 100 characters (got %)', quote_literal(left(raise.event, 120))
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Pass the event''s name, e.g. ''ACTION_DONE''.';
    END IF;
    IF length(raise.ref) > 200 THEN
        RAISE EXCEPTION 'relay.raise: ref is over 200 characters'
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Name the business object briefly, e.g. ''workflow/step/instance''.';
    END IF;
    INSERT INTO relay.event (event, ref, payload, status)
    VALUES (raise.event, raise.ref, raise.payload, 'unrouted')
    RETURNING id INTO new_id;
    PERFORM relay.route_event(new_id);
    RETURN new_id;
END
$$;

REVOKE ALL ON FUNCTION relay.raise(text, text, jsonb) FROM PUBLIC;
