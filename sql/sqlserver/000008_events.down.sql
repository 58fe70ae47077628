-- dbrelay 000008 down (SQL Server): removes events, subscriptions, stored
-- JSON responses and the ECHO health check. Messages that events enqueued
-- stay (they are ordinary messages).
--
-- One batch, one transaction. If one of your objects depends on these (a
-- foreign key, a view WITH SCHEMABINDING), a DROP fails, XACT_ABORT rolls
-- everything back, and nothing is dropped.

SET XACT_ABORT ON;
BEGIN TRANSACTION;

IF OBJECT_ID(N'relay_api.channel_echo', N'V') IS NOT NULL
    EXEC sp_executesql N'DROP VIEW relay_api.channel_echo';
IF OBJECT_ID(N'relay_api.events', N'V') IS NOT NULL
    EXEC sp_executesql N'DROP VIEW relay_api.events';
IF OBJECT_ID(N'relay.echo_due', N'P') IS NOT NULL
    EXEC sp_executesql N'DROP PROCEDURE relay.echo_due';
IF OBJECT_ID(N'relay.raise', N'P') IS NOT NULL
    EXEC sp_executesql N'DROP PROCEDURE relay.raise';
IF OBJECT_ID(N'relay.route_event', N'P') IS NOT NULL
    EXEC sp_executesql N'DROP PROCEDURE relay.route_event';
DROP TABLE relay.channel_echo;
ALTER TABLE relay.channel DROP CONSTRAINT channel_echo_every_s_check;
ALTER TABLE relay.channel DROP COLUMN echo_every_s;
ALTER TABLE relay.message DROP CONSTRAINT message_response_json_check;
ALTER TABLE relay.message DROP COLUMN response_json;
DROP TABLE relay.event_message;
DROP TABLE relay.event;
DROP TABLE relay.subscription;

COMMIT TRANSACTION;
