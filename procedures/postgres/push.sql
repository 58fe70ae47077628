-- relay.push(sender, receivers, title, context): the host's one call.
--
-- dbrelay:extension-point (the integrator's once installed: `dbrelay migrate up`
-- creates it when missing and never replaces a customised one)
--
-- Called by: the host application inside its own transaction
-- (CALL relay.push('王经理', 'zhangsan,lisi', '请审批', '…')), and by
-- `dbrelay push`. The messages commit or roll back with the host's
-- transaction.
--
-- Default body: split receivers on , ; (and the full-width ， ；), trim,
-- drop empty entries and duplicates (first occurrence wins, exact match);
-- for each receiver one message per row in relay.recipient, or one on
-- relay.settings.default_channel when it has none. Every receiver is
-- resolved before anything is inserted, so a bad receiver inserts nothing.
-- Errors (SQLSTATE): 22004 title is NULL; 22023 no receivers;
-- 42704 a receiver with no channel and no default; 55000 a disabled channel.
--
-- Integrators: this body is yours to edit (routing, filtering, writing into
-- your own tables); keep the signature, and call relay.enqueue to insert.
CREATE OR REPLACE PROCEDURE relay.push(
    sender    text,
    receivers text,
    title     text,
    context   text
)
LANGUAGE plpgsql
AS $$
DECLARE
    names        text[];
    one          text;
    fallback     text;
    fallback_on  boolean;
    r            record;
    to_receiver  text[] := '{}';
    to_channel   text[] := '{}';
    to_address   text[] := '{}';
    i            integer;
BEGIN
    IF push.title IS NULL THEN
        RAISE EXCEPTION 'relay.push: title is NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass a title; an empty string is allowed.';
    END IF;

    IF push.receivers !~ '[,;，；]' THEN
        -- The common case, one receiver: no splitting.
        one := btrim(push.receivers, E' \t\r\n');
        IF one <> '' THEN
            names := ARRAY[one];
        END IF;
    ELSE
        SELECT array_agg(part ORDER BY first_seen) INTO names
        FROM (SELECT btrim(p, E' \t\r\n') AS part, min(n) AS first_seen
              FROM regexp_split_to_table(push.receivers, '[,;，；]') WITH ORDINALITY AS s(p, n)
              WHERE btrim(p, E' \t\r\n') <> ''
              GROUP BY 1) AS parts;
    END IF;
    IF names IS NULL THEN
        RAISE EXCEPTION 'relay.push: receivers is empty (got %)', coalesce(quote_literal(push.receivers), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass one or more receiver names separated by "," or ";".';
    END IF;

    -- Resolve every receiver before inserting anything.
    FOREACH one IN ARRAY names LOOP
        i := 0;
        FOR r IN
            SELECT rc.channel, rc.address, c.enabled
            FROM relay.recipient rc JOIN relay.channel c ON c.code = rc.channel
            WHERE rc.receiver = one
            ORDER BY rc.channel
        LOOP
            IF NOT r.enabled THEN
                RAISE EXCEPTION 'relay.push: receivers: "%" prefers channel "%", which is disabled', one, r.channel
                    USING ERRCODE = 'object_not_in_prerequisite_state',
                          HINT = format('Enable it (UPDATE relay.channel SET enabled = true WHERE code = %L) or delete that row of relay.recipient.', r.channel);
            END IF;
            to_receiver := to_receiver || one;
            to_channel  := to_channel || r.channel;
            to_address  := to_address || r.address;
            i := i + 1;
        END LOOP;
        IF i = 0 THEN
            IF fallback IS NULL THEN
                SELECT s.default_channel, c.enabled INTO fallback, fallback_on
                FROM relay.settings s LEFT JOIN relay.channel c ON c.code = s.default_channel
                WHERE s.id = 1;
            END IF;
            IF fallback IS NULL THEN
                RAISE EXCEPTION 'relay.push: receivers: "%" has no channel in relay.recipient and no default channel is set', one
                    USING ERRCODE = 'undefined_object',
                          HINT = format('Add a row (INSERT INTO relay.recipient (receiver, channel, address) VALUES (%L, ''<channel>'', ''<address>'')) or set a default (UPDATE relay.settings SET default_channel = ''<channel>'').', one);
            END IF;
            IF NOT fallback_on THEN
                RAISE EXCEPTION 'relay.push: receivers: "%" would use the default channel "%", which is disabled', one, fallback
                    USING ERRCODE = 'object_not_in_prerequisite_state',
                          HINT = format('Enable it (UPDATE relay.channel SET enabled = true WHERE code = %L) or set another default in relay.settings.', fallback);
            END IF;
            to_receiver := to_receiver || one;
            to_channel  := to_channel || fallback;
            to_address  := to_address || ''::text;
        END IF;
    END LOOP;

    FOR i IN 1 .. array_length(to_receiver, 1) LOOP
        PERFORM relay.enqueue(push.sender, to_receiver[i], to_channel[i], push.title, push.context,
                              NULL, 'MESSAGE', NULL, to_address[i]);
    END LOOP;
END
$$;
