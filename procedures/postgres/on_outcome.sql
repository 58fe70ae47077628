-- relay.on_outcome: the hook called once when a message becomes sent or dead.
--
-- dbrelay:extension-point (the integrator's once installed: `dbrelay migrate up`
-- creates it when missing and never replaces a customised one)
--
-- Called by: the message_outcome trigger, inside the listener's write-back
-- transaction. A failing hook is logged as a WARNING and does not stop the
-- outcome from being recorded.
-- Integrators: put your reaction here, e.g. mark your own task notified
-- (Domino's mail-in agent, InfoPlus Messenger's ACTION_DONE handler):
--   UPDATE wf_task SET notified_at = now() WHERE instance_id = on_outcome.ref;
-- Keep it short: it runs for every finished message. Qualify the parameters
-- (on_outcome.status) where a column has the same name.
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
