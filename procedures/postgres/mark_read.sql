-- relay.mark_read(receiver, ids): marks a receiver's inbox messages read
-- (relay_api.inbox.read_at = now()) and returns how many it marked.
--   receiver  whose messages; ids of other receivers' messages are ignored
--   ids       the messages' ids (relay_api.inbox.id) as a bigint[]; NULL
--             marks every unread message of the receiver
-- Messages already read keep their first read_at; unknown ids are ignored.
--   SELECT relay.mark_read('alice', ARRAY[41, 42]);
--   SELECT relay.mark_read('alice', NULL);   -- all of alice's
-- SECURITY DEFINER with a fixed search_path: the host may mark messages
-- read without any right on relay.message (docs/postgres-roles.sql grants
-- EXECUTE to relay_host).
-- Called by: hosts. dbrelay's own: `dbrelay migrate up` restores it.
CREATE OR REPLACE FUNCTION relay.mark_read(receiver text, ids bigint[] DEFAULT NULL) RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH marked AS (
        UPDATE relay.message m
        SET read_at = now()
        WHERE m.inbox
          AND m.receiver = mark_read.receiver
          AND m.status = 'sent'
          AND m.read_at IS NULL
          AND (mark_read.ids IS NULL OR m.id = ANY (mark_read.ids))
        RETURNING 1
    )
    SELECT count(*)::integer FROM marked
$$;

REVOKE ALL ON FUNCTION relay.mark_read(text, bigint[]) FROM PUBLIC;
