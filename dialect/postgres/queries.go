package postgres

// Every SQL statement dbrelay's Go code sends to PostgreSQL, named by what it
// does. The objects these statements call (relay.push, the triggers) are in
// procedures/, views/ and triggers/; the tables in sql/postgres.

// Listener: claim, renew, give back, write back, channels.
const (
	// claimDue leases the n oldest due messages. SKIP LOCKED lets any number
	// of listeners claim side by side without waiting on each other's rows.
	// The lease is written into next_attempt_at as well, so that "due" and
	// "lease expired" are one predicate on one partial index: a listener
	// that dies leaves rows that become due again when the lease ends.
	// attempts counts claims, so a message that kills its listener every
	// time still goes dead after max_attempts. $4 limits the claim to some
	// channels (listen --channels; empty or NULL means all).
	//
	// $5, $7 and $8 are the deferrals (dialect.Deferral): channels the
	// listener cannot run now (parked, or their share of workers busy),
	// with a delay in ms and a last_error ('' keeps it). The rows of
	// those channels that the scan meets are not taken but moved on: due
	// after their delay (±10 %), pending, unlocked, their attempts as they
	// were. Leaving them due instead would make every later claim step
	// over all of them again (the head-of-line bench row: a stalled
	// channel's 25,000 due rows cost each claim more than its own 100).
	// They count against the claim's n and come back as rows with deferred
	// set and nothing else, so that the listener knows the claim was full.
	//
	// $6 is synchronous_commit for this statement's transaction ('on' makes
	// the claim durable, see dialect.QueueOptions): set_config(…, true)
	// lasts until the commit, which reads it. The listener's sessions
	// otherwise run with synchronous_commit=off (listenerDSN).
	//
	// A message over relay.settings.max_message_bytes (size counted as the
	// message_validate trigger counts it) comes back without title, body and
	// payload: the listener's memory stays bounded whatever the table holds.
	claimDue = `
WITH due AS (
    SELECT id, channel = ANY (coalesce($5::text[], '{}')) AS deferred, channel
    FROM relay.message
    WHERE next_attempt_at <= now()
      AND (coalesce(cardinality($4::text[]), 0) = 0 OR channel = ANY ($4::text[]))
    ORDER BY next_attempt_at
    LIMIT $1
    FOR UPDATE SKIP LOCKED
), deferred AS (
    UPDATE relay.message m
    SET status = 'pending', locked_by = NULL, locked_until = NULL,
        next_attempt_at = now() + d.ms * (0.9 + 0.2 * random()) * interval '1 millisecond',
        last_error = coalesce(nullif(d.reason, ''), m.last_error)
    FROM due
    JOIN unnest($5::text[], $7::bigint[], $8::text[]) AS d (channel, ms, reason) ON d.channel = due.channel
    WHERE m.id = due.id AND due.deferred
    RETURNING m.id
), claimed AS (
    UPDATE relay.message m
    SET status = 'sending',
        attempts = m.attempts + 1,
        locked_by = $2,
        locked_until = now() + $3 * interval '1 millisecond',
        next_attempt_at = now() + $3 * interval '1 millisecond'
    FROM due
    WHERE m.id = due.id AND NOT due.deferred
    RETURNING m.id, m.key, m.event, m.sender, m.receiver, m.address, m.channel, m.title, m.body,
              m.payload, m.ref, m.created_at, m.attempts,
              octet_length(m.title) + octet_length(m.body) + coalesce(pg_column_size(m.payload), 0) AS size
), settings AS (
    SELECT max_message_bytes AS max_bytes, set_config('synchronous_commit', $6, true) AS sync
    FROM relay.settings WHERE id = 1
)
SELECT c.id, c.key::text, c.event, c.sender, c.receiver, c.address, c.channel,
       CASE WHEN c.size <= s.max_bytes THEN c.title ELSE '' END,
       CASE WHEN c.size <= s.max_bytes THEN c.body ELSE '' END,
       CASE WHEN c.size <= s.max_bytes THEN c.payload END,
       coalesce(c.ref, ''), c.created_at, c.attempts, c.size, coalesce(s.max_bytes, 0), false
FROM claimed c
LEFT JOIN settings s ON true
UNION ALL
SELECT d.id, '', '', '', '', '', '', '', '', NULL, '', now(), 0, 0, 0, true
FROM deferred d`

	// deferDue moves on every due message of the deferrals' channels ($1,
	// $2, $3 as the claim's $5, $7, $8), as the claim does with those it
	// meets. SKIP LOCKED: a row a claim holds is the claim's to defer.
	deferDue = `
UPDATE relay.message m
SET status = 'pending', locked_by = NULL, locked_until = NULL,
    next_attempt_at = now() + d.ms * (0.9 + 0.2 * random()) * interval '1 millisecond',
    last_error = coalesce(nullif(d.reason, ''), m.last_error)
FROM (SELECT id, channel FROM relay.message
      WHERE next_attempt_at <= now() AND channel = ANY ($1::text[])
      FOR UPDATE SKIP LOCKED) AS due
JOIN unnest($1::text[], $2::bigint[], $3::text[]) AS d (channel, ms, reason) ON d.channel = due.channel
WHERE m.id = due.id`

	// unclaim gives back what a claim took when its reply was lost: the
	// messages still sending under its token become due now, their attempt
	// given back. next_attempt_at IS NOT NULL lets it scan the partial due
	// index (unfinished messages only) instead of the table.
	unclaim = `
UPDATE relay.message
SET status = 'pending', attempts = greatest(attempts - 1, 0), locked_by = NULL, locked_until = NULL,
    next_attempt_at = now()
WHERE locked_by = $1 AND status = 'sending' AND next_attempt_at IS NOT NULL`

	// renewLeases extends the leases of held messages (id and token in
	// step) to $3 ms from now, and returns those still claimed under their
	// token.
	renewLeases = `
UPDATE relay.message m
SET locked_until = now() + $3 * interval '1 millisecond',
    next_attempt_at = now() + $3 * interval '1 millisecond'
FROM unnest($1::bigint[], $2::text[]) AS h(id, token)
WHERE m.id = h.id AND m.locked_by = h.token AND m.status = 'sending'
RETURNING m.id, m.locked_by`

	// finishBatch writes back a batch of outcomes in one statement: each
	// row's update is fenced by id and the claim's token, so a listener
	// whose lease ran out cannot overwrite the outcome of the one that took
	// the row over. Every attempt is recorded in relay.delivery once, under
	// (message_id, claim_token, attempt), whether or not its fence held
	// (applied says which): the statement is idempotent, so a run repeated
	// after a lost reply inserts nothing. An attempt whose message was
	// deleted meanwhile is not recorded (its foreign key would fail the
	// whole batch). It returns each outcome's fate, by its position i:
	// applied (now, or by an earlier run of the same write-back), deleted,
	// or superseded (fenced off: the message was claimed again).

	finishBatch = `
WITH r AS (
    SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::boolean[],
                         $6::integer[], $7::timestamptz[], $8::integer[], $9::text[],
                         $10::integer[], $11::text[], $12::text[], $13::text[]) WITH ORDINALITY
        AS r(id, token, status, retry_ms, released, attempt, started_at, duration_ms, outcome,
             response_code, error, response_body, response_json, i)
), done AS (
    UPDATE relay.message m
    SET status = r.status,
        next_attempt_at = CASE WHEN r.status = 'pending' THEN now() + r.retry_ms * interval '1 millisecond' END,
        attempts = CASE WHEN r.released THEN greatest(m.attempts - 1, 0) ELSE m.attempts END,
        locked_by = NULL,
        locked_until = NULL,
        sent_at = CASE WHEN r.status = 'sent' THEN now() END,
        last_error = CASE WHEN r.status = 'sent' THEN NULL ELSE coalesce(nullif(r.error, ''), m.last_error) END,
        response_code = CASE WHEN r.released THEN m.response_code ELSE nullif(r.response_code, 0) END,
        response_body = CASE WHEN r.released THEN m.response_body ELSE r.response_body END,
        response_json = CASE WHEN r.released THEN m.response_json ELSE nullif(r.response_json, '')::jsonb END
    FROM r
    WHERE m.id = r.id AND m.locked_by = r.token
    RETURNING r.i
), attempts AS (
    INSERT INTO relay.delivery (message_id, claim_token, attempt, applied, started_at, duration_ms,
                                outcome, response_code, error)
    SELECT r.id, r.token, r.attempt, r.i IN (SELECT i FROM done), r.started_at, r.duration_ms,
           r.outcome, nullif(r.response_code, 0), nullif(r.error, '')
    FROM r
    WHERE NOT r.released AND EXISTS (SELECT 1 FROM relay.message m WHERE m.id = r.id)
    ON CONFLICT (message_id, claim_token, attempt) DO NOTHING
)
SELECT CASE
           WHEN r.i IN (SELECT i FROM done) THEN 'applied'
           WHEN NOT EXISTS (SELECT 1 FROM relay.message m WHERE m.id = r.id) THEN 'deleted'
           WHEN EXISTS (SELECT 1 FROM relay.delivery d
                        WHERE d.message_id = r.id AND d.claim_token = r.token AND d.attempt = r.attempt
                          AND d.applied) THEN 'applied'
           ELSE 'superseded'
       END
FROM r
ORDER BY r.i`

	// appliedEarlier re-reads, in a statement of its own, which of the
	// outcomes finishBatch called superseded an earlier run of the same
	// write-back applied (by position in the arrays, from 1). See Finish.
	appliedEarlier = `
SELECT r.i
FROM unnest($1::bigint[], $2::text[], $3::integer[]) WITH ORDINALITY AS r (id, token, attempt, i)
JOIN relay.delivery d ON d.message_id = r.id AND d.claim_token = r.token AND d.attempt = r.attempt
WHERE d.applied`

	loadChannels = `
SELECT code, kind, target, config::text, coalesce(secret_env, ''), enabled, max_attempts, timeout_ms,
       coalesce(rate_per_minute, 0)
FROM relay.channel`
)

// Wake-up: listeners record when they are idle, so that the wake-up
// trigger notifies only then (see triggers/postgres/message_wake.sql).
const (
	markIdle = `
INSERT INTO relay.listener (id, idle, expires_at) VALUES ($1, true, now() + $2 * interval '1 millisecond')
ON CONFLICT (id) DO UPDATE SET idle = true, expires_at = excluded.expires_at`
	markBusy = `
UPDATE relay.listener SET idle = false, expires_at = now() + $2 * interval '1 millisecond' WHERE id = $1`
	forgetListener = `DELETE FROM relay.listener WHERE id = $1`

	// inProgress lists the transactions running now. Taken right after a
	// listener marked itself idle, it holds every transaction that may have
	// inserted a message after looking at relay.listener too early to see
	// that mark (it had its xid before looking): once they end, one more
	// claim finds what they committed.
	inProgress   = `SELECT coalesce(array_agg(x)::text, '{}') FROM pg_snapshot_xip(pg_current_snapshot()) AS x`
	stillRunning = `SELECT count(*) FROM unnest($1::xid8[]) AS x WHERE pg_xact_status(x) = 'in progress'`
)

// Command line.
const (
	callPush = `CALL relay.push($1, $2, $3, $4)`
	// pushedIDs reads what relay.enqueue recorded in this transaction.
	pushedIDs = `SELECT coalesce(current_setting('relay.enqueued_ids', true), '')`

	retryIDs = `
UPDATE relay.message
SET status = 'pending', next_attempt_at = now(), locked_by = NULL, locked_until = NULL
WHERE id = ANY($1) AND status IN ('dead', 'cancelled', 'pending')
RETURNING id`

	retryDead = `
UPDATE relay.message
SET status = 'pending', next_attempt_at = now(), locked_by = NULL, locked_until = NULL
WHERE status = 'dead' AND ($1 = '' OR channel = $1)
RETURNING id`

	countByChannelStatus = `
SELECT channel, status, count(*) FROM relay.message GROUP BY channel, status ORDER BY channel, status`

	// backlog uses only the partial due index.
	backlog = `
SELECT count(*), coalesce(extract(epoch FROM now() - min(next_attempt_at)), 0)
FROM relay.message WHERE next_attempt_at <= now()`

	// hookFailures sums up relay_api.hook_failures by hook: how many runs,
	// the oldest queued, the latest error.
	hookFailures = `
SELECT hook, count(*), min(created_at), (array_agg(last_error ORDER BY failed_at DESC NULLS LAST))[1]
FROM relay_api.hook_failures GROUP BY hook ORDER BY hook`
)

// Schema: migrations and the repeatable objects' bookkeeping.
const (
	createRelaySchema = `CREATE SCHEMA IF NOT EXISTS relay`

	// The version table golang-migrate keeps, in schema relay.
	migrationsTable   = `"relay"."schema_migrations"`
	readVersion       = `SELECT version, dirty FROM relay.schema_migrations LIMIT 1`
	dropVersionTable  = `DROP TABLE IF EXISTS relay.schema_migrations`
	dropSchemaIfEmpty = `
DO $$
BEGIN
    IF to_regnamespace('relay') IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM pg_class WHERE relnamespace = 'relay'::regnamespace)
       AND NOT EXISTS (SELECT 1 FROM pg_proc WHERE pronamespace = 'relay'::regnamespace) THEN
        DROP SCHEMA relay;
    END IF;
END
$$`

	// lockObjects serialises concurrent `dbrelay migrate up` runs for the
	// length of the transaction applying the object files.
	lockObjects = `SELECT pg_advisory_xact_lock(hashtext('dbrelay.objects'))`

	routineDefinition = `
SELECT string_agg(pg_get_functiondef(p.oid), E'\n' ORDER BY p.oid::regprocedure::text)
FROM pg_proc p
WHERE p.pronamespace = to_regnamespace($1) AND p.proname = $2`

	viewDefinition = `
SELECT pg_get_viewdef(c.oid)
FROM pg_class c
WHERE c.relnamespace = to_regnamespace($1) AND c.relname = $2 AND c.relkind IN ('v', 'm')`

	// A disabled trigger counts as drift: tgenabled is part of the text.
	triggerDefinition = `
SELECT pg_get_triggerdef(t.oid) || ' ENABLED=' || t.tgenabled::text
FROM pg_trigger t
WHERE t.tgrelid = to_regclass($1) AND t.tgname = $2`

	// ddlRoutine, ddlView and ddlTrigger give an object's definition as
	// statements that create it again (the history of replaced definitions,
	// `migrate diff`).
	ddlRoutine = `
SELECT string_agg(rtrim(pg_get_functiondef(p.oid), E'\n') || ';', E'\n\n' ORDER BY p.oid::regprocedure::text)
FROM pg_proc p
WHERE p.pronamespace = to_regnamespace($1) AND p.proname = $2`

	ddlView = `
SELECT 'CREATE OR REPLACE VIEW ' || c.oid::regclass::text || E' AS\n' || pg_get_viewdef(c.oid)
FROM pg_class c
WHERE c.relnamespace = to_regnamespace($1) AND c.relname = $2 AND c.relkind IN ('v', 'm')`

	ddlTrigger = `
SELECT pg_get_triggerdef(t.oid) || ';'
       || CASE WHEN t.tgenabled = 'D'
               THEN E'\nALTER TABLE ' || t.tgrelid::regclass::text || ' DISABLE TRIGGER ' || quote_ident(t.tgname) || ';'
               ELSE '' END
FROM pg_trigger t
WHERE t.tgrelid = to_regclass($1) AND t.tgname = $2`

	recordObject = `
INSERT INTO relay.schema_object (path, objects, file_sha256, db_sha256, shipped_sha256, applied_at)
VALUES ($1, $2, $3, $4, $5, now())
ON CONFLICT (path) DO UPDATE
SET objects = excluded.objects, file_sha256 = excluded.file_sha256,
    db_sha256 = excluded.db_sha256, shipped_sha256 = excluded.shipped_sha256,
    applied_at = excluded.applied_at`

	// recordedObjects reads shipped_sha256 through to_jsonb, so that it
	// also works on a database still below migration 4, which adds that
	// column ('' then).
	recordedObjects = `
SELECT o.path, o.objects, o.file_sha256, o.db_sha256, o.applied_at, coalesce(to_jsonb(o) ->> 'shipped_sha256', '')
FROM relay.schema_object o ORDER BY o.path`

	saveReplaced = `
INSERT INTO relay.schema_object_history (path, object, definition, reason)
VALUES ($1, $2, $3, $4)
RETURNING id`
)
