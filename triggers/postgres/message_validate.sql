-- Validation of relay.message rows, whatever writes them (relay.enqueue, a
-- host's own INSERT, a DBA's UPDATE).
--
-- Rejects, with a message naming the column and the fix: an empty receiver,
-- a NULL title, an unknown or disabled channel. Keeps next_attempt_at
-- consistent with status (NULL once finished, set when pending), so that
-- `UPDATE relay.message SET status = 'pending' WHERE id = …` just works.
-- The update trigger fires only when the channel changes or that
-- consistency would break, so the listener's own updates never pay for it.
-- dbrelay's own: `dbrelay migrate up` restores it. Put your own checks in
-- relay.push (or a trigger of your own).
CREATE OR REPLACE FUNCTION relay.message_validate() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    channel_enabled boolean;
BEGIN
    IF NEW.receiver IS NULL OR btrim(NEW.receiver) = '' THEN
        RAISE EXCEPTION 'relay.message: receiver is empty'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass the receiver''s name (relay.enqueue''s receiver argument).';
    END IF;
    IF NEW.title IS NULL THEN
        RAISE EXCEPTION 'relay.message: title is NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass a title; an empty string is allowed.';
    END IF;
    IF TG_OP = 'INSERT' OR NEW.channel IS DISTINCT FROM OLD.channel THEN
        SELECT c.enabled INTO channel_enabled FROM relay.channel c WHERE c.code = NEW.channel;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'relay.message: channel "%" does not exist', NEW.channel
                USING ERRCODE = 'undefined_object',
                      HINT = 'Use a code from relay.channel, or register the channel first (INSERT INTO relay.channel (code, kind, target) VALUES (…)).';
        END IF;
        IF NOT channel_enabled THEN
            RAISE EXCEPTION 'relay.message: channel "%" is disabled', NEW.channel
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      HINT = format('Enable it (UPDATE relay.channel SET enabled = true WHERE code = %L) or use another channel.', NEW.channel);
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

CREATE OR REPLACE TRIGGER message_validate
    BEFORE INSERT ON relay.message
    FOR EACH ROW EXECUTE FUNCTION relay.message_validate();

CREATE OR REPLACE TRIGGER message_validate_update
    BEFORE UPDATE OF channel, status ON relay.message
    FOR EACH ROW
    WHEN (NEW.channel IS DISTINCT FROM OLD.channel
          OR (NEW.next_attempt_at IS NULL) <> (NEW.status IN ('sent', 'dead', 'cancelled')))
    EXECUTE FUNCTION relay.message_validate();
