-- dbrelay 000006 (PostgreSQL): inbound HTTP, `dbrelay serve`.
--
-- relay.endpoint is the allow-list: a request runs only the procedure
-- registered for its path, never a name taken from the request.
-- relay.inbound records every request serve answered (the audit trail);
-- relay.inbound_seen remembers idempotency keys, so that a replayed request
-- gets the first answer instead of running its procedure again.
-- docs/inbound.md describes all three.

-- One row per endpoint, managed with `dbrelay endpoint add|list|disable`.
-- Secrets are never stored here: secret_env names an environment variable
-- of serve (readable only if the operator allowed it), and secret_hash is a
-- bcrypt hash (basic and bearer only: webhook signatures and Digest need
-- the secret itself).
--   path            the URL path callers POST to, e.g. /orders/new
--   procedure_name  schema.name of the function it runs; it must have the
--                   signature of relay.on_inbound (docs/inbound.md)
--   auth            basic, bearer, webhook (Standard Webhooks HMAC) or digest
--   caller          who calls it: the Basic/Digest user name, and the
--                   identity passed to the procedure whatever the scheme
--   max_body_bytes  larger bodies are refused with 413
--   rate_per_minute sustained requests per minute (per serve process);
--                   NULL = no limit
CREATE TABLE relay.endpoint (
    path            text        PRIMARY KEY,
    procedure_name  text        NOT NULL DEFAULT 'relay.on_inbound',
    auth            text        NOT NULL,
    caller          text        NOT NULL,
    secret_env      text,
    secret_hash     text,
    max_body_bytes  integer     NOT NULL DEFAULT 1048576,
    rate_per_minute integer,
    enabled         boolean     NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now(),
    -- Segments of URL-safe characters: nothing to decode, no "//", no
    -- trailing "/", no "." or ".." segment.
    CONSTRAINT endpoint_path_check CHECK (
        length(path) <= 200
        AND path ~ '^(/[A-Za-z0-9._~-]+)+$'
        AND path !~ '/\.\.?(/|$)'
    ),
    CONSTRAINT endpoint_procedure_name_check CHECK (
        procedure_name ~ '^[A-Za-z_][A-Za-z0-9_]{0,62}\.[A-Za-z_][A-Za-z0-9_]{0,62}$'
    ),
    CONSTRAINT endpoint_auth_check CHECK (auth IN ('basic', 'bearer', 'webhook', 'digest')),
    CONSTRAINT endpoint_caller_check CHECK (caller <> '' AND length(caller) <= 200 AND caller !~ '[:[:cntrl:]]'),
    CONSTRAINT endpoint_secret_env_check CHECK (secret_env ~ '^[A-Za-z_][A-Za-z0-9_]*$'),
    CONSTRAINT endpoint_secret_hash_check CHECK (secret_hash ~ '^\$2[aby]\$[0-9]{2}\$[./A-Za-z0-9]{53}$'),
    -- Exactly one source of the secret; a hash only where a hash can do.
    CONSTRAINT endpoint_secret_check CHECK (
        (secret_env IS NULL) <> (secret_hash IS NULL)
        AND (secret_hash IS NULL OR auth IN ('basic', 'bearer'))
    ),
    CONSTRAINT endpoint_max_body_bytes_check CHECK (max_body_bytes BETWEEN 1 AND 67108864),
    CONSTRAINT endpoint_rate_per_minute_check CHECK (rate_per_minute BETWEEN 1 AND 6000000)
);

-- One row per request serve answered, accepted or refused; written in the
-- request's own transaction when its procedure ran and committed, otherwise
-- in a transaction of its own after the refusal. No foreign key to
-- relay.endpoint: the audit trail outlives a deleted endpoint.
--   caller           NULL when authentication failed
--   headers          the request's headers, lower-case names, without
--                    Authorization, Proxy-Authorization, Cookie and
--                    webhook-signature
--   body             the parsed JSON body; NULL when it was not read
--                    (refused before) or not JSON
--   idempotency_key  webhook-id (webhook auth) or the Idempotency-Key header
--   status           the HTTP status answered
--   outcome          ok (procedure ran, committed), replayed (answered from
--                    the first request with the same key), refused (the
--                    procedure answered 4xx: rolled back), failed (it
--                    raised: 422, rolled back), unauthorized, too_large,
--                    bad_request, error (serve or the database failed)
--   response         what the procedure returned (and what was answered)
--   error            why a request was refused or failed
--   replay_of        for outcome replayed: the id of the first request
CREATE TABLE relay.inbound (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at     timestamptz NOT NULL DEFAULT now(),
    endpoint        text        NOT NULL,
    caller          text,
    remote_addr     text        NOT NULL DEFAULT '',
    headers         jsonb       NOT NULL DEFAULT '{}',
    body            jsonb,
    idempotency_key text,
    status          integer     NOT NULL,
    outcome         text        NOT NULL,
    response        jsonb,
    error           text,
    replay_of       bigint,
    duration_ms     integer,
    CONSTRAINT inbound_outcome_check CHECK (
        outcome IN ('ok', 'replayed', 'refused', 'failed', 'unauthorized', 'too_large', 'bad_request', 'error')
    ),
    CONSTRAINT inbound_status_check CHECK (status BETWEEN 100 AND 599),
    CONSTRAINT inbound_headers_check CHECK (jsonb_typeof(headers) = 'object')
);
-- Reading and pruning the trail by time.
CREATE INDEX inbound_received_at ON relay.inbound (received_at);

-- The idempotency keys of committed requests, per endpoint. A request
-- whose key is here gets the answer of the request in inbound_id and does
-- not run its procedure. Inserting the key in the request's transaction
-- makes a concurrent request with the same key wait for that transaction:
-- if it commits, the second is a replay; if it rolls back, the second runs.
-- serve deletes keys older than --keep-seen (24h by default).
CREATE TABLE relay.inbound_seen (
    endpoint        text        NOT NULL,
    idempotency_key text        NOT NULL,
    inbound_id      bigint      NOT NULL REFERENCES relay.inbound (id) ON DELETE CASCADE,
    seen_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (endpoint, idempotency_key)
);
CREATE INDEX inbound_seen_seen_at ON relay.inbound_seen (seen_at);
CREATE INDEX inbound_seen_inbound_id ON relay.inbound_seen (inbound_id);
