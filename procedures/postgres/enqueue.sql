-- relay.enqueue: the stable low-level insert of one message; returns its id.
--
-- Called by: relay.push (once per receiver and channel), and by host code
-- that routes messages itself. Checks live in the relay.message triggers,
-- so a direct INSERT is held to the same rules.
-- dbrelay's own: `dbrelay migrate up` restores it (hosts and relay.push call
-- it by position and by name). Put your routing and checks in relay.push.
CREATE OR REPLACE FUNCTION relay.enqueue(
    sender   text,
    receiver text,
    channel  text,
    title    text,
    body     text  DEFAULT '',
    payload  jsonb DEFAULT NULL,
    event    text  DEFAULT 'MESSAGE',
    ref      text  DEFAULT NULL,
    address  text  DEFAULT NULL
) RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    new_id bigint;
BEGIN
    INSERT INTO relay.message (sender, receiver, channel, address, title, body, payload, event, ref)
    VALUES (coalesce(enqueue.sender, ''),
            enqueue.receiver,
            enqueue.channel,
            coalesce(nullif(enqueue.address, ''), enqueue.receiver, ''),
            enqueue.title,
            coalesce(enqueue.body, ''),
            enqueue.payload,
            coalesce(enqueue.event, 'MESSAGE'),
            enqueue.ref)
    RETURNING id INTO new_id;
    -- The ids this transaction enqueued, for `dbrelay push` to print; a
    -- transaction-local setting, gone at commit.
    PERFORM set_config('relay.enqueued_ids',
                       coalesce(current_setting('relay.enqueued_ids', true), '') || new_id || ',', true);
    RETURN new_id;
END
$$;
