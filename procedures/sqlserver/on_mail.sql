SET ANSI_NULLS ON;
SET QUOTED_IDENTIFIER ON;
GO
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
-- If it raises (THROW, RAISERROR with severity 11 or more), the
-- transaction is rolled back, and mail-in stores the mail again without
-- calling it, with the error in hook_error; to run it again for such a
-- mail: EXEC relay.on_mail @mail_id = id. No COMMIT or ROLLBACK in here.
--
-- Integrators: put your reaction here, e.g. start a workflow from a reply:
--   INSERT INTO dbo.wf_inbox (mail_id, sender, subject, body)
--   SELECT id, from_address, subject, text_body
--   FROM relay.inbound_mail WHERE id = @mail_id AND parse_error IS NULL;
-- Keep the signature.
CREATE OR ALTER PROCEDURE relay.on_mail
    @mail_id bigint
AS
BEGIN
    SET NOCOUNT ON;
    RETURN;  -- default: nothing to do
END;
GO
-- Granted to relay_mailin (docs/sqlserver.md), never to public; keep this
-- if you edit the hook. (Through sp_executesql only because sqlfluff 3.3.1
-- cannot parse REVOKE.)
EXEC sp_executesql N'REVOKE EXECUTE ON OBJECT::relay.on_mail FROM public';
GO
