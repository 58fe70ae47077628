-- relay.enqueue: the stable low-level insert of one message; returns its id.
--
-- Called by: relay.push (once per receiver and channel), and by host code
-- that routes messages itself. Trims the receiver of Unicode white space
-- (as relay.push does) before anything else; the other checks live in the
-- relay.message triggers, so a direct INSERT is held to the same rules:
-- 22004 title is NULL, 22023 blank receiver, 42704 unknown channel, 54000
-- the message (title, body and payload) is over
-- relay.settings.max_message_bytes. A disabled channel is no error: the
-- message waits until the channel is enabled again.
--
-- Rights: SECURITY DEFINER with a fixed search path, so a host needs only
-- EXECUTE (docs/postgres-roles.sql grants it to relay_host): it cannot
-- insert into relay.message directly, so it can neither read the channels
-- nor forge an outcome. EXECUTE is revoked from PUBLIC below.
--
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
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    -- As in relay.push: Unicode White_Space and the zero-width characters.
    blanks  constant text := E' \t\n\u000B\f\r\u0085\u00A0\u1680\u180E\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200A\u200B\u200C\u200D\u2028\u2029\u202F\u205F\u2060\u3000\uFEFF';
    trimmed text := btrim(enqueue.receiver, blanks);
    new_id  bigint;
BEGIN
    INSERT INTO relay.message (sender, receiver, channel, address, title, body, payload, event, ref)
    VALUES (coalesce(enqueue.sender, ''),
            trimmed,
            enqueue.channel,
            coalesce(nullif(enqueue.address, ''), trimmed, ''),
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

REVOKE ALL ON FUNCTION relay.enqueue(text, text, text, text, text, jsonb, text, text, text) FROM PUBLIC;
