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
-- Default body: split receivers on , ; (and the full-width ， ；), trim all
-- Unicode white space around each name (spaces, tabs, the ideographic space
-- U+3000 a CJK keyboard types after ，, no-break and zero-width spaces),
-- drop empty entries and duplicates (first occurrence wins, exact match);
-- for each receiver one message per row in relay.recipient, or one on
-- relay.settings.default_channel when it has none. Every receiver is
-- resolved before anything is inserted, so a bad receiver inserts nothing.
-- A disabled channel is no error: its messages wait, and are delivered
-- once it is enabled again.
-- Errors (SQLSTATE): 22004 title is NULL; 22023 no receivers;
-- 42704 a receiver with no channel and no default; 54000 (relay.enqueue,
-- the message_validate trigger) the message is over
-- relay.settings.max_message_bytes.
--
-- Rights: SECURITY DEFINER, so it runs with the rights of its owner (the
-- role that ran `dbrelay migrate up`): a host needs EXECUTE on it and
-- nothing else, and cannot read relay.channel or relay.recipient (targets,
-- addresses) or write relay.message itself. EXECUTE is revoked from PUBLIC
-- below; docs/postgres-roles.sql grants it to relay_host.
--
-- Integrators: this body is yours to edit (routing, filtering, writing into
-- your own tables); keep the signature, and call relay.enqueue to insert.
-- Because it runs as its owner:
--   * keep SECURITY DEFINER and SET search_path (without them a host role
--     cannot push at all, and with another search_path a host could put
--     its own objects in front of the ones you mean);
--   * qualify every name (public.wf_task, not wf_task): the search path is
--     pg_catalog, pg_temp only;
--   * what the body writes into your tables, it writes as the owner: the
--     owner needs the privileges, and the caller's are not checked; the
--     caller is session_user, not current_user, if you need to know who;
--   * never build SQL from the arguments (EXECUTE format(...) with %s of a
--     receiver or a title): it would run with the owner's rights;
--   * keep the REVOKE ... FROM PUBLIC line after the body.
CREATE OR REPLACE PROCEDURE relay.push(
    sender    text,
    receivers text,
    title     text,
    context   text
)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    -- Unicode White_Space, and the zero-width characters that show as
    -- nothing (U+180E, U+200B-U+200D, U+2060, U+FEFF): trimmed off names.
    blanks       constant text := E' \t\n\u000B\f\r\u0085\u00A0\u1680\u180E\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200A\u200B\u200C\u200D\u2028\u2029\u202F\u205F\u2060\u3000\uFEFF';
    names        text[];
    one          text;
    fallback     text;
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
        one := btrim(push.receivers, blanks);
        IF one <> '' THEN
            names := ARRAY[one];
        END IF;
    ELSE
        SELECT array_agg(part ORDER BY first_seen) INTO names
        FROM (SELECT btrim(p, blanks) AS part, min(n) AS first_seen
              FROM regexp_split_to_table(push.receivers, '[,;，；]') WITH ORDINALITY AS s(p, n)
              WHERE btrim(p, blanks) <> ''
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
            SELECT rc.channel, rc.address
            FROM relay.recipient rc
            WHERE rc.receiver = one
            ORDER BY rc.channel
        LOOP
            to_receiver := to_receiver || one;
            to_channel  := to_channel || r.channel;
            to_address  := to_address || r.address;
            i := i + 1;
        END LOOP;
        IF i = 0 THEN
            IF fallback IS NULL THEN
                SELECT s.default_channel INTO fallback FROM relay.settings s WHERE s.id = 1;
            END IF;
            IF fallback IS NULL THEN
                RAISE EXCEPTION 'relay.push: receivers: "%" has no channel in relay.recipient and no default channel is set', one
                    USING ERRCODE = 'undefined_object',
                          HINT = format('Add a row (INSERT INTO relay.recipient (receiver, channel, address) VALUES (%L, ''<channel>'', ''<address>'')) or set a default (UPDATE relay.settings SET default_channel = ''<channel>'').', one);
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

REVOKE ALL ON PROCEDURE relay.push(text, text, text, text) FROM PUBLIC;
