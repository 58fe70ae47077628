package sqlserver

// Every T-SQL statement dbrelay's Go code sends to SQL Server, named by what
// it does. The objects these statements call (relay.push, the triggers) are
// in procedures/, views/ and triggers/; the tables in sql/sqlserver.
//
// Rules that hold for all of them:
//   - go-mssqldb sends parameters as @p1, @p2, … (sp_executesql).
//   - relay.message has triggers, so an OUTPUT clause always goes INTO a
//     table variable, read by a SELECT afterwards: a bare OUTPUT is refused
//     on a table with enabled triggers (error 334).
//   - Times are UTC (SYSUTCDATETIME), in datetime2(6) columns.
//   - Nothing newer than SQL Server 2016 SP1. OPENJSON (2016) also needs the
//     database's compatibility level at 130 or higher: NewQueue checks it.

// Listener: claim, renew, give back, write back, channels.
const (
	// claimDue leases the @p1 oldest due messages in one autocommit
	// statement. UPDLOCK + READPAST + ROWLOCK let any number of listeners
	// claim side by side, each skipping the rows another is claiming,
	// instead of waiting on them. The lease is written into next_attempt_at
	// as well, so that "due" and "lease expired" are one predicate on one
	// index (message_due): a listener that dies leaves rows that become due
	// again when the lease ends. The status filter only guards against rows
	// whose invariant was broken behind the triggers' back (a bulk load
	// without FIRE_TRIGGERS): such a row is never claimed.
	// attempts counts claims, so a message that kills its listener every
	// time still goes dead after max_attempts. Rows come back oldest due
	// first (the due time before the claim). @p4 limits the claim to some
	// channels (listen --channels), a JSON array of codes; N'' means all.
	//
	// @p5 is the deferrals (dialect.Deferral), a JSON array of
	// {"code", "ms", "reason"}: channels the listener cannot run now
	// (parked, or their share of workers busy). The rows of those channels
	// that the scan meets are not taken but moved on: due after ms (±10 %),
	// pending, unlocked, their attempts as they were, last_error set to
	// reason unless it is empty. Leaving them due instead would make every
	// later claim step over all of them again. They count against @p1 and
	// come back as rows with deferred set and without title, body and payload,
	// so that the listener knows the claim was full. Claimed rows are told apart from
	// deferred ones by their new status.
	//
	// A message over relay.settings.max_message_bytes (DATALENGTH of title,
	// body and payload, as relay.enqueue counts it) comes back without
	// title, body and payload: the listener's memory stays bounded whatever
	// the table holds.
	claimDue = `
SET NOCOUNT ON;
DECLARE @claimed TABLE (
    id bigint NOT NULL PRIMARY KEY,
    message_key uniqueidentifier NOT NULL,
    event nvarchar(100) NOT NULL,
    sender nvarchar(200) NOT NULL,
    receiver nvarchar(200) NOT NULL,
    address nvarchar(400) NOT NULL,
    channel nvarchar(100) NOT NULL,
    title nvarchar(400) NOT NULL,
    body nvarchar(max) NOT NULL,
    payload nvarchar(max) NULL,
    ref nvarchar(200) NULL,
    created_at datetime2(6) NOT NULL,
    attempts int NOT NULL,
    due_at datetime2(6) NULL,
    size bigint NOT NULL,
    deferred bit NOT NULL
);
DECLARE @max_bytes bigint = ISNULL((SELECT CONVERT(bigint, max_message_bytes) FROM relay.settings WHERE id = 1), 0);
WITH due AS (
    SELECT TOP (@p1)
        m.id, m.[key], m.event, m.sender, m.receiver, m.address, m.channel, m.title, m.body, m.payload,
        m.ref, m.created_at, m.status, m.attempts, m.locked_by, m.locked_until, m.next_attempt_at,
        m.last_error, d.ms AS defer_ms, d.reason AS defer_reason
    FROM relay.message AS m WITH (UPDLOCK, READPAST, ROWLOCK)
    LEFT JOIN OPENJSON(@p5) WITH (
        code nvarchar(100) '$.code', ms int '$.ms', reason nvarchar(max) '$.reason'
    ) AS d ON d.code = m.channel
    WHERE m.next_attempt_at <= SYSUTCDATETIME() AND m.status IN (N'pending', N'sending')
      AND (@p4 = N'' OR m.channel IN (SELECT f.code FROM OPENJSON(@p4) WITH (code nvarchar(100) '$') AS f))
    ORDER BY m.next_attempt_at, m.id
)
UPDATE due
SET status = CASE WHEN defer_ms IS NULL THEN N'sending' ELSE N'pending' END,
    attempts = CASE WHEN defer_ms IS NULL THEN attempts + 1 ELSE attempts END,
    locked_by = CASE WHEN defer_ms IS NULL THEN @p2 END,
    locked_until = CASE WHEN defer_ms IS NULL THEN DATEADD(millisecond, CONVERT(int, @p3), SYSUTCDATETIME()) END,
    next_attempt_at = CASE
        WHEN defer_ms IS NULL THEN DATEADD(millisecond, CONVERT(int, @p3), SYSUTCDATETIME())
        ELSE DATEADD(millisecond, CONVERT(int, defer_ms * (0.9 + 0.2 * RAND(CHECKSUM(NEWID())))), SYSUTCDATETIME())
    END,
    last_error = CASE WHEN defer_ms IS NOT NULL AND defer_reason <> N'' THEN defer_reason ELSE last_error END
OUTPUT inserted.id, inserted.[key], inserted.event, inserted.sender, inserted.receiver,
       inserted.address, inserted.channel, inserted.title, inserted.body, inserted.payload,
       inserted.ref, inserted.created_at, inserted.attempts, deleted.next_attempt_at,
       ISNULL(DATALENGTH(inserted.title), 0) + ISNULL(DATALENGTH(inserted.body), 0)
           + ISNULL(DATALENGTH(inserted.payload), 0),
       CASE WHEN inserted.status = N'sending' THEN 0 ELSE 1 END
INTO @claimed (id, message_key, event, sender, receiver, address, channel, title, body, payload,
               ref, created_at, attempts, due_at, size, deferred);
SELECT id, LOWER(CONVERT(nvarchar(36), message_key)), event, sender, receiver, address, channel,
       CASE WHEN deferred = 0 AND (@max_bytes = 0 OR size <= @max_bytes) THEN title ELSE N'' END,
       CASE WHEN deferred = 0 AND (@max_bytes = 0 OR size <= @max_bytes) THEN body ELSE N'' END,
       CASE WHEN deferred = 0 AND (@max_bytes = 0 OR size <= @max_bytes) THEN payload END,
       ISNULL(ref, N''), created_at, attempts, size, @max_bytes, deferred
FROM @claimed
ORDER BY due_at, id;`

	// deferDue moves on every due message of the deferrals' channels (@p1,
	// the claim's @p5), as the claim does with those it meets. READPAST: a
	// row a claim holds is the claim's to defer.
	deferDue = `
UPDATE m
SET status = N'pending',
    locked_by = NULL,
    locked_until = NULL,
    next_attempt_at = DATEADD(millisecond, CONVERT(int, d.ms * (0.9 + 0.2 * RAND(CHECKSUM(NEWID())))), SYSUTCDATETIME()),
    last_error = CASE WHEN d.reason <> N'' THEN d.reason ELSE m.last_error END
FROM relay.message AS m WITH (UPDLOCK, READPAST, ROWLOCK)
INNER JOIN OPENJSON(@p1) WITH (
    code nvarchar(100) '$.code', ms int '$.ms', reason nvarchar(max) '$.reason'
) AS d ON d.code = m.channel
WHERE m.next_attempt_at <= SYSUTCDATETIME() AND m.status IN (N'pending', N'sending');`

	// unclaim gives back what a claim took when its reply was lost: the
	// messages still sending under its token (@p1, compared exactly) become
	// due now, their attempt given back.
	unclaim = `
UPDATE relay.message
SET status = N'pending',
    attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END,
    locked_by = NULL,
    locked_until = NULL,
    next_attempt_at = SYSUTCDATETIME()
WHERE status = N'sending' AND locked_by = @p1 COLLATE Latin1_General_100_BIN2;`

	// renewLeases extends the leases of held messages (@p1: a JSON array of
	// {"id", "token"}) to @p2 ms from now, and returns those still claimed
	// under their token.
	renewLeases = `
SET NOCOUNT ON;
DECLARE @renewed TABLE (id bigint NOT NULL, token nvarchar(200) NOT NULL);
UPDATE m
SET locked_until = DATEADD(millisecond, CONVERT(int, @p2), SYSUTCDATETIME()),
    next_attempt_at = DATEADD(millisecond, CONVERT(int, @p2), SYSUTCDATETIME())
OUTPUT inserted.id, inserted.locked_by INTO @renewed (id, token)
FROM relay.message AS m
INNER JOIN OPENJSON(@p1) WITH (id bigint '$.id', token nvarchar(200) '$.token') AS h
    ON m.id = h.id AND m.locked_by = h.token COLLATE Latin1_General_100_BIN2
WHERE m.status = N'sending';
SELECT id, token FROM @renewed;`

	// finishBatch writes back a batch of outcomes, passed as one JSON array
	// (@p1, nvarchar(max)), in one batch and one transaction: each row's
	// update is fenced by id and the claim's token (compared exactly, by
	// code point), so a listener whose lease ran out cannot overwrite the
	// outcome of the one that took the row over. Every attempt is recorded
	// in relay.delivery once, under (message_id, claim_token, attempt),
	// whether or not its fence held (applied says which): the batch is
	// idempotent, so a run repeated after a lost reply inserts nothing. An
	// attempt whose message was deleted meanwhile is not recorded (a foreign
	// key error would fail the batch for good). A released outcome gives
	// the claim's attempt back and keeps the response of the last real
	// attempt. It returns each outcome's fate, by its position i: applied
	// (now, or by an earlier run of the same write-back), deleted, or
	// superseded (fenced off: the message was claimed again). XACT_ABORT
	// ON: any error, or the client cancelling, rolls the whole batch back.
	finishBatch = `
SET NOCOUNT ON;
SET XACT_ABORT ON;
DECLARE @r TABLE (
    i int NOT NULL PRIMARY KEY,
    id bigint NOT NULL,
    token nvarchar(200) NOT NULL,
    status nvarchar(16) NOT NULL,
    retry_ms int NOT NULL,
    released bit NOT NULL,
    attempt int NOT NULL,
    started_at datetime2(6) NOT NULL,
    duration_ms int NOT NULL,
    outcome nvarchar(16) NOT NULL,
    response_code int NOT NULL,
    error nvarchar(max) NOT NULL,
    response_body nvarchar(max) NOT NULL,
    response_json nvarchar(max) NULL
);
DECLARE @written TABLE (i int NOT NULL PRIMARY KEY);
INSERT INTO @r (i, id, token, status, retry_ms, released, attempt, started_at, duration_ms, outcome,
                response_code, error, response_body, response_json)
SELECT j.i, j.id, j.token, j.status, j.retry_ms, j.released, j.attempt, j.started_at, j.duration_ms,
       j.outcome, j.response_code, j.error, j.response_body, j.response_json
FROM OPENJSON(@p1) WITH (
    i int '$.i',
    id bigint '$.id',
    token nvarchar(200) '$.token',
    status nvarchar(16) '$.status',
    retry_ms int '$.retry_ms',
    released bit '$.released',
    attempt int '$.attempt',
    started_at datetime2(6) '$.started_at',
    duration_ms int '$.duration_ms',
    outcome nvarchar(16) '$.outcome',
    response_code int '$.response_code',
    error nvarchar(max) '$.error',
    response_body nvarchar(max) '$.response_body',
    response_json nvarchar(max) '$.response_json'
) AS j;
BEGIN TRANSACTION;
UPDATE m
SET status = r.status,
    next_attempt_at = CASE WHEN r.status = N'pending' THEN DATEADD(millisecond, r.retry_ms, SYSUTCDATETIME()) END,
    attempts = CASE WHEN r.released = 1 THEN CASE WHEN m.attempts > 0 THEN m.attempts - 1 ELSE 0 END ELSE m.attempts END,
    locked_by = NULL,
    locked_until = NULL,
    sent_at = CASE WHEN r.status = N'sent' THEN SYSUTCDATETIME() END,
    last_error = CASE WHEN r.status = N'sent' THEN NULL ELSE COALESCE(NULLIF(r.error, N''), m.last_error) END,
    response_code = CASE WHEN r.released = 1 THEN m.response_code ELSE NULLIF(r.response_code, 0) END,
    response_body = CASE WHEN r.released = 1 THEN m.response_body ELSE r.response_body END,
    response_json = CASE WHEN r.released = 1 THEN m.response_json
                         WHEN ISJSON(r.response_json) > 0 THEN r.response_json END
OUTPUT r.i INTO @written (i)
FROM relay.message AS m
INNER JOIN @r AS r ON m.id = r.id AND m.locked_by = r.token COLLATE Latin1_General_100_BIN2;
INSERT INTO relay.delivery (message_id, claim_token, attempt, applied, started_at, duration_ms, outcome,
                            response_code, error)
SELECT r.id, r.token, r.attempt, CASE WHEN w.i IS NULL THEN 0 ELSE 1 END, r.started_at, r.duration_ms,
       r.outcome, NULLIF(r.response_code, 0), NULLIF(r.error, N'')
FROM @r AS r
LEFT JOIN @written AS w ON w.i = r.i
WHERE r.released = 0
  AND EXISTS (SELECT 1 FROM relay.message AS m WHERE m.id = r.id)
  AND NOT EXISTS (SELECT 1 FROM relay.delivery AS d WITH (UPDLOCK, HOLDLOCK)
                  WHERE d.message_id = r.id AND d.claim_token = r.token AND d.attempt = r.attempt);
COMMIT TRANSACTION;
SELECT CASE
           WHEN EXISTS (SELECT 1 FROM @written AS w WHERE w.i = r.i) THEN N'applied'
           WHEN NOT EXISTS (SELECT 1 FROM relay.message AS m WHERE m.id = r.id) THEN N'deleted'
           WHEN EXISTS (SELECT 1 FROM relay.delivery AS d
                        WHERE d.message_id = r.id AND d.claim_token = r.token AND d.attempt = r.attempt
                          AND d.applied = 1) THEN N'applied'
           ELSE N'superseded'
       END
FROM @r AS r
ORDER BY r.i;`

	loadChannels = `
SELECT code, kind, target, config, ISNULL(secret_env, N''), enabled, max_attempts, timeout_ms,
    ISNULL(rate_per_minute, 0)
FROM relay.channel`

	// compatibilityLevel is the current database's compatibility level:
	// OPENJSON (finishBatch, retryIDs) needs 130 or higher. The current
	// database's row of sys.databases is visible to every user.
	compatibilityLevel = `SELECT compatibility_level FROM sys.databases WHERE database_id = DB_ID()`
)

// Command line.
const (
	// armPushedIDs asks relay.enqueue to record the ids it inserts in this
	// session's context (see procedures/sqlserver/enqueue.sql): chunk 1,
	// empty. Sessions that never run this (every host) record nothing.
	armPushedIDs = `
EXEC sp_set_session_context @key = N'relay.enqueued_ids', @value = 1;
EXEC sp_set_session_context @key = N'relay.enqueued_ids.1', @value = '';`

	callPush = `EXEC relay.push @Sender = @p1, @Receivers = @p2, @Title = @p3, @Context = @p4`

	// readPushedIDs reads the chunks relay.enqueue wrote since armPushedIDs
	// and disarms the recording.
	readPushedIDs = `
SET NOCOUNT ON;
DECLARE @chunks int = CONVERT(int, SESSION_CONTEXT(N'relay.enqueued_ids'));
DECLARE @i int = 1;
DECLARE @slot sysname;
DECLARE @ids varchar(max) = '';
WHILE @i <= ISNULL(@chunks, 0)
BEGIN
    SET @slot = N'relay.enqueued_ids.' + CONVERT(nvarchar(10), @i);
    SET @ids = @ids + ISNULL(CONVERT(varchar(8000), SESSION_CONTEXT(@slot)), '');
    SET @i = @i + 1;
END;
EXEC sp_set_session_context @key = N'relay.enqueued_ids', @value = NULL;
SELECT @ids;`

	disarmPushedIDs = `EXEC sp_set_session_context @key = N'relay.enqueued_ids', @value = NULL;`

	// retryIDs takes the ids as a JSON array (@p1).
	retryIDs = `
SET NOCOUNT ON;
DECLARE @done TABLE (id bigint NOT NULL);
UPDATE m
SET status = N'pending', next_attempt_at = SYSUTCDATETIME(), locked_by = NULL, locked_until = NULL
OUTPUT inserted.id INTO @done (id)
FROM relay.message AS m
WHERE m.id IN (SELECT CONVERT(bigint, j.[value]) FROM OPENJSON(@p1) AS j)
    AND m.status IN (N'dead', N'cancelled', N'pending');
SELECT id FROM @done ORDER BY id;`

	retryDead = `
SET NOCOUNT ON;
DECLARE @done TABLE (id bigint NOT NULL);
UPDATE m
SET status = N'pending', next_attempt_at = SYSUTCDATETIME(), locked_by = NULL, locked_until = NULL
OUTPUT inserted.id INTO @done (id)
FROM relay.message AS m
WHERE m.status = N'dead' AND (@p1 = N'' OR m.channel = @p1);
SELECT id FROM @done ORDER BY id;`

	countByChannelStatus = `
SELECT channel, status, COUNT_BIG(*) FROM relay.message GROUP BY channel, status ORDER BY channel, status`

	// backlog reads the range of the message_due index that the claim reads.
	backlog = `
SELECT COUNT_BIG(*), ISNULL(DATEDIFF_BIG(millisecond, MIN(next_attempt_at), SYSUTCDATETIME()), 0)
FROM relay.message
WHERE next_attempt_at <= SYSUTCDATETIME() AND status IN (N'pending', N'sending')`

	// hookFailures sums up relay_api.hook_failures by hook: how many runs,
	// the oldest queued, the latest error.
	hookFailures = `
SELECT f.hook, COUNT_BIG(*), MIN(f.created_at),
       (SELECT TOP (1) l.last_error FROM relay_api.hook_failures AS l
        WHERE l.hook = f.hook ORDER BY l.failed_at DESC, l.id DESC)
FROM relay_api.hook_failures AS f
GROUP BY f.hook
ORDER BY f.hook;`
)

// Schema: migrations and the repeatable objects' bookkeeping.
const (
	// createRelaySchema runs before golang-migrate creates its version
	// table in schema relay. CREATE SCHEMA must be alone in its batch.
	createRelaySchema = `
IF SCHEMA_ID(N'relay') IS NULL
    EXEC sp_executesql N'CREATE SCHEMA relay';`

	// The version table golang-migrate keeps: [relay].[schema_migrations],
	// apart from a host's own golang-migrate table in dbo (and its lock,
	// derived from database and schema names, apart from the host's too).
	migrationsSchema = "relay"
	migrationsTable  = "schema_migrations"

	// readVersion returns no row when dbrelay was never installed, without
	// raising error 208 for the missing table.
	readVersion = `
IF OBJECT_ID(N'relay.schema_migrations', N'U') IS NOT NULL
    SELECT TOP (1) version, dirty FROM relay.schema_migrations;`

	// dropVersionTable removes what the down migration has to leave while
	// golang-migrate still records versions, then schema relay if empty.
	dropVersionTable = `
IF OBJECT_ID(N'relay.schema_migrations', N'U') IS NOT NULL
    DROP TABLE relay.schema_migrations;
IF SCHEMA_ID(N'relay') IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM sys.objects WHERE schema_id = SCHEMA_ID(N'relay'))
    AND NOT EXISTS (SELECT 1 FROM sys.types WHERE schema_id = SCHEMA_ID(N'relay'))
    DROP SCHEMA relay;`

	// lockObjects serialises concurrent `dbrelay migrate up` runs for the
	// length of the transaction applying the object files (waiting up to
	// 10 minutes) and returns sp_getapplock's result: 0 or 1 when granted.
	lockObjects = `
SET XACT_ABORT ON;
DECLARE @result int;
EXEC @result = sp_getapplock
    @Resource = N'dbrelay.objects', @LockMode = 'Exclusive', @LockOwner = 'Transaction', @LockTimeout = 600000;
SELECT @result;`

	// objectDefinition is the module's text as SQL Server keeps it, plus
	// what changes its behaviour without changing its text: the SET
	// options it was created with, and for a trigger whether it is
	// disabled (a disabled trigger is drift).
	objectDefinition = `
SELECT m.definition
    + NCHAR(10) + N'-- uses_ansi_nulls=' + CONVERT(nvarchar(1), m.uses_ansi_nulls)
    + N' uses_quoted_identifier=' + CONVERT(nvarchar(1), m.uses_quoted_identifier)
    + ISNULL(N' is_disabled=' + CONVERT(nvarchar(1), t.is_disabled), N'')
FROM sys.sql_modules AS m
LEFT JOIN sys.triggers AS t ON m.object_id = t.object_id
WHERE m.object_id = OBJECT_ID(@p1)`

	// objectDDL is the module's text as SQL Server keeps it, with the SET
	// options it was created with in front (a module keeps them, and the
	// text runs as it is in sqlcmd or SSMS), and for a disabled trigger the
	// DISABLE TRIGGER after it.
	objectDDL = `
SELECT N'SET ANSI_NULLS ' + CASE WHEN m.uses_ansi_nulls = 1 THEN N'ON' ELSE N'OFF' END + N';' + NCHAR(10)
    + N'SET QUOTED_IDENTIFIER ' + CASE WHEN m.uses_quoted_identifier = 1 THEN N'ON' ELSE N'OFF' END + N';' + NCHAR(10)
    + N'GO' + NCHAR(10) + m.definition + NCHAR(10) + N'GO'
    + CASE WHEN t.is_disabled = 1
        THEN NCHAR(10) + N'DISABLE TRIGGER ' + QUOTENAME(OBJECT_SCHEMA_NAME(t.object_id)) + N'.' + QUOTENAME(t.name)
            + N' ON ' + QUOTENAME(OBJECT_SCHEMA_NAME(t.parent_id)) + N'.' + QUOTENAME(OBJECT_NAME(t.parent_id))
            + N';' + NCHAR(10) + N'GO'
        ELSE N'' END
FROM sys.sql_modules AS m
LEFT JOIN sys.triggers AS t ON m.object_id = t.object_id
WHERE m.object_id = OBJECT_ID(@p1)`

	recordObject = `
UPDATE relay.schema_object
SET objects = @p2, file_sha256 = @p3, db_sha256 = @p4, shipped_sha256 = @p5, applied_at = SYSUTCDATETIME()
WHERE path = @p1;
IF @@ROWCOUNT = 0
    INSERT INTO relay.schema_object (path, objects, file_sha256, db_sha256, shipped_sha256, applied_at)
    VALUES (@p1, @p2, @p3, @p4, @p5, SYSUTCDATETIME());`

	// recordedObjects returns no rows when the table does not exist, without
	// raising error 208 inside the applier's transaction; on a database
	// still below migration 4 (no shipped_sha256 column yet: a batch naming
	// it would not compile) shipped_sha256 is ''.
	recordedObjects = `
IF OBJECT_ID(N'relay.schema_object', N'U') IS NOT NULL
BEGIN
    IF COL_LENGTH(N'relay.schema_object', N'shipped_sha256') IS NOT NULL
        EXEC sp_executesql N'SELECT path, objects, file_sha256, db_sha256, applied_at, ISNULL(shipped_sha256, N'''')
            FROM relay.schema_object ORDER BY path';
    ELSE
        SELECT path, objects, file_sha256, db_sha256, applied_at, N'' FROM relay.schema_object ORDER BY path;
END;`

	saveReplaced = `
SET NOCOUNT ON;
INSERT INTO relay.schema_object_history (path, object, definition, reason) VALUES (@p1, @p2, @p3, @p4);
SELECT CONVERT(bigint, SCOPE_IDENTITY());`
)
