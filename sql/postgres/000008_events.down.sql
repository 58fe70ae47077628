-- dbrelay 000008 down (PostgreSQL): removes events, subscriptions, stored
-- JSON responses and the ECHO health check. Never with CASCADE: if one of
-- the host's objects depends on these, this fails and drops nothing.
-- Messages that events enqueued stay (they are ordinary messages).
DROP VIEW IF EXISTS relay_api.channel_echo;
DROP VIEW IF EXISTS relay_api.events;
DROP FUNCTION IF EXISTS relay.echo_due();
DROP FUNCTION IF EXISTS relay.raise(text, text, jsonb);
DROP FUNCTION IF EXISTS relay.route_event(bigint);
DROP TABLE relay.channel_echo;
ALTER TABLE relay.channel DROP COLUMN echo_every_s;
ALTER TABLE relay.message DROP COLUMN response_json;
DROP TABLE relay.event_message;
DROP TABLE relay.event;
DROP TABLE relay.subscription;
