-- Queues the outcome hook relay.on_outcome once when a message becomes sent
-- or dead: one row in relay.hook_run, committed with the outcome.
--
-- Why only queue: the hook used to run here, inside the listener's
-- write-back transaction. Now the outcome is committed first, and the
-- listener's hook runner (relay.run_hooks) calls the hook afterwards in a
-- transaction of its own, so a broken hook can never roll back an outcome
-- or make a message be delivered again; its failures are recorded and
-- retried on their own (relay_api.hook_failures).
--
-- Cost for the listener: one small insert per finished message, in the
-- write-back transaction; nothing for claims and retries (the WHEN clause
-- is evaluated before the function is called).
-- dbrelay's own: `dbrelay migrate up` restores it. Integrators: edit
-- relay.on_outcome, not this trigger.
CREATE OR REPLACE FUNCTION relay.message_outcome() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    INSERT INTO relay.hook_run (message_id, status, channel, receiver, event, ref)
    VALUES (NEW.id, NEW.status, NEW.channel, NEW.receiver, NEW.event, NEW.ref);
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER message_outcome
    AFTER UPDATE OF status ON relay.message
    FOR EACH ROW
    WHEN (NEW.status IN ('sent', 'dead') AND OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION relay.message_outcome();
