-- relay.on_mail: the hook called once for each mail `dbrelay mail-in` stores
-- (Domino's mail-in agent: "before new mail arrives").
--
-- dbrelay:extension-point (the integrator's once installed: `dbrelay migrate up`
-- creates it when missing and never replaces a customised one)
--
-- Called by: `dbrelay mail-in`, in the transaction that inserts the mail
-- into relay.inbound_mail and its attachments into
-- relay.inbound_mail_attachment, right after them; it is not called again
-- for a mail read twice (same Message-ID). It runs for mail that could not
-- be parsed too (parse_error IS NOT NULL): check that column.
--
-- If it raises, the transaction is rolled back, and mail-in stores the mail
-- again without calling it, with the error in hook_error; to run it again
-- for such a mail: CALL relay.on_mail(id).
--
-- Integrators: put your reaction here, e.g. start a workflow from a reply:
--   INSERT INTO wf_inbox (mail_id, sender, subject, body)
--   SELECT id, from_address, subject, text_body
--   FROM relay.inbound_mail WHERE id = on_mail.mail_id AND parse_error IS NULL;
-- Keep the signature. Grant the role that runs mail-in what your body
-- writes (docs/postgres-roles.sql).
CREATE OR REPLACE PROCEDURE relay.on_mail(mail_id bigint)
LANGUAGE plpgsql
AS $$
BEGIN
    NULL;  -- default: nothing to do
END
$$;

REVOKE ALL ON PROCEDURE relay.on_mail(bigint) FROM PUBLIC;
