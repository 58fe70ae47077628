-- relay.route_event(event_id): turns one row of relay.event into messages,
-- one per enabled subscription that matches it, and marks the event routed
-- or unrouted. Returns how many messages it enqueued.
--
-- Called by: relay.raise (in the host's transaction), and by `dbrelay retry
-- --event ID` for an event that was unrouted (routed again against today's
-- subscriptions, e.g. after `dbrelay subscription add`).
--
-- Matching: a subscription's event is the event's name, or a pattern in
-- which * stands for any run of characters; its ref_prefix, when not '',
-- must begin the event's ref. Comparisons are exact (case-sensitive).
-- Several subscriptions matching on the same channel and address give one
-- message (the lowest subscription id is recorded).
--
-- ECHO is reserved: an ECHO event goes to the channel its ref names,
-- directly, whatever the subscriptions say (the health check and `dbrelay
-- channel test` use it); a missing ref or an unknown channel is an error
-- (22023, 42704), since a test of nothing must not pass silently.
--
-- Every message goes through relay.enqueue (its checks, its errors); any
-- error rolls back every message of the event: all or nothing, like
-- relay.push.
--
-- dbrelay's own: `dbrelay migrate up` restores it. Route with
-- relay.subscription, not by editing this.
CREATE OR REPLACE FUNCTION relay.route_event(event_id bigint) RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    e    relay.event;
    s    record;
    mid  bigint;
    n    integer := 0;
BEGIN
    SELECT * INTO e FROM relay.event ev WHERE ev.id = route_event.event_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'relay.route_event: no event %', route_event.event_id
            USING ERRCODE = 'undefined_object', HINT = 'Look the id up in relay_api.events.';
    END IF;

    IF e.event = 'ECHO' THEN
        IF coalesce(e.ref, '') = '' THEN
            RAISE EXCEPTION 'relay.raise: an ECHO event needs the channel''s code in ref'
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'SELECT relay.raise(''ECHO'', ''<channel code>'', NULL)';
        END IF;
        IF NOT EXISTS (SELECT 1 FROM relay.channel c WHERE c.code = e.ref) THEN
            RAISE EXCEPTION 'relay.raise: ECHO: channel "%" does not exist', e.ref
                USING ERRCODE = 'undefined_object', HINT = 'Use a code from relay.channel.';
        END IF;
        mid := relay.enqueue('', e.ref, e.ref, 'ECHO', '', e.payload, 'ECHO', e.ref, NULL);
        INSERT INTO relay.event_message (event_id, message_id, subscription_id) VALUES (e.id, mid, NULL);
        n := 1;
    ELSE
        FOR s IN
            SELECT DISTINCT ON (sub.channel, sub.address) sub.id, sub.channel, sub.address
            FROM relay.subscription sub
            WHERE sub.enabled
              AND e.event LIKE replace(replace(sub.event, '_', '\_'), '*', '%') ESCAPE '\'
              AND (sub.ref_prefix = '' OR left(coalesce(e.ref, ''), length(sub.ref_prefix)) = sub.ref_prefix)
            ORDER BY sub.channel, sub.address, sub.id
        LOOP
            mid := relay.enqueue('', s.channel, s.channel, e.event, '', e.payload, e.event, e.ref,
                                 nullif(s.address, ''));
            INSERT INTO relay.event_message (event_id, message_id, subscription_id) VALUES (e.id, mid, s.id);
            n := n + 1;
        END LOOP;
    END IF;

    UPDATE relay.event ev
    SET status = CASE WHEN n > 0 THEN 'routed' ELSE 'unrouted' END,
        messages = ev.messages + n
    WHERE ev.id = e.id;
    RETURN n;
END
$$;

REVOKE ALL ON FUNCTION relay.route_event(bigint) FROM PUBLIC;
