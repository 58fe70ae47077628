-- Validation of relay.message rows, whatever writes them (relay.enqueue, a
-- host's own INSERT, a DBA's UPDATE).
--
-- On insert it trims the receiver of Unicode white space and rejects, with
-- a message naming the column and the fix:
--   22023  a blank receiver;
--   22004  a NULL title;
--   42704  an unknown channel;
--   54000  a message bigger than relay.settings.max_message_bytes (title,
--          body and payload, in bytes: octet_length, pg_column_size);
--   42501  a message not born pending: status, attempts, sent_at,
--          last_error, response_code, response_body, locked_by and
--          locked_until are the listener's to set. The owner of
--          relay.message (and superusers) may, for importing history: they
--          could disable this trigger anyway. relay.enqueue runs as that
--          owner but sets none of them.
-- A disabled channel is no error: the message waits (pending) and is
-- delivered once the channel is enabled again (triggers/channel_enabled).
--
-- Keeps next_attempt_at consistent with status (NULL once finished, set
-- when pending), so that `UPDATE relay.message SET status = 'pending' WHERE
-- id = …` just works. The update trigger fires only when the channel
-- changes or that consistency would break, so the listener's own updates
-- never pay for it.
-- dbrelay's own: `dbrelay migrate up` restores it. Put your own checks in
-- relay.push (or a trigger of your own).
CREATE OR REPLACE FUNCTION relay.message_validate() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    -- As in relay.push: Unicode White_Space and the zero-width characters.
    blanks        constant text := E' \t\n\u000B\f\r\u0085\u00A0\u1680\u180E\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200A\u200B\u200C\u200D\u2028\u2029\u202F\u205F\u2060\u3000\uFEFF';
    channel_found boolean;
    size_limit    integer;
    size          bigint;
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.receiver := btrim(NEW.receiver, blanks);
        IF NEW.receiver IS NULL OR NEW.receiver = '' THEN
            RAISE EXCEPTION 'relay.message: receiver is empty or blank'
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Pass the receiver''s name (relay.enqueue''s receiver argument).';
        END IF;
        IF NEW.title IS NULL THEN
            RAISE EXCEPTION 'relay.message: title is NULL'
                USING ERRCODE = 'null_value_not_allowed',
                      HINT = 'Pass a title; an empty string is allowed.';
        END IF;
        SELECT s.max_message_bytes, EXISTS (SELECT 1 FROM relay.channel c WHERE c.code = NEW.channel)
        INTO size_limit, channel_found
        FROM relay.settings s WHERE s.id = 1;
        IF NOT channel_found THEN
            RAISE EXCEPTION 'relay.message: channel "%" does not exist', NEW.channel
                USING ERRCODE = 'undefined_object',
                      HINT = 'Use a code from relay.channel, or register the channel first (INSERT INTO relay.channel (code, kind, target) VALUES (…)).';
        END IF;
        size := octet_length(NEW.title) + octet_length(NEW.body) + coalesce(pg_column_size(NEW.payload), 0);
        IF size > size_limit THEN
            RAISE EXCEPTION 'relay.message: the message is % bytes, over relay.settings.max_message_bytes (%)', size, size_limit
                USING ERRCODE = 'program_limit_exceeded',
                      HINT = 'Send less (keep large documents in your own table and pass a reference), or raise the limit: UPDATE relay.settings SET max_message_bytes = … (the listener holds up to --workers + --batch-size messages in memory).';
        END IF;
        IF (NEW.status <> 'pending' OR NEW.attempts <> 0 OR NEW.sent_at IS NOT NULL OR NEW.last_error IS NOT NULL
            OR NEW.response_code IS NOT NULL OR NEW.response_body IS NOT NULL
            OR NEW.locked_by IS NOT NULL OR NEW.locked_until IS NOT NULL)
           AND NOT pg_has_role(current_user, (SELECT c.relowner FROM pg_class c WHERE c.oid = TG_RELID), 'USAGE') THEN
            RAISE EXCEPTION 'relay.message: a message is born pending: status, attempts, sent_at, last_error, response_code, response_body, locked_by and locked_until are the listener''s to set'
                USING ERRCODE = 'insufficient_privilege',
                      HINT = 'Insert with relay.enqueue (or without those columns); only the owner of relay.message may import finished messages.';
        END IF;
    ELSIF NEW.channel IS DISTINCT FROM OLD.channel THEN
        PERFORM 1 FROM relay.channel c WHERE c.code = NEW.channel;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'relay.message: channel "%" does not exist', NEW.channel
                USING ERRCODE = 'undefined_object',
                      HINT = 'Use a code from relay.channel, or register the channel first (INSERT INTO relay.channel (code, kind, target) VALUES (…)).';
        END IF;
    END IF;
    IF NEW.status IN ('sent', 'dead', 'cancelled') THEN
        NEW.next_attempt_at := NULL;
        NEW.locked_by := NULL;
        NEW.locked_until := NULL;
    ELSIF NEW.next_attempt_at IS NULL THEN
        NEW.next_attempt_at := now();
    END IF;
    RETURN NEW;
END
$$;

-- Called only as a trigger (PostgreSQL checks no EXECUTE privilege then).
REVOKE ALL ON FUNCTION relay.message_validate() FROM PUBLIC;

CREATE OR REPLACE TRIGGER message_validate
    BEFORE INSERT ON relay.message
    FOR EACH ROW EXECUTE FUNCTION relay.message_validate();

CREATE OR REPLACE TRIGGER message_validate_update
    BEFORE UPDATE OF channel, status ON relay.message
    FOR EACH ROW
    WHEN (NEW.channel IS DISTINCT FROM OLD.channel
          OR (NEW.next_attempt_at IS NULL) <> (NEW.status IN ('sent', 'dead', 'cancelled')))
    EXECUTE FUNCTION relay.message_validate();
