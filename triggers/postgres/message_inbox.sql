-- Marks messages for the inbox: relay.message.inbox is true when the
-- message's channel is of kind internal, NULL otherwise, decided when the
-- message is written (and again when its channel changes). relay_api.inbox
-- and its indexes (message_inbox, message_inbox_unread) hold only those
-- rows, so a receiver's unread count costs what they have unread.
--
-- Why a trigger: every way a message is written (relay.enqueue, a host's
-- own INSERT) must land in the inbox the same way, and the index predicate
-- cannot look the kind up in relay.channel itself. Changing a channel's
-- kind later does not move its old messages in or out of the inbox.
--
-- Cost: one primary-key lookup of relay.channel per inserted row.
--
-- SECURITY DEFINER with a fixed search_path: it reads relay.channel.kind
-- with the owner's rights, so a role allowed to INSERT into relay.message
-- with SELECT (code) on relay.channel only (docs/postgres-roles.sql) needs
-- nothing more. It reads the kind of the row's own channel, and writes
-- only the row's inbox flag.
-- dbrelay's own: `dbrelay migrate up` restores it.
CREATE OR REPLACE FUNCTION relay.message_inbox() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    NEW.inbox := CASE WHEN EXISTS (SELECT 1 FROM relay.channel c
                                   WHERE c.code = NEW.channel AND c.kind = 'internal') THEN true END;
    RETURN NEW;
END
$$;

-- Called only as a trigger (PostgreSQL checks no EXECUTE privilege then).
REVOKE ALL ON FUNCTION relay.message_inbox() FROM PUBLIC;

CREATE OR REPLACE TRIGGER message_inbox
    BEFORE INSERT OR UPDATE OF channel ON relay.message
    FOR EACH ROW EXECUTE FUNCTION relay.message_inbox();
