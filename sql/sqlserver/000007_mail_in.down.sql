-- dbrelay 000007 down (SQL Server): removes mail-in's tables and its hook.
--
-- One batch, one transaction. The hook relay.on_mail goes too (it is about
-- these tables); a customised one is lost, so export it first (`dbrelay
-- migrate export`) if you mean to come back. If one of your objects
-- depends on these tables (a foreign key, a view WITH SCHEMABINDING), a
-- DROP fails, XACT_ABORT rolls everything back, and nothing is dropped.

SET XACT_ABORT ON;
BEGIN TRANSACTION;

IF OBJECT_ID(N'relay.on_mail', N'P') IS NOT NULL
    EXEC sp_executesql N'DROP PROCEDURE relay.on_mail';
DROP TABLE relay.inbound_mail_attachment;
DROP TABLE relay.inbound_mail;

COMMIT TRANSACTION;
