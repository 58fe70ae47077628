-- dbrelay 000011 down (PostgreSQL): removes relay.channel_health.
--
-- relay_api.channel_stats reads it, so the view goes first; version 9's
-- `dbrelay migrate up` creates version 9's view again. Never with CASCADE:
-- if one of your objects depends on the view, this fails and drops nothing.
DROP VIEW IF EXISTS relay_api.channel_stats;
DROP TABLE relay.channel_health;
