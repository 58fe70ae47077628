-- dbrelay 000004 (PostgreSQL): extension points that `migrate up` never
-- overwrites, and hooks that run after the write-back.
--
-- Applied by `dbrelay migrate up`, or by hand with the upstream CLI
-- (migrate -path sql/postgres -database "$URL" up).

-- The shipped default an applied object file is, or is based on (the
-- SHA-256 of the file this dbrelay carried when it applied it): an
-- extension point whose file differs from it was customised through
-- --objects-dir. NULL in rows written before this migration.
ALTER TABLE relay.schema_object ADD COLUMN shipped_sha256 text;

-- Definitions `dbrelay migrate up` replaced (an object edited by hand, a
-- customised extension point replaced on request, an older version), so
-- that nothing an integrator or DBA wrote is lost. `migrate up` names the
-- id of each row it writes.
CREATE TABLE relay.schema_object_history (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    path        text        NOT NULL,
    object      text        NOT NULL,
    definition  text        NOT NULL,
    reason      text        NOT NULL,
    replaced_at timestamptz NOT NULL DEFAULT now()
);

-- Hook runs queued by the message_outcome trigger when a message becomes
-- sent or dead, run by the listeners (relay.run_hooks) each in a
-- transaction of its own after the outcome is committed. A row is deleted
-- when its hook ran; a failure is recorded here (relay_api.hook_failures)
-- and retried after next_attempt_at. No foreign key to relay.message: it
-- would cost every write-back a check, and a hook may outlive its message.
CREATE TABLE relay.hook_run (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    hook            text        NOT NULL DEFAULT 'relay.on_outcome',
    message_id      bigint      NOT NULL,
    status          text        NOT NULL,
    channel         text        NOT NULL,
    receiver        text        NOT NULL,
    event           text        NOT NULL,
    ref             text,
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    failed_at       timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX hook_run_due ON relay.hook_run (next_attempt_at, id);
