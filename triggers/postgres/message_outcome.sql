-- Calls the editable hook relay.on_outcome once when a message becomes sent
-- or dead.
--
-- The hook runs inside the listener's write-back transaction. Its errors are
-- caught and logged as a WARNING: a broken hook must not stop outcomes from
-- being recorded, or every message would be delivered again and again.
CREATE OR REPLACE FUNCTION relay.message_outcome() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    BEGIN
        CALL relay.on_outcome(NEW.id, NEW.status, NEW.channel, NEW.receiver, NEW.event, NEW.ref);
    EXCEPTION WHEN OTHERS THEN
        RAISE WARNING 'relay.on_outcome failed for message %: % (SQLSTATE %)', NEW.id, SQLERRM, SQLSTATE;
    END;
    RETURN NULL;
END
$$;

-- Called only as a trigger (PostgreSQL checks no EXECUTE privilege then).
REVOKE ALL ON FUNCTION relay.message_outcome() FROM PUBLIC;

CREATE OR REPLACE TRIGGER message_outcome
    AFTER UPDATE OF status ON relay.message
    FOR EACH ROW
    WHEN (NEW.status IN ('sent', 'dead') AND OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION relay.message_outcome();
