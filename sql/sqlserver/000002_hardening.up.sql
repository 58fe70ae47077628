-- dbrelay 000002 (SQL Server): hardening.
--
-- One batch, one transaction (golang-migrate's sqlserver driver sends the
-- file as it is; it also runs as it is in sqlcmd or SSMS). Applied by
-- `dbrelay migrate up` after 000001, then the object files of this release,
-- which carry most of the change. Upgrade notes, each a breaking change
-- (README "Upgrading", docs/sqlserver.md):
--
--  1. Secrets: the listener reads only the environment variables the
--     operator allowed: names starting with DBRELAY_SECRET_, or listed with
--     `dbrelay listen --allow-secret-env NAME[,NAME]`. A channel naming
--     another cannot deliver; its messages wait. Rename or allow first.
--  2. Permissions: EXECUTE on every procedure and function in schemas relay
--     and relay_api is revoked from public (below, and in each object file;
--     SQL Server grants public nothing by default, so this only undoes a
--     grant someone made). Hosts get EXECUTE on relay.push (and
--     relay.enqueue) and SELECT on schema relay_api, nothing on the tables:
--     docs/sqlserver-roles.sql. Ownership chaining lets the procedures read
--     and write the tables for them.
--  3. A message is born pending: an INSERT into relay.message that sets
--     status, attempts, sent_at, last_error, response_code, response_body,
--     locked_by or locked_until fails (50008) unless the session is a
--     member of db_owner.
--  4. A disabled channel no longer fails relay.push (50004 is gone): its
--     messages wait, and enabling it makes them due at once.
--  5. Message size: relay.settings.max_message_bytes (below, default
--     1 MiB) bounds title + body + payload, counted as DATALENGTH (2 bytes
--     a character); a bigger message fails with 50006.
--  6. Receivers are trimmed of all Unicode white space (NCHAR(12288),
--     NCHAR(160), zero-width spaces, ...) by relay.push, relay.enqueue and
--     the message_validate trigger; a blank receiver fails with 50002.
--  7. relay.channel rows are checked when written (trigger
--     relay.channel_validate, 50007). Rows already there are not re-checked.
--
-- Down (000002_hardening.down.sql) removes the column and this release's
-- channel triggers; apply version 1's object files afterwards.

SET XACT_ABORT ON;
BEGIN TRANSACTION;

ALTER TABLE relay.settings ADD max_message_bytes int NOT NULL
    CONSTRAINT settings_max_message_bytes_default DEFAULT 1048576
    CONSTRAINT settings_max_message_bytes_check CHECK (max_message_bytes > 0);

-- REVOKE the procedures and scalar functions already installed (an
-- integrator's customised relay.push or relay.on_outcome, which `migrate
-- up` may leave alone), one by one: names from sys.objects, quoted.
DECLARE @last int = 0;
DECLARE @revoke nvarchar(600);
WHILE 1 = 1
BEGIN
    SET @revoke = NULL;
    SELECT TOP (1)
        @last = o.object_id,
        @revoke = N'REVOKE EXECUTE ON OBJECT::' + QUOTENAME(s.name) + N'.' + QUOTENAME(o.name) + N' FROM public'
    FROM sys.objects AS o
    INNER JOIN sys.schemas AS s ON o.schema_id = s.schema_id
    WHERE
        s.name IN (N'relay', N'relay_api')
        AND o.type IN ('P', 'PC', 'FN', 'FS')
        AND o.object_id > @last
    ORDER BY o.object_id;
    IF @revoke IS NULL BREAK;
    EXEC sp_executesql @revoke;
END;

COMMIT TRANSACTION;
