-- dbrelay 000010 down (SQL Server): removes e-mail's attachments and audit.
--
-- One batch, one transaction. Drops relay_api.mail_audit and relay.attach
-- (object files of this release), then the tables and the settings'
-- columns with their constraints. The audit rows and attachments are lost:
-- copy relay.mail_audit first if you must keep it. If one of your objects
-- depends on these, a DROP fails, XACT_ABORT rolls everything back, and
-- nothing is dropped.

SET XACT_ABORT ON;
BEGIN TRANSACTION;

IF OBJECT_ID(N'relay_api.mail_audit', N'V') IS NOT NULL
    EXEC sp_executesql N'DROP VIEW relay_api.mail_audit';
IF OBJECT_ID(N'relay.attach', N'P') IS NOT NULL
    EXEC sp_executesql N'DROP PROCEDURE relay.attach';
DROP TABLE relay.mail_audit;
DROP TABLE relay.attachment;
ALTER TABLE relay.settings DROP CONSTRAINT settings_mail_prohibited_extensions_default;
ALTER TABLE relay.settings DROP CONSTRAINT settings_mail_max_attachment_bytes_check;
ALTER TABLE relay.settings DROP CONSTRAINT settings_mail_max_attachment_bytes_default;
ALTER TABLE relay.settings DROP COLUMN mail_prohibited_extensions, mail_max_attachment_bytes;

COMMIT TRANSACTION;
