-- dbrelay 000001 (PostgreSQL): schemas, tables, constraints and indexes.
--
-- Applied by `dbrelay migrate up` (which then applies procedures/, views/
-- and triggers/), or by hand with the upstream CLI:
--   migrate -path sql/postgres -database "$URL" up
-- Tables only: the repeatable objects live in their own directories so that
-- integrators can edit them without touching versioned history.
--
-- Requires PostgreSQL 14 or newer (CREATE OR REPLACE TRIGGER in triggers/).

CREATE SCHEMA IF NOT EXISTS relay;      -- internal: may change between versions
CREATE SCHEMA IF NOT EXISTS relay_api;  -- stable views: columns only ever added

-- One row per endpoint. Secrets are never stored here: secret_env and the
-- *_env keys of config name environment variables of the listener.
CREATE TABLE relay.channel (
    code         text        PRIMARY KEY,
    kind         text        NOT NULL,
    target       text        NOT NULL DEFAULT '',
    config       jsonb       NOT NULL DEFAULT '{}',
    secret_env   text,
    enabled      boolean     NOT NULL DEFAULT true,
    max_attempts integer     NOT NULL DEFAULT 10,
    timeout_ms   integer     NOT NULL DEFAULT 10000,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT channel_code_check CHECK (code <> '' AND code = btrim(code) AND length(code) <= 100),
    CONSTRAINT channel_kind_check CHECK (kind IN ('webhook', 'email', 'sms', 'internal')),
    CONSTRAINT channel_config_check CHECK (jsonb_typeof(config) = 'object'),
    CONSTRAINT channel_secret_env_check CHECK (secret_env ~ '^[A-Za-z_][A-Za-z0-9_]*$'),
    CONSTRAINT channel_max_attempts_check CHECK (max_attempts BETWEEN 1 AND 1000),
    CONSTRAINT channel_timeout_ms_check CHECK (timeout_ms BETWEEN 1 AND 600000)
);

-- Settings of this installation: exactly one row (id = 1).
-- default_channel: where relay.push sends a receiver that has no row in
-- relay.recipient; NULL means such a receiver is an error.
CREATE TABLE relay.settings (
    id              smallint PRIMARY KEY DEFAULT 1,
    default_channel text REFERENCES relay.channel (code) ON UPDATE CASCADE ON DELETE SET NULL,
    CONSTRAINT settings_single_row CHECK (id = 1)
);
INSERT INTO relay.settings (id) VALUES (1);

-- Each receiver's preferred channels (ccflow's wf_emp "message prompting
-- method"): relay.push sends one message per row. address is the phone
-- number, e-mail address or account on that channel; '' means "use the
-- receiver's name".
CREATE TABLE relay.recipient (
    receiver text NOT NULL,
    channel  text NOT NULL REFERENCES relay.channel (code) ON UPDATE CASCADE ON DELETE CASCADE,
    address  text NOT NULL DEFAULT '',
    PRIMARY KEY (receiver, channel),
    CONSTRAINT recipient_receiver_check CHECK (receiver <> '')
);

-- The outbox. A row is pending until a listener claims it (sending, with a
-- lease), then sent, dead (gave up) or cancelled (by hand).
--
-- next_attempt_at is the one thing the claim reads: when a pending row is
-- due, when a sending row's lease ends (so an abandoned claim is taken over
-- by the same predicate), and NULL once the row is finished. The CHECK keeps
-- that true whatever writes the row.
CREATE TABLE relay.message (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key             uuid        NOT NULL DEFAULT gen_random_uuid(),
    sender          text        NOT NULL DEFAULT '',
    receiver        text        NOT NULL,
    channel         text        NOT NULL REFERENCES relay.channel (code) ON UPDATE CASCADE,
    address         text        NOT NULL DEFAULT '',
    title           text        NOT NULL,
    body            text        NOT NULL DEFAULT '',
    payload         jsonb,
    event           text        NOT NULL DEFAULT 'MESSAGE',
    ref             text,
    status          text        NOT NULL DEFAULT 'pending',
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz DEFAULT now(),
    locked_by       text,
    locked_until    timestamptz,
    last_error      text,
    response_code   integer,
    response_body   text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    CONSTRAINT message_key_unique UNIQUE (key),
    CONSTRAINT message_status_check CHECK (status IN ('pending', 'sending', 'sent', 'dead', 'cancelled')),
    CONSTRAINT message_attempts_check CHECK (attempts >= 0),
    CONSTRAINT message_due_check CHECK ((next_attempt_at IS NULL) = (status IN ('sent', 'dead', 'cancelled')))
);

-- The claim: "due rows, oldest first". Partial, so finished rows (the bulk
-- of a long-lived table) are not in it and cost the claim nothing.
CREATE INDEX message_due ON relay.message (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
-- Hosts look their messages up by business key (relay_api.outbox WHERE ref = …).
CREATE INDEX message_ref ON relay.message (ref) WHERE ref IS NOT NULL;
-- relay_api.failures and `dbrelay retry --dead`.
CREATE INDEX message_dead ON relay.message (channel) WHERE status = 'dead';

-- One row per attempt, written by the listener with the attempt's outcome.
CREATE TABLE relay.delivery (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id    bigint      NOT NULL REFERENCES relay.message (id) ON DELETE CASCADE,
    attempt       integer     NOT NULL,
    started_at    timestamptz NOT NULL,
    duration_ms   integer     NOT NULL,
    outcome       text        NOT NULL,
    response_code integer,
    error         text,
    CONSTRAINT delivery_outcome_check CHECK (outcome IN ('sent', 'transient', 'permanent'))
);
CREATE INDEX delivery_message ON relay.delivery (message_id);

-- Listeners waiting for work. The wake-up trigger sends NOTIFY only while
-- one is idle here: a NOTIFY makes every committing writer queue for one
-- global lock through its WAL flush, so while listeners are busy draining
-- (and will claim again anyway) hosts' commits should not pay for it.
-- expires_at is refreshed while a listener waits, so a listener killed while
-- idle stops attracting notifications within seconds. UNLOGGED: it is
-- soft state, rebuilt by the listeners, and costs no WAL.
CREATE UNLOGGED TABLE relay.listener (
    id         text        PRIMARY KEY,
    idle       boolean     NOT NULL,
    expires_at timestamptz NOT NULL
);

-- Bookkeeping of `dbrelay migrate` for the repeatable objects: which file
-- was applied, its checksum, and a checksum of the definitions the database
-- held right after, so that `dbrelay migrate status` can tell a file changed
-- on disk from an object edited in the database by hand.
CREATE TABLE relay.schema_object (
    path        text        PRIMARY KEY,
    objects     text        NOT NULL,
    file_sha256 text        NOT NULL,
    db_sha256   text        NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
);
