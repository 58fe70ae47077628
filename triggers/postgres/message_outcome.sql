-- Queues the outcome hook relay.on_outcome once for each message that
-- becomes sent or dead: one row per message in relay.hook_run, inserted by
-- one statement per write-back and committed with the outcomes.
--
-- Why only queue: the hook used to run here, inside the listener's
-- write-back transaction. Now the outcome is committed first, and the
-- listener's hook runner (relay.run_hooks) calls the hook afterwards in a
-- transaction of its own, so a broken hook can never roll back an outcome
-- or make a message be delivered again; its failures are recorded and
-- retried on their own (relay_api.hook_failures).
--
-- Why nothing while relay.on_outcome is the shipped default (its body
-- exactly as procedures/postgres/on_outcome.sql installs it, which does
-- nothing): queueing and running a call that does nothing would cost every
-- message an insert, a delete and a transaction. Any change to the hook's
-- body, even a comment, turns the calls on, from the next write-back on.
--
-- Cost for the listener: one statement-level trigger call per write-back
-- (and per claim, which updates no status to sent or dead).
--
-- SECURITY DEFINER (a trigger function cannot be called any other way): the
-- queue row is inserted with the owner's rights, so that a role missing a
-- grant on relay.hook_run can never make a write-back fail (and its
-- messages be delivered again).
-- dbrelay's own: `dbrelay migrate up` restores it. Integrators: edit
-- relay.on_outcome, not this trigger.
CREATE OR REPLACE FUNCTION relay.message_outcome() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_proc p
               WHERE p.oid = to_regprocedure('relay.on_outcome(bigint, text, text, text, text, text)')
                 AND p.prosrc = E'\nBEGIN\n    NULL;  -- default: nothing to do\nEND\n') THEN
        RETURN NULL;
    END IF;
    INSERT INTO relay.hook_run (message_id, status, channel, receiver, event, ref)
    SELECT n.id, n.status, n.channel, n.receiver, n.event, n.ref
    FROM new_rows n
    JOIN old_rows o ON o.id = n.id
    WHERE n.status IN ('sent', 'dead') AND o.status IS DISTINCT FROM n.status
    ORDER BY n.id;
    RETURN NULL;
END
$$;

-- Called only as a trigger (PostgreSQL checks no EXECUTE privilege then).
REVOKE ALL ON FUNCTION relay.message_outcome() FROM PUBLIC;

CREATE OR REPLACE TRIGGER message_outcome
    AFTER UPDATE ON relay.message
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT
    EXECUTE FUNCTION relay.message_outcome();
