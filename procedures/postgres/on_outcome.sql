-- relay.on_outcome: the hook called once when a message becomes sent or dead.
--
-- dbrelay:extension-point (the integrator's once installed: `dbrelay migrate up`
-- creates it when missing and never replaces a customised one)
--
-- Called by: relay.run_hooks, from a listener's hook runner, after the
-- outcome was committed (the message_outcome trigger only queues the call
-- in relay.hook_run), in a transaction of its own that also removes the
-- queued call: the hook runs once per outcome, usually within a moment.
-- If it raises an error, its work is rolled back, the outcome stays as it
-- is (the message is never delivered again because of it), the error shows
-- in relay_api.hook_failures, and the call is retried with a backoff until
-- it succeeds. While the body is exactly the default below (which does
-- nothing), no call is queued at all (triggers/postgres/message_outcome.sql).
-- Integrators: put your reaction here, e.g. mark your own task notified
-- (Domino's mail-in agent, InfoPlus Messenger's ACTION_DONE handler):
--   UPDATE wf_task SET notified_at = now() WHERE instance_id = on_outcome.ref;
-- No COMMIT or ROLLBACK in it. Keep the signature: a dbrelay version that
-- changes it says so in its migration, and `migrate up` stops until your
-- version follows. Qualify the parameters (on_outcome.status) where a
-- column has the same name.
CREATE OR REPLACE PROCEDURE relay.on_outcome(
    message_id bigint,
    status     text,
    channel    text,
    receiver   text,
    event      text,
    ref        text
)
LANGUAGE plpgsql
AS $$
BEGIN
    NULL;  -- default: nothing to do
END
$$;

-- Only the listener's role calls it (through the message_outcome trigger):
-- docs/postgres-roles.sql grants it to relay_listener. If you make it
-- SECURITY DEFINER, keep this line, or anyone could call it.
REVOKE ALL ON PROCEDURE relay.on_outcome(bigint, text, text, text, text, text) FROM PUBLIC;
