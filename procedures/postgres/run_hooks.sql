-- relay.run_hooks: runs queued hooks (relay.on_outcome), each in a
-- transaction of its own, after the outcome that queued it was committed.
--
-- Called by: every `dbrelay listen` (its hook runner), in a loop, with
--   CALL relay.run_hooks(100, 1000, 3600000, NULL, NULL);
-- outside a transaction block: it commits after each hook. A DBA may call it
-- the same way, e.g. after fixing a hook, to run what failed at once
-- (UPDATE relay.hook_run SET next_attempt_at = now() first).
--
-- What it does: takes up to max_runs due rows of relay.hook_run (queued by
-- the message_outcome trigger when a message became sent or dead) and, for
-- each, in one transaction: locks the row (skipping one another runner
-- holds), calls the hook, and deletes the row. The hook's work and the
-- dequeue commit together, so a hook that ran is never run again, and one
-- interrupted half-way (a crash) runs again later. A hook that fails is
-- rolled back alone; its row records the error (relay_api.hook_failures)
-- and is due again after retry_base_ms, doubled for each further failure
-- up to retry_max_ms. The message's outcome is never touched.
--
-- Durability: each hook's transaction commits with synchronous_commit off,
-- like the listener's own write-backs: commits do not wait for the WAL
-- flush (one flush per hook would cap hooks at the disk's flush rate). A
-- server crash can lose the last moments of hook runs; since a hook's work
-- and its dequeue are one transaction, they are lost together and the hook
-- simply runs again.
--
-- Returns (INOUT) how many hooks ran and how many failed.
-- dbrelay's own: `dbrelay migrate up` restores it. Integrators: edit
-- relay.on_outcome, not this.
CREATE OR REPLACE PROCEDURE relay.run_hooks(
    max_runs      integer,
    retry_base_ms bigint,
    retry_max_ms  bigint,
    INOUT ran     integer DEFAULT 0,
    INOUT failed  integer DEFAULT 0
)
LANGUAGE plpgsql
AS $$
DECLARE
    due     bigint[];
    one     bigint;
    r       record;
    failure text;
BEGIN
    ran := 0;
    failed := 0;
    SELECT array_agg(h.id ORDER BY h.next_attempt_at, h.id) INTO due
    FROM (SELECT id, next_attempt_at FROM relay.hook_run
          WHERE next_attempt_at <= now()
          ORDER BY next_attempt_at, id
          LIMIT max_runs) AS h;
    IF due IS NULL THEN
        RETURN;
    END IF;
    COMMIT;

    FOREACH one IN ARRAY due LOOP
        PERFORM set_config('synchronous_commit', 'off', true);
        -- Locked by another runner: skipped. Gone or no longer due: another
        -- runner ran it (or recorded its failure) meanwhile.
        SELECT h.* INTO r FROM relay.hook_run h
        WHERE h.id = one AND h.next_attempt_at <= now()
        FOR UPDATE SKIP LOCKED;
        IF FOUND THEN
            failure := NULL;
            BEGIN
                CALL relay.on_outcome(r.message_id, r.status, r.channel, r.receiver, r.event, r.ref);
            EXCEPTION WHEN OTHERS THEN
                failure := SQLERRM || ' (SQLSTATE ' || SQLSTATE || ')';
            END;
            IF failure IS NULL THEN
                DELETE FROM relay.hook_run WHERE id = one;
                ran := ran + 1;
            ELSE
                UPDATE relay.hook_run
                SET attempts = attempts + 1,
                    last_error = left(failure, 4000),
                    failed_at = now(),
                    next_attempt_at = now() + least(retry_max_ms, retry_base_ms * power(2, least(attempts, 40)))
                                              * interval '1 millisecond'
                WHERE id = one;
                failed := failed + 1;
            END IF;
        END IF;
        COMMIT;
    END LOOP;
END
$$;

REVOKE ALL ON PROCEDURE relay.run_hooks(integer, bigint, bigint, integer, integer) FROM PUBLIC;
