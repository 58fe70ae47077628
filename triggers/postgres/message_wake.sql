-- Wakes listeners: NOTIFY relay_message once per inserting statement, and
-- when a message is set back to pending and due (a retry by hand, a release
-- at shutdown).
--
-- Statement level on INSERT, so a host inserting 1,000 rows sends one
-- notification, not 1,000. PostgreSQL also folds identical notifications of
-- one transaction into one, which covers the row-level redelivery trigger.
-- Listeners poll as a fallback, so a lost notification delays a message by
-- at most the poll interval; it never loses one.
CREATE OR REPLACE FUNCTION relay.message_wake() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_notify('relay_message', '');
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER message_wake
    AFTER INSERT ON relay.message
    FOR EACH STATEMENT EXECUTE FUNCTION relay.message_wake();

CREATE OR REPLACE TRIGGER message_wake_redeliver
    AFTER UPDATE OF status ON relay.message
    FOR EACH ROW
    WHEN (NEW.status = 'pending' AND OLD.status <> 'pending' AND NEW.next_attempt_at <= now())
    EXECUTE FUNCTION relay.message_wake();
