-- dbrelay 000008 (PostgreSQL): events, subscriptions and responses
-- (docs/events.md).
--
-- A host raises an event (relay.raise(event, ref, payload), in its own
-- transaction); relay.subscription routes it to channels, one message per
-- matching channel; an event nobody subscribes to is recorded as unrouted.
-- An endpoint's JSON answer is kept parsed in relay.message.response_json
-- for relay.on_outcome to read. A channel may ask for a periodic ECHO while
-- it is idle (relay.channel.echo_every_s).
--
-- relay.on_outcome keeps its signature: the response is a column the hook
-- reads (SELECT response_json FROM relay.message WHERE id = message_id),
-- not a new parameter, so a customised hook goes on working unchanged.

-- Who gets which event. event is a name (ACTION_DONE) or a pattern where *
-- stands for any run of characters (ACTION_*, *); names and patterns use
-- letters, digits and _ . : / - only, so that nothing else in them is a
-- wildcard. ref_prefix, when not '', limits the subscription to events
-- whose ref starts with it (a workflow: 'leave/', a step: 'leave/approve/').
-- address is handed to the channel as the message's address (an email
-- address for an email channel; '' for a webhook). Comparisons are exact
-- (case-sensitive), as on SQL Server.
CREATE TABLE relay.subscription (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event      text        NOT NULL CHECK (event ~ '^[A-Za-z0-9_.:/*-]{1,100}$'),
    ref_prefix text        NOT NULL DEFAULT '' CHECK (length(ref_prefix) <= 200),
    channel    text        NOT NULL REFERENCES relay.channel (code) ON UPDATE CASCADE ON DELETE CASCADE,
    address    text        NOT NULL DEFAULT '' CHECK (length(address) <= 400),
    enabled    boolean     NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (event, ref_prefix, channel, address)
);

-- Every event raised, routed or not: status 'routed' (messages holds how
-- many were enqueued) or 'unrouted' (no enabled subscription matched when
-- it was raised, or when `dbrelay retry --event` last routed it).
CREATE TABLE relay.event (
    id        bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event     text        NOT NULL CHECK (event <> '' AND length(event) <= 100),
    ref       text        CHECK (length(ref) <= 200),
    payload   jsonb,
    status    text        NOT NULL CHECK (status IN ('routed', 'unrouted')),
    messages  integer     NOT NULL DEFAULT 0,
    raised_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX event_unrouted ON relay.event (raised_at) WHERE status = 'unrouted';

-- Which messages an event became, and through which subscription (NULL for
-- an ECHO, routed to its channel directly). No foreign key on the
-- subscription: deleting one keeps the history of what it routed.
CREATE TABLE relay.event_message (
    event_id        bigint NOT NULL REFERENCES relay.event (id) ON DELETE CASCADE,
    message_id      bigint NOT NULL REFERENCES relay.message (id) ON DELETE CASCADE,
    subscription_id bigint,
    PRIMARY KEY (event_id, message_id)
);
CREATE INDEX event_message_message ON relay.event_message (message_id);

-- An endpoint's answer, parsed, when it was a JSON object or array of at
-- most 64 KiB (channel.MaxJSONResponse); NULL otherwise. response_body
-- keeps the first 4 KiB as text either way.
ALTER TABLE relay.message ADD COLUMN response_json jsonb;

-- The periodic health check: when set, the listeners raise an ECHO event
-- on this channel every echo_every_s seconds while nothing of it is
-- waiting (relay.echo_due); relay_api.channel_echo shows the last result.
ALTER TABLE relay.channel ADD COLUMN echo_every_s integer CHECK (echo_every_s > 0);

-- The last ECHO raised on each channel by the health check (the message
-- holds its outcome).
CREATE TABLE relay.channel_echo (
    channel    text        PRIMARY KEY REFERENCES relay.channel (code) ON UPDATE CASCADE ON DELETE CASCADE,
    message_id bigint      NOT NULL,
    raised_at  timestamptz NOT NULL DEFAULT now()
);
