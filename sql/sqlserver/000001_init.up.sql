-- dbrelay 000001 (SQL Server): schemas, tables, constraints and indexes.
--
-- Applied by `dbrelay migrate up` (which then applies procedures/, views/
-- and triggers/), or by hand: golang-migrate's sqlserver driver sends this
-- whole file as ONE batch, with no GO splitting and no transaction of its
-- own, so it opens and commits its own transaction and never uses GO.
-- It also runs as it is in sqlcmd or SSMS.
-- Tables only: the repeatable objects live in their own directories so that
-- integrators can edit them without touching versioned history.
--
-- Requires SQL Server 2016 SP1 or newer, or Azure SQL Database.
--
-- No filtered index anywhere on these tables: an INSERT into a table with a
-- filtered index fails with error 1934 when the session runs with
-- QUOTED_IDENTIFIER or ANSI_NULLS off, which is how old host clients (and
-- sqlcmd without -I) call relay.push. Every constraint has a name so that a
-- DBA's scripts and this file's down migration can refer to it.

SET XACT_ABORT ON;
BEGIN TRANSACTION;

-- CREATE SCHEMA must be alone in its batch: run it through sp_executesql.
IF SCHEMA_ID(N'relay') IS NULL
    EXEC sp_executesql N'CREATE SCHEMA relay';      -- internal: may change between versions
IF SCHEMA_ID(N'relay_api') IS NULL
    EXEC sp_executesql N'CREATE SCHEMA relay_api';  -- stable views: columns only ever added

-- One row per endpoint. Secrets are never stored here: secret_env and the
-- *_env keys of config name environment variables of the listener.
-- code = its trimmed self: SQL Server's = ignores trailing spaces, so the
-- lengths are compared.
CREATE TABLE relay.channel (
    code         nvarchar(100)  NOT NULL,
    kind         nvarchar(20)   NOT NULL,
    target       nvarchar(2000) NOT NULL CONSTRAINT channel_target_default DEFAULT N'',
    config       nvarchar(max)  NOT NULL CONSTRAINT channel_config_default DEFAULT N'{}',
    secret_env   nvarchar(128)  NULL,
    enabled      bit            NOT NULL CONSTRAINT channel_enabled_default DEFAULT 1,
    max_attempts int            NOT NULL CONSTRAINT channel_max_attempts_default DEFAULT 10,
    timeout_ms   int            NOT NULL CONSTRAINT channel_timeout_ms_default DEFAULT 10000,
    created_at   datetime2(6)   NOT NULL CONSTRAINT channel_created_at_default DEFAULT SYSUTCDATETIME(),
    CONSTRAINT channel_pkey PRIMARY KEY (code),
    CONSTRAINT channel_code_check CHECK (
        code <> N'' AND DATALENGTH(code) = DATALENGTH(LTRIM(RTRIM(code)))
    ),
    -- Code values are compared by code point (a binary collation): under a
    -- case-insensitive database collation 'Webhook' would pass otherwise.
    CONSTRAINT channel_kind_check CHECK (
        kind COLLATE Latin1_General_100_BIN2 IN (N'webhook', N'email', N'sms', N'internal')
    ),
    -- A JSON object: valid JSON whose first character after blanks is {.
    CONSTRAINT channel_config_check CHECK (
        ISJSON(config) = 1
        AND SUBSTRING(config, PATINDEX(N'%[^' + NCHAR(32) + NCHAR(9) + NCHAR(10) + NCHAR(13) + N']%', config), 1) = N'{'
    ),
    CONSTRAINT channel_secret_env_check CHECK (
        secret_env COLLATE Latin1_General_100_BIN2 LIKE N'[A-Za-z_]%'
        AND secret_env COLLATE Latin1_General_100_BIN2 NOT LIKE N'%[^A-Za-z0-9_]%'
    ),
    CONSTRAINT channel_max_attempts_check CHECK (max_attempts BETWEEN 1 AND 1000),
    CONSTRAINT channel_timeout_ms_check CHECK (timeout_ms BETWEEN 1 AND 600000)
);

-- Settings of this installation: exactly one row (id = 1).
-- default_channel: where relay.push sends a receiver that has no row in
-- relay.recipient; NULL means such a receiver is an error.
CREATE TABLE relay.settings (
    id              smallint      NOT NULL CONSTRAINT settings_id_default DEFAULT 1,
    default_channel nvarchar(100) NULL,
    CONSTRAINT settings_pkey PRIMARY KEY (id),
    CONSTRAINT settings_default_channel_fkey FOREIGN KEY (default_channel)
        REFERENCES relay.channel (code) ON UPDATE CASCADE ON DELETE SET NULL,
    CONSTRAINT settings_single_row CHECK (id = 1)
);
INSERT INTO relay.settings (id) VALUES (1);

-- Each receiver's preferred channels (ccflow's wf_emp "message prompting
-- method"): relay.push sends one message per row. address is the phone
-- number, e-mail address or account on that channel; N'' means "use the
-- receiver's name".
CREATE TABLE relay.recipient (
    receiver nvarchar(200) NOT NULL,
    channel  nvarchar(100) NOT NULL,
    address  nvarchar(400) NOT NULL CONSTRAINT recipient_address_default DEFAULT N'',
    CONSTRAINT recipient_pkey PRIMARY KEY (receiver, channel),
    CONSTRAINT recipient_channel_fkey FOREIGN KEY (channel)
        REFERENCES relay.channel (code) ON UPDATE CASCADE ON DELETE CASCADE,
    CONSTRAINT recipient_receiver_check CHECK (receiver <> N'')
);

-- The outbox. A row is pending until a listener claims it (sending, with a
-- lease), then sent, dead (gave up) or cancelled (by hand).
--
-- next_attempt_at is the one thing the claim reads: when a pending row is
-- due, when a sending row's lease ends (so an abandoned claim is taken over
-- by the same predicate), and NULL once the row is finished. Unlike
-- PostgreSQL there is no CHECK for that: SQL Server evaluates CHECK
-- constraints before AFTER triggers, so a CHECK would reject the plain
-- `UPDATE relay.message SET status = 'pending'` that the message_validate
-- trigger is there to complete. That trigger normalises the rows that
-- break the rule instead (triggers/sqlserver/message_validate.sql).
--
-- key is sent in every webhook (webhook-id) as lowercase text:
-- LOWER(CONVERT(nvarchar(36), [key])).
CREATE TABLE relay.message (
    id              bigint           IDENTITY (1, 1) NOT NULL,
    [key]           uniqueidentifier NOT NULL CONSTRAINT message_key_default DEFAULT NEWID(),
    sender          nvarchar(200)    NOT NULL CONSTRAINT message_sender_default DEFAULT N'',
    receiver        nvarchar(200)    NOT NULL,
    channel         nvarchar(100)    NOT NULL,
    address         nvarchar(400)    NOT NULL CONSTRAINT message_address_default DEFAULT N'',
    title           nvarchar(400)    NOT NULL,
    body            nvarchar(max)    NOT NULL CONSTRAINT message_body_default DEFAULT N'',
    payload         nvarchar(max)    NULL,
    event           nvarchar(100)    NOT NULL CONSTRAINT message_event_default DEFAULT N'MESSAGE',
    ref             nvarchar(200)    NULL,
    status          nvarchar(16)     NOT NULL CONSTRAINT message_status_default DEFAULT N'pending',
    attempts        int              NOT NULL CONSTRAINT message_attempts_default DEFAULT 0,
    next_attempt_at datetime2(6)     NULL CONSTRAINT message_next_attempt_at_default DEFAULT SYSUTCDATETIME(),
    locked_by       nvarchar(200)    NULL,
    locked_until    datetime2(6)     NULL,
    last_error      nvarchar(max)    NULL,
    response_code   int              NULL,
    response_body   nvarchar(max)    NULL,
    created_at      datetime2(6)     NOT NULL CONSTRAINT message_created_at_default DEFAULT SYSUTCDATETIME(),
    sent_at         datetime2(6)     NULL,
    CONSTRAINT message_pkey PRIMARY KEY (id),
    CONSTRAINT message_key_unique UNIQUE ([key]),
    CONSTRAINT message_channel_fkey FOREIGN KEY (channel)
        REFERENCES relay.channel (code) ON UPDATE CASCADE,
    CONSTRAINT message_status_check CHECK (
        status COLLATE Latin1_General_100_BIN2 IN (N'pending', N'sending', N'sent', N'dead', N'cancelled')
    ),
    CONSTRAINT message_attempts_check CHECK (attempts >= 0),
    -- ISJSON (SQL Server 2016) accepts objects and arrays only.
    CONSTRAINT message_payload_check CHECK (payload IS NULL OR ISJSON(payload) = 1)
);

-- The claim: "due rows, oldest first". A plain index, not a filtered one
-- (error 1934, above): finished rows sit in it with next_attempt_at NULL,
-- at its start, and the claim's range seek (next_attempt_at <= now) never
-- reads them.
CREATE NONCLUSTERED INDEX message_due ON relay.message (next_attempt_at, id);
-- Hosts look their messages up by business key (relay_api.outbox WHERE ref = …).
CREATE NONCLUSTERED INDEX message_ref ON relay.message (ref);
-- relay_api.failures and `dbrelay retry --dead` (PostgreSQL: a partial
-- index on dead rows).
CREATE NONCLUSTERED INDEX message_status ON relay.message (status, channel);

-- One row per attempt, written by the listener with the attempt's outcome.
CREATE TABLE relay.delivery (
    id            bigint        IDENTITY (1, 1) NOT NULL,
    message_id    bigint        NOT NULL,
    attempt       int           NOT NULL,
    started_at    datetime2(6)  NOT NULL,
    duration_ms   int           NOT NULL,
    outcome       nvarchar(16)  NOT NULL,
    response_code int           NULL,
    error         nvarchar(max) NULL,
    CONSTRAINT delivery_pkey PRIMARY KEY (id),
    CONSTRAINT delivery_message_fkey FOREIGN KEY (message_id)
        REFERENCES relay.message (id) ON DELETE CASCADE,
    CONSTRAINT delivery_outcome_check CHECK (
        outcome COLLATE Latin1_General_100_BIN2 IN (N'sent', N'transient', N'permanent')
    )
);
CREATE NONCLUSTERED INDEX delivery_message ON relay.delivery (message_id);

-- Bookkeeping of `dbrelay migrate` for the repeatable objects: which file
-- was applied, its checksum, and a checksum of the definitions the database
-- held right after, so that `dbrelay migrate status` can tell a file changed
-- on disk from an object edited in the database by hand.
CREATE TABLE relay.schema_object (
    path        nvarchar(400) NOT NULL,
    objects     nvarchar(max) NOT NULL,
    file_sha256 nvarchar(64)  NOT NULL,
    db_sha256   nvarchar(64)  NOT NULL,
    applied_at  datetime2(6)  NOT NULL CONSTRAINT schema_object_applied_at_default DEFAULT SYSUTCDATETIME(),
    CONSTRAINT schema_object_pkey PRIMARY KEY (path)
);

COMMIT TRANSACTION;
