package sqlserver

// The T-SQL of inbound HTTP (`dbrelay serve`, `dbrelay endpoint`); the
// tables are in sql/sqlserver/000006_inbound.up.sql. Paths and idempotency
// keys are compared in their columns' binary collation, as on PostgreSQL.
const (
	listEndpoints = `
SELECT path, procedure_name, auth, caller, ISNULL(secret_env, N''), ISNULL(secret_hash, N''),
       max_body_bytes, ISNULL(rate_per_minute, 0), enabled, created_at
FROM relay.endpoint
ORDER BY path`

	insertEndpoint = `
INSERT INTO relay.endpoint (path, procedure_name, auth, caller, secret_env, secret_hash,
                            max_body_bytes, rate_per_minute, enabled)
VALUES (@p1, @p2, @p3, @p4, NULLIF(@p5, N''), NULLIF(@p6, N''), @p7, NULLIF(@p8, 0), @p9)`

	setEndpointEnabled = `UPDATE relay.endpoint SET enabled = @p2 WHERE path = @p1`

	// resolveProcedure finds the procedure an endpoint names and lists its
	// parameters (type, maximum length in bytes, -1 for max; OUTPUT) for
	// the contract check, with the catalog's names for quoting.
	// OBJECT_ID parses the stored schema.name as SQL would (both parts
	// unquoted, checked by relay.endpoint's constraint).
	resolveProcedure = `
SELECT s.name, o.name, CONVERT(nvarchar(20), o.object_id),
       ISNULL(TYPE_NAME(p.system_type_id), N''), ISNULL(p.max_length, 0), ISNULL(p.is_output, 0)
FROM sys.procedures AS o
INNER JOIN sys.schemas AS s ON s.schema_id = o.schema_id
LEFT JOIN sys.parameters AS p ON p.object_id = o.object_id
WHERE o.object_id = OBJECT_ID(@p1, N'P')
ORDER BY p.parameter_id`

	// beginInbound records the request and claims its idempotency key, in
	// the request's transaction, if the endpoint is still enabled. A
	// concurrent request with the same key blocks on the key's lock at its
	// INSERT until the first transaction ends: if that committed, the
	// INSERT fails as a duplicate and this request is a replay; if it
	// rolled back, the INSERT goes through. (A duplicate caught this way
	// locks only the key itself, where UPDLOCK, HOLDLOCK would also lock
	// the gap around it, and so hold up requests with other keys for as
	// long as the first one's procedure runs.) @id comes back NULL when the
	// endpoint is gone.
	beginInbound = `
SET NOCOUNT ON;
DECLARE @id bigint = NULL;
DECLARE @claimed bit = 0;
IF EXISTS (SELECT 1 FROM relay.endpoint WHERE path = @p1 AND enabled = 1)
BEGIN
    INSERT INTO relay.inbound (endpoint, caller, remote_addr, headers, body, idempotency_key, status, outcome)
    VALUES (@p1, @p2, @p3, @p4, @p5, NULLIF(@p6, N''), 200, N'ok');
    SET @id = CONVERT(bigint, SCOPE_IDENTITY());
    SET @claimed = 1;
    IF @p6 <> N''
    BEGIN
        BEGIN TRY
            INSERT INTO relay.inbound_seen (endpoint, idempotency_key, inbound_id) VALUES (@p1, @p6, @id);
        END TRY
        BEGIN CATCH
            IF ERROR_NUMBER() NOT IN (2601, 2627)
                THROW;
            SET @claimed = 0;
        END CATCH;
    END;
END;
SELECT @id, @claimed;`

	finishInbound = `
UPDATE relay.inbound SET status = @p2, response = @p3, duration_ms = @p4 WHERE id = @p1`

	firstAnswer = `
SELECT i.id, i.status, ISNULL(i.response, N'')
FROM relay.inbound_seen AS s
INNER JOIN relay.inbound AS i ON i.id = s.inbound_id
WHERE s.endpoint = @p1 AND s.idempotency_key = @p2`

	recordInbound = `
SET NOCOUNT ON;
INSERT INTO relay.inbound (endpoint, caller, remote_addr, headers, body, idempotency_key,
                           status, outcome, response, error, replay_of, duration_ms)
VALUES (@p1, NULLIF(@p2, N''), @p3, @p4, @p5, NULLIF(@p6, N''),
        @p7, @p8, @p9, NULLIF(@p10, N''), NULLIF(@p11, 0), @p12);
SELECT CONVERT(bigint, SCOPE_IDENTITY());`

	forgetSeen = `DELETE FROM relay.inbound_seen WHERE seen_at < DATEADD(second, -CONVERT(int, @p1), SYSUTCDATETIME())`
)

// callProcedure is the batch calling an endpoint's procedure: %s is its
// name from the catalog, each part quoted by quoteName. XACT_ABORT ON: any
// error in it ends the batch and rolls the transaction back, whatever the
// procedure does with its own TRY/CATCH. Its two OUTPUT parameters come
// back as the batch's last result set.
const callProcedure = `
SET NOCOUNT ON;
SET XACT_ABORT ON;
DECLARE @status int = NULL;
DECLARE @response nvarchar(max) = NULL;
EXEC %s @p1, @p2, @p3, @p4, @status OUTPUT, @response OUTPUT;
SELECT @status, @response;`
