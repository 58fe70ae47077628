-- dbrelay 000011 (SQL Server): channel health, as the listeners see it.
--
-- A channel a listener cannot deliver on (unknown kind, unusable config, a
-- secret that is not set or not allowed, disabled) or has parked (its
-- endpoint did not answer several attempts in a row) keeps its messages
-- pending. Each running listener writes here, for every channel, whether
-- it can deliver on it and, if not, why: relay_api.channel_stats shows it
-- (columns up, reason, parked_until, waiting), and so does `dbrelay status`.
--
-- One row per channel and listener (relay.message.locked_by's listener id),
-- rewritten every ten seconds and at each change; rows of a listener that
-- stopped reporting more than a minute ago are ignored by the view, and
-- deleted after a day by the next report. No foreign key to relay.channel:
-- a listener may still report a channel deleted a moment ago. reason names
-- no environment variable and quotes no configuration: the listener's log
-- does. channel has relay.channel.code's type and collation (the view
-- joins them).
--
-- One batch, one transaction, no GO (golang-migrate's sqlserver driver
-- sends the file as it is).

SET XACT_ABORT ON;
BEGIN TRANSACTION;

CREATE TABLE relay.channel_health (
    channel      nvarchar(100)  NOT NULL,
    listener     nvarchar(200)  NOT NULL,
    up           bit            NOT NULL,
    reason       nvarchar(1000) NULL,
    parked_until datetime2(6)   NULL,
    reported_at  datetime2(6)   NOT NULL CONSTRAINT channel_health_reported_at_default DEFAULT SYSUTCDATETIME(),
    CONSTRAINT channel_health_pkey PRIMARY KEY (channel, listener)
);

COMMIT TRANSACTION;
