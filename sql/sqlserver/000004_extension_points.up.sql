-- dbrelay 000004 (SQL Server): extension points that `migrate up` never
-- overwrites, and hooks that run after the write-back.
--
-- One batch, one transaction (golang-migrate's sqlserver driver sends the
-- file as it is; it also runs as it is in sqlcmd or SSMS).

SET XACT_ABORT ON;
BEGIN TRANSACTION;

-- The shipped default an applied object file is, or is based on (the
-- SHA-256 of the file this dbrelay carried when it applied it): an
-- extension point whose file differs from it was customised through
-- --objects-dir. NULL in rows written before this migration.
ALTER TABLE relay.schema_object ADD shipped_sha256 nvarchar(64) NULL;

-- Definitions `dbrelay migrate up` replaced (an object edited by hand, a
-- customised extension point replaced on request, an older version), so
-- that nothing an integrator or DBA wrote is lost. `migrate up` names the
-- id of each row it writes.
CREATE TABLE relay.schema_object_history (
    id          bigint        IDENTITY (1, 1) NOT NULL,
    path        nvarchar(400) NOT NULL,
    object      nvarchar(400) NOT NULL,
    definition  nvarchar(max) NOT NULL,
    reason      nvarchar(max) NOT NULL,
    replaced_at datetime2(6)  NOT NULL CONSTRAINT schema_object_history_replaced_at_default DEFAULT SYSUTCDATETIME(),
    CONSTRAINT schema_object_history_pkey PRIMARY KEY (id)
);

-- Hook runs queued by the message_outcome trigger when a message becomes
-- sent or dead, run by the listeners (relay.run_hooks) each in a
-- transaction of its own after the outcome is committed. A row is deleted
-- when its hook ran; a failure is recorded here (relay_api.hook_failures)
-- and retried after next_attempt_at. No foreign key to relay.message: it
-- would cost every write-back a check, and a hook may outlive its message.
CREATE TABLE relay.hook_run (
    id              bigint        IDENTITY (1, 1) NOT NULL,
    hook            nvarchar(200) NOT NULL CONSTRAINT hook_run_hook_default DEFAULT N'relay.on_outcome',
    message_id      bigint        NOT NULL,
    status          nvarchar(16)  NOT NULL,
    channel         nvarchar(100) NOT NULL,
    receiver        nvarchar(200) NOT NULL,
    event           nvarchar(100) NOT NULL,
    ref             nvarchar(200) NULL,
    attempts        int           NOT NULL CONSTRAINT hook_run_attempts_default DEFAULT 0,
    next_attempt_at datetime2(6)  NOT NULL CONSTRAINT hook_run_next_attempt_at_default DEFAULT SYSUTCDATETIME(),
    last_error      nvarchar(max) NULL,
    failed_at       datetime2(6)  NULL,
    created_at      datetime2(6)  NOT NULL CONSTRAINT hook_run_created_at_default DEFAULT SYSUTCDATETIME(),
    CONSTRAINT hook_run_pkey PRIMARY KEY (id)
);
CREATE NONCLUSTERED INDEX hook_run_due ON relay.hook_run (next_attempt_at, id);

COMMIT TRANSACTION;
