package postgres

// The SQL of inbound HTTP (`dbrelay serve`, `dbrelay endpoint`); the tables
// are in sql/postgres/000006_inbound.up.sql.
const (
	listEndpoints = `
SELECT path, procedure_name, auth, caller, coalesce(secret_env, ''), coalesce(secret_hash, ''),
       max_body_bytes, coalesce(rate_per_minute, 0), enabled, created_at
FROM relay.endpoint
ORDER BY path`

	insertEndpoint = `
INSERT INTO relay.endpoint (path, procedure_name, auth, caller, secret_env, secret_hash,
                            max_body_bytes, rate_per_minute, enabled)
VALUES ($1, $2, $3, $4, nullif($5, ''), nullif($6, ''), $7, nullif($8, 0), $9)`

	setEndpointEnabled = `UPDATE relay.endpoint SET enabled = $2 WHERE path = $1`

	// resolveProcedure finds the function an endpoint names, by the
	// contract's input types (so that an overload with other types is not
	// taken), and returns its catalog names for quoting, its oid, and
	// whether its outputs are the contract's (OUT integer, OUT jsonb).
	// to_regprocedure folds unquoted names to lower case, as SQL does.
	resolveProcedure = `
SELECT n.nspname, p.proname, p.oid::text,
       coalesce(p.prokind = 'f' AND NOT p.proretset
                AND p.proargmodes = '{i,i,i,i,o,o}'::"char"[]
                AND p.proallargtypes = ARRAY['bigint', 'text', 'text', 'jsonb', 'integer', 'jsonb']::regtype[]::oid[], false)
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE p.oid = to_regprocedure($1 || '(bigint, text, text, jsonb)')`

	// beginInbound records the request and claims its idempotency key, in
	// the request's transaction, if the endpoint is still enabled. A
	// concurrent request with the same key waits here (ON CONFLICT waits
	// for the transaction that inserted the key) and then finds the key
	// taken: a replay. It returns no row when the endpoint is gone.
	beginInbound = `
WITH e AS (
    SELECT path FROM relay.endpoint WHERE path = $1 AND enabled
), i AS (
    INSERT INTO relay.inbound (endpoint, caller, remote_addr, headers, body, idempotency_key, status, outcome)
    SELECT e.path, $2, $3, $4::jsonb, $5::jsonb, nullif($6, ''), 200, 'ok' FROM e
    RETURNING id
), s AS (
    INSERT INTO relay.inbound_seen (endpoint, idempotency_key, inbound_id)
    SELECT $1, $6, i.id FROM i WHERE $6 <> ''
    ON CONFLICT DO NOTHING
    RETURNING inbound_id
)
SELECT i.id, $6 = '' OR EXISTS (SELECT 1 FROM s) FROM i`

	// finishInbound records the procedure's answer on the request's row.
	finishInbound = `
UPDATE relay.inbound SET status = $2, response = $3::jsonb, duration_ms = $4 WHERE id = $1`

	// firstAnswer is the answer given to the first request with a key.
	firstAnswer = `
SELECT i.id, i.status, coalesce(i.response::text, '')
FROM relay.inbound_seen s JOIN relay.inbound i ON i.id = s.inbound_id
WHERE s.endpoint = $1 AND s.idempotency_key = $2`

	recordInbound = `
INSERT INTO relay.inbound (endpoint, caller, remote_addr, headers, body, idempotency_key,
                           status, outcome, response, error, replay_of, duration_ms)
VALUES ($1, nullif($2, ''), $3, $4::jsonb, $5::jsonb, nullif($6, ''),
        $7, $8, $9::jsonb, nullif($10, ''), nullif($11, 0), $12)
RETURNING id`

	forgetSeen = `DELETE FROM relay.inbound_seen WHERE seen_at < now() - $1 * interval '1 second'`
)
