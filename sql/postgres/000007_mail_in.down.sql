-- dbrelay 000007 down (PostgreSQL): removes mail-in's tables and its hook.
--
-- The hook relay.on_mail goes too (it is about these tables); a customised
-- one is lost, so export it first (`dbrelay migrate export`) if you mean to
-- come back. Without CASCADE: if one of your objects depends on these
-- tables, this fails and drops nothing.
DROP PROCEDURE IF EXISTS relay.on_mail(bigint);
DROP TABLE relay.inbound_mail_attachment;
DROP TABLE relay.inbound_mail;
