-- dbrelay 000011 (PostgreSQL): channel health, as the listeners see it.
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
-- deleted after a day by the next report. UNLOGGED: the rows are
-- rewritten all the time and worthless after a crash (the listeners write
-- them again), so they cost no WAL. No foreign key to relay.channel: a
-- listener may still report a channel deleted a moment ago.
-- reason names no environment variable and quotes no configuration: the
-- listener's log does.
CREATE UNLOGGED TABLE relay.channel_health (
    channel      text        NOT NULL,
    listener     text        NOT NULL,
    up           boolean     NOT NULL,
    reason       text,
    parked_until timestamptz,
    reported_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT channel_health_pkey PRIMARY KEY (channel, listener)
);
