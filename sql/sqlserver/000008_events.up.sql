-- dbrelay 000008 (SQL Server): events, subscriptions and responses
-- (docs/events.md).
--
-- A host raises an event (EXEC relay.raise, in its own transaction);
-- relay.subscription routes it to channels, one message per matching
-- channel; an event nobody subscribes to is recorded as unrouted. An
-- endpoint's JSON answer is kept in relay.message.response_json
-- (nvarchar(max), ISJSON) for relay.on_outcome to read. A channel may ask
-- for a periodic ECHO while it is idle (relay.channel.echo_every_s).
--
-- relay.on_outcome keeps its signature: the response is a column the hook
-- reads (SELECT response_json FROM relay.message WHERE id = @message_id),
-- not a new parameter, so a customised hook goes on working unchanged.
--
-- One batch, one transaction, no GO (golang-migrate's sqlserver driver
-- sends the file as it is). No filtered index (error 1934, see 000001).

SET XACT_ABORT ON;
BEGIN TRANSACTION;

-- Who gets which event. event is a name (ACTION_DONE) or a pattern where *
-- stands for any run of characters (ACTION_*, *); names and patterns use
-- letters, digits and _ . : / - only, so that nothing else in them is a
-- wildcard. ref_prefix, when not '', limits the subscription to events
-- whose ref starts with it. address is handed to the channel as the
-- message's address ('' for a webhook). Comparisons are by code point
-- (binary collation), as on PostgreSQL, whatever the database's collation.
CREATE TABLE relay.subscription (
    id         bigint        IDENTITY (1, 1) NOT NULL,
    event      nvarchar(100) COLLATE Latin1_General_100_BIN2 NOT NULL,
    ref_prefix nvarchar(200) COLLATE Latin1_General_100_BIN2 NOT NULL CONSTRAINT subscription_ref_prefix_default DEFAULT N'',
    channel    nvarchar(100) NOT NULL,
    address    nvarchar(400) NOT NULL CONSTRAINT subscription_address_default DEFAULT N'',
    enabled    bit           NOT NULL CONSTRAINT subscription_enabled_default DEFAULT 1,
    created_at datetime2(6)  NOT NULL CONSTRAINT subscription_created_at_default DEFAULT SYSUTCDATETIME(),
    CONSTRAINT subscription_pkey PRIMARY KEY (id),
    CONSTRAINT subscription_channel_fkey FOREIGN KEY (channel)
        REFERENCES relay.channel (code) ON UPDATE CASCADE ON DELETE CASCADE,
    CONSTRAINT subscription_unique UNIQUE (event, ref_prefix, channel, address),
    CONSTRAINT subscription_event_check CHECK (
        event <> N'' AND event NOT LIKE N'%[^A-Za-z0-9_.:/*-]%'
    )
);

-- Every event raised, routed or not: status 'routed' (messages holds how
-- many were enqueued) or 'unrouted' (no enabled subscription matched when
-- it was raised, or when `dbrelay retry --event` last routed it).
CREATE TABLE relay.event (
    id        bigint        IDENTITY (1, 1) NOT NULL,
    event     nvarchar(100) COLLATE Latin1_General_100_BIN2 NOT NULL,
    ref       nvarchar(200) COLLATE Latin1_General_100_BIN2 NULL,
    payload   nvarchar(max) NULL,
    status    nvarchar(16)  NOT NULL,
    messages  int           NOT NULL CONSTRAINT event_messages_default DEFAULT 0,
    raised_at datetime2(6)  NOT NULL CONSTRAINT event_raised_at_default DEFAULT SYSUTCDATETIME(),
    CONSTRAINT event_pkey PRIMARY KEY (id),
    CONSTRAINT event_event_check CHECK (event <> N''),
    CONSTRAINT event_payload_check CHECK (payload IS NULL OR ISJSON(payload) = 1),
    CONSTRAINT event_status_check CHECK (status COLLATE Latin1_General_100_BIN2 IN (N'routed', N'unrouted'))
);
CREATE NONCLUSTERED INDEX event_status ON relay.event (status, raised_at);

-- Which messages an event became, and through which subscription (NULL for
-- an ECHO, routed to its channel directly). No foreign key on the
-- subscription: deleting one keeps the history of what it routed.
CREATE TABLE relay.event_message (
    event_id        bigint NOT NULL,
    message_id      bigint NOT NULL,
    subscription_id bigint NULL,
    CONSTRAINT event_message_pkey PRIMARY KEY (event_id, message_id),
    CONSTRAINT event_message_event_fkey FOREIGN KEY (event_id)
        REFERENCES relay.event (id) ON DELETE CASCADE,
    CONSTRAINT event_message_message_fkey FOREIGN KEY (message_id)
        REFERENCES relay.message (id) ON DELETE CASCADE
);
CREATE NONCLUSTERED INDEX event_message_message ON relay.event_message (message_id);

-- An endpoint's answer, when it was a JSON object or array of at most
-- 64 KiB (channel.MaxJSONResponse); NULL otherwise. response_body keeps
-- the first 4 KiB as text either way.
ALTER TABLE relay.message ADD response_json nvarchar(max) NULL
    CONSTRAINT message_response_json_check CHECK (response_json IS NULL OR ISJSON(response_json) = 1);

-- The periodic health check: when set, the listeners raise an ECHO event
-- on this channel every echo_every_s seconds while nothing of it is
-- waiting (relay.echo_due); relay_api.channel_echo shows the last result.
ALTER TABLE relay.channel ADD echo_every_s int NULL
    CONSTRAINT channel_echo_every_s_check CHECK (echo_every_s > 0);

-- The last ECHO raised on each channel by the health check (the message
-- holds its outcome).
CREATE TABLE relay.channel_echo (
    channel    nvarchar(100) NOT NULL,
    message_id bigint        NOT NULL,
    raised_at  datetime2(6)  NOT NULL CONSTRAINT channel_echo_raised_at_default DEFAULT SYSUTCDATETIME(),
    CONSTRAINT channel_echo_pkey PRIMARY KEY (channel),
    CONSTRAINT channel_echo_channel_fkey FOREIGN KEY (channel)
        REFERENCES relay.channel (code) ON UPDATE CASCADE ON DELETE CASCADE
);

COMMIT TRANSACTION;
