-- dbrelay 000006 (SQL Server): inbound HTTP, `dbrelay serve`.
--
-- One batch, one transaction, no GO (golang-migrate's sqlserver driver
-- sends the file as it is; it also runs as it is in sqlcmd or SSMS).
--
-- relay.endpoint is the allow-list: a request runs only the procedure
-- registered for its path, never a name taken from the request.
-- relay.inbound records every request serve answered (the audit trail);
-- relay.inbound_seen remembers idempotency keys, so that a replayed request
-- gets the first answer instead of running its procedure again.
-- docs/inbound.md describes all three; the PostgreSQL twin documents each
-- column.
--
-- Paths, procedure names, auth kinds and idempotency keys are compared by
-- code point (a binary collation), as on PostgreSQL: under the usual
-- case-insensitive collation /Orders would otherwise be /orders, and two
-- keys differing in case one key. No filtered index (error 1934).

SET XACT_ABORT ON;
BEGIN TRANSACTION;

CREATE TABLE relay.endpoint (
    path            nvarchar(200) COLLATE Latin1_General_100_BIN2 NOT NULL,
    procedure_name  nvarchar(257) COLLATE Latin1_General_100_BIN2 NOT NULL
        CONSTRAINT endpoint_procedure_name_default DEFAULT N'relay.on_inbound',
    auth            nvarchar(16) COLLATE Latin1_General_100_BIN2 NOT NULL,
    caller          nvarchar(200) NOT NULL,
    secret_env      nvarchar(128) NULL,
    secret_hash     nvarchar(200) COLLATE Latin1_General_100_BIN2 NULL,
    max_body_bytes  int           NOT NULL CONSTRAINT endpoint_max_body_bytes_default DEFAULT 1048576,
    rate_per_minute int           NULL,
    enabled         bit           NOT NULL CONSTRAINT endpoint_enabled_default DEFAULT 1,
    created_at      datetime2(6)  NOT NULL CONSTRAINT endpoint_created_at_default DEFAULT SYSUTCDATETIME(),
    CONSTRAINT endpoint_pkey PRIMARY KEY (path),
    -- Segments of URL-safe characters: nothing to decode, no "//", no
    -- trailing "/", no "." or ".." segment.
    CONSTRAINT endpoint_path_check CHECK (
        path LIKE N'/_%'
        AND path NOT LIKE N'%[^A-Za-z0-9._~/-]%'
        AND path NOT LIKE N'%//%'
        AND path NOT LIKE N'%/'
        AND path + N'/' NOT LIKE N'%/./%'
        AND path + N'/' NOT LIKE N'%/../%'
    ),
    -- schema.name: two identifiers of letters, digits and _, not starting
    -- with a digit, each at most 128 characters.
    CONSTRAINT endpoint_procedure_name_check CHECK (
        procedure_name LIKE N'[A-Za-z_]%.[A-Za-z_]%'
        AND procedure_name NOT LIKE N'%[^A-Za-z0-9_.]%'
        AND procedure_name NOT LIKE N'%.%.%'
        AND CHARINDEX(N'.', procedure_name) <= 129
        AND LEN(procedure_name) - CHARINDEX(N'.', procedure_name) <= 128
    ),
    CONSTRAINT endpoint_auth_check CHECK (auth IN (N'basic', N'bearer', N'webhook', N'digest')),
    -- No ':' (Basic's separator) and no control characters.
    CONSTRAINT endpoint_caller_check CHECK (
        caller <> N''
        AND caller NOT LIKE N'%:%'
        AND PATINDEX(N'%[' + NCHAR(1) + N'-' + NCHAR(31) + NCHAR(127) + N']%', caller COLLATE Latin1_General_100_BIN2) = 0
    ),
    CONSTRAINT endpoint_secret_env_check CHECK (
        secret_env COLLATE Latin1_General_100_BIN2 LIKE N'[A-Za-z_]%'
        AND secret_env COLLATE Latin1_General_100_BIN2 NOT LIKE N'%[^A-Za-z0-9_]%'
    ),
    -- A bcrypt hash: $2a$, $2b$ or $2y$, the cost, and 53 characters.
    CONSTRAINT endpoint_secret_hash_check CHECK (
        LEN(secret_hash) = 60
        AND secret_hash LIKE N'$2[aby]$[0-9][0-9]$%'
        AND SUBSTRING(secret_hash, 8, 53) NOT LIKE N'%[^./A-Za-z0-9]%'
    ),
    -- Exactly one source of the secret; a hash only where a hash can do.
    CONSTRAINT endpoint_secret_check CHECK (
        (secret_env IS NULL AND secret_hash IS NOT NULL AND auth IN (N'basic', N'bearer'))
        OR (secret_env IS NOT NULL AND secret_hash IS NULL)
    ),
    CONSTRAINT endpoint_max_body_bytes_check CHECK (max_body_bytes BETWEEN 1 AND 67108864),
    CONSTRAINT endpoint_rate_per_minute_check CHECK (rate_per_minute BETWEEN 1 AND 6000000)
);

-- One row per request serve answered; see the PostgreSQL twin for each
-- column. body and headers hold JSON text (ISJSON: an object or array).
CREATE TABLE relay.inbound (
    id              bigint        IDENTITY (1, 1) NOT NULL,
    received_at     datetime2(6)  NOT NULL CONSTRAINT inbound_received_at_default DEFAULT SYSUTCDATETIME(),
    endpoint        nvarchar(200) COLLATE Latin1_General_100_BIN2 NOT NULL,
    caller          nvarchar(200) NULL,
    remote_addr     nvarchar(100) NOT NULL CONSTRAINT inbound_remote_addr_default DEFAULT N'',
    headers         nvarchar(max) NOT NULL CONSTRAINT inbound_headers_default DEFAULT N'{}',
    body            nvarchar(max) NULL,
    idempotency_key nvarchar(200) COLLATE Latin1_General_100_BIN2 NULL,
    status          int           NOT NULL,
    outcome         nvarchar(16)  NOT NULL,
    response        nvarchar(max) NULL,
    error           nvarchar(max) NULL,
    replay_of       bigint        NULL,
    duration_ms     int           NULL,
    CONSTRAINT inbound_pkey PRIMARY KEY (id),
    CONSTRAINT inbound_outcome_check CHECK (
        outcome COLLATE Latin1_General_100_BIN2 IN (
            N'ok', N'replayed', N'refused', N'failed', N'unauthorized', N'too_large', N'bad_request', N'error'
        )
    ),
    CONSTRAINT inbound_status_check CHECK (status BETWEEN 100 AND 599),
    CONSTRAINT inbound_headers_check CHECK (ISJSON(headers) = 1),
    CONSTRAINT inbound_body_check CHECK (body IS NULL OR ISJSON(body) = 1)
);
CREATE NONCLUSTERED INDEX inbound_received_at ON relay.inbound (received_at);

-- The idempotency keys of committed requests, per endpoint (see the
-- PostgreSQL twin). serve deletes keys older than --keep-seen.
CREATE TABLE relay.inbound_seen (
    endpoint        nvarchar(200) COLLATE Latin1_General_100_BIN2 NOT NULL,
    idempotency_key nvarchar(200) COLLATE Latin1_General_100_BIN2 NOT NULL,
    inbound_id      bigint        NOT NULL,
    seen_at         datetime2(6)  NOT NULL CONSTRAINT inbound_seen_seen_at_default DEFAULT SYSUTCDATETIME(),
    CONSTRAINT inbound_seen_pkey PRIMARY KEY (endpoint, idempotency_key),
    CONSTRAINT inbound_seen_inbound_id_fkey FOREIGN KEY (inbound_id)
        REFERENCES relay.inbound (id) ON DELETE CASCADE
);
CREATE NONCLUSTERED INDEX inbound_seen_seen_at ON relay.inbound_seen (seen_at);
CREATE NONCLUSTERED INDEX inbound_seen_inbound_id ON relay.inbound_seen (inbound_id);

COMMIT TRANSACTION;
