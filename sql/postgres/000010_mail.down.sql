-- dbrelay 000010 down (PostgreSQL): removes e-mail's attachments and audit.
--
-- Drops relay_api.mail_audit and relay.attach (object files of this
-- release), then the tables and the settings' columns. The audit rows and
-- attachments are lost: copy relay.mail_audit first if you must keep it.
-- Without CASCADE: if one of your objects depends on these, this fails and
-- drops nothing.
DROP VIEW IF EXISTS relay_api.mail_audit;
DROP FUNCTION IF EXISTS relay.attach(bigint, text, bytea, text);
DROP TABLE relay.mail_audit;
DROP TABLE relay.attachment;
ALTER TABLE relay.settings
    DROP COLUMN mail_prohibited_extensions,
    DROP COLUMN mail_max_attachment_bytes;
