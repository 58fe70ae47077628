-- Wakes idle listeners: NOTIFY relay_message once per inserting statement,
-- and when a message is set back to pending and due (a retry by hand, a
-- release at shutdown) — but only while some listener is idle.
--
-- Why only then: PostgreSQL serialises the commits of every transaction that
-- sent a NOTIFY (one global lock held through the WAL flush), which halves
-- a busy host's commit rate. Busy listeners claim again on their own, so
-- they need no notification; they record themselves idle in relay.listener
-- before they sleep, and close the gap for transactions that looked just
-- before that (see dialect/postgres/waker.go). A notification missed any
-- other way delays a message by at most the listeners' poll interval.
--
-- Statement level on INSERT: a host inserting 1,000 rows sends one
-- notification, not 1,000. PostgreSQL folds identical notifications of one
-- transaction into one, which covers the row-level redelivery trigger.
CREATE OR REPLACE FUNCTION relay.message_wake() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM relay.listener WHERE idle AND expires_at > now()) THEN
        PERFORM pg_notify('relay_message', '');
    END IF;
    RETURN NULL;
END
$$;

-- Called only as a trigger (PostgreSQL checks no EXECUTE privilege then).
REVOKE ALL ON FUNCTION relay.message_wake() FROM PUBLIC;

CREATE OR REPLACE TRIGGER message_wake
    AFTER INSERT ON relay.message
    FOR EACH STATEMENT EXECUTE FUNCTION relay.message_wake();

CREATE OR REPLACE TRIGGER message_wake_redeliver
    AFTER UPDATE OF status ON relay.message
    FOR EACH ROW
    WHEN (NEW.status = 'pending' AND OLD.status <> 'pending' AND NEW.next_attempt_at <= now())
    EXECUTE FUNCTION relay.message_wake();
