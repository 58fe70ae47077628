-- Wakes the messages of a channel that is enabled again.
--
-- Messages for a disabled channel are accepted (relay.push never fails a
-- host's transaction because an endpoint is paused) and wait: a listener
-- that claims one postpones it, pending, with last_error saying the
-- channel is disabled. When the channel is enabled again this makes every
-- pending message of it due now (also those waiting on a retry's backoff:
-- you enabled it because the endpoint works again), and sends the wake-up
-- notification when a listener is idle (see message_wake.sql; the update
-- below changes no status, so message_wake_redeliver does not fire).
--
-- SECURITY DEFINER with a fixed search path: whoever may enable a channel
-- need not be allowed to update relay.message. It is called only as a
-- trigger (PostgreSQL checks no EXECUTE privilege then) and is revoked
-- from PUBLIC.
CREATE OR REPLACE FUNCTION relay.channel_enabled() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE relay.message m
    SET next_attempt_at = now()
    WHERE m.channel = NEW.code AND m.status = 'pending' AND m.next_attempt_at > now();
    IF FOUND AND EXISTS (SELECT 1 FROM relay.listener l WHERE l.idle AND l.expires_at > now()) THEN
        PERFORM pg_notify('relay_message', '');
    END IF;
    RETURN NULL;
END
$$;

REVOKE ALL ON FUNCTION relay.channel_enabled() FROM PUBLIC;

CREATE OR REPLACE TRIGGER channel_enabled
    AFTER UPDATE OF enabled ON relay.channel
    FOR EACH ROW
    WHEN (NEW.enabled AND NOT OLD.enabled)
    EXECUTE FUNCTION relay.channel_enabled();
