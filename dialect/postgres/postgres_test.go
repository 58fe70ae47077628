package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	dbrelay "github.com/dbrelay/dbrelay"
	"github.com/dbrelay/dbrelay/channel"
	"github.com/dbrelay/dbrelay/dialect"
	"github.com/dbrelay/dbrelay/dialect/dialecttest"
	"github.com/dbrelay/dbrelay/dialect/postgres"
	"github.com/dbrelay/dbrelay/pgserver/pgtest"
	"github.com/dbrelay/dbrelay/schema"
	"github.com/golang-migrate/migrate/v4"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"github.com/lib/pq"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

type harness struct{}

func (harness) Fresh(t *testing.T) *dialect.Conn {
	c, err := dialect.Open(pgtest.Migrated(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func (harness) Placeholder(n int) string { return "$" + strconv.Itoa(n) }
func (harness) PushCall() string         { return `CALL relay.push($1, $2, $3, $4)` }
func (harness) EnqueueCall() string      { return `SELECT relay.enqueue($1, $2, $3, $4)` }

func (harness) Code(kind string) string {
	return "SQLSTATE " + map[string]string{
		"null title":      "22004",
		"no receivers":    "22023",
		"blank receiver":  "22023",
		"no channel":      "42704",
		"unknown channel": "42704",
		"too large":       "54000",
		"bad channel":     "23514",
		// relay.attach (procedures/postgres/attach.sql)
		"attachment too large":   "DR501",
		"attachment prohibited":  "DR502",
		"attachment not allowed": "DR503",
		"attachment invalid":     "DR504",
	}[kind]
}

// StoredBytes is octet_length: UTF-8.
func (harness) StoredBytes(s string) int { return len(s) }

func TestSuite(t *testing.T) { dialecttest.Run(t, harness{}) }

// The listener's statements run on sessions of its own, named in
// pg_stat_activity (their settings are checked by TestListenerDSN).
func TestQueueSessionSettings(t *testing.T) {
	c, err := dialect.Open(pgtest.Migrated(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	q, err := postgres.Dialect{}.NewQueue(context.Background(), c, dialect.QueueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if _, _, err := q.Claim(context.Background(), "probe", 1, time.Second, nil); err != nil { // opens a queue session
		t.Fatal(err)
	}
	var n int
	if err := c.DB.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE application_name = 'dbrelay-listener' AND datname = current_database()`).Scan(&n); err != nil || n == 0 {
		t.Fatalf("no session named dbrelay-listener (%d, %v)", n, err)
	}
}

// The LISTEN connection is named in pg_stat_activity too (issue 13,
// defect 11).
func TestWakeSessionNamed(t *testing.T) {
	c, err := dialect.Open(pgtest.Migrated(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	w, err := postgres.Dialect{}.Listen(context.Background(), c, "probe", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var n int
	if err := c.DB.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE application_name = 'dbrelay-listener-wake' AND datname = current_database()`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d sessions named dbrelay-listener-wake (%v), want 1", n, err)
	}
}

// No function or procedure in relay or relay_api is executable by PUBLIC:
// each is granted to the role that needs it (docs/postgres-roles.sql). A
// new object file without its REVOKE fails here. The migration revokes
// what object files from before may have left: an integrator's routine
// created by hand is covered by the next `migrate up` too.
func TestNoRoutineExecutableByPublic(t *testing.T) {
	c, err := dialect.Open(pgtest.Migrated(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// An upgrade from version 1, where a routine (an integrator's helper,
	// a customised hook `migrate up` leaves alone) is executable by PUBLIC:
	// migration 2 revokes it. golang-migrate takes the database down to 1
	// (every later down file), then `migrate up` runs them again.
	ctx := context.Background()
	src, err := iofs.New(dbrelay.Files, "sql/postgres")
	if err != nil {
		t.Fatal(err)
	}
	drv, err := c.Dialect.MigrationDriver(ctx, c.DB)
	if err != nil {
		t.Fatal(err)
	}
	mg, err := migrate.NewWithInstance("iofs", src, "postgres", drv)
	if err != nil {
		t.Fatal(err)
	}
	if err := mg.Migrate(1); err != nil {
		t.Fatalf("down to version 1: %v", err)
	}
	if _, err := mg.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DB.Exec(`CREATE FUNCTION relay.integrator_helper() RETURNS integer LANGUAGE sql AS 'SELECT 1'`); err != nil {
		t.Fatal(err)
	}
	if err := (&schema.Migrator{Conn: c}).Up(ctx); err != nil {
		t.Fatal(err)
	}
	var total int
	if err := c.DB.QueryRow(`SELECT count(*) FROM pg_proc WHERE pronamespace IN ('relay'::regnamespace, 'relay_api'::regnamespace)`).Scan(&total); err != nil {
		t.Fatal(err)
	}
	if total < 8 {
		t.Fatalf("only %d routines in relay: the query looks in the wrong place", total)
	}
	rows, err := c.DB.Query(`
SELECT p.oid::regprocedure::text
FROM pg_proc p
WHERE p.pronamespace IN ('relay'::regnamespace, 'relay_api'::regnamespace)
  AND has_function_privilege('public', p.oid, 'EXECUTE')
ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		t.Errorf("%s is executable by PUBLIC: add REVOKE ALL ON … FROM PUBLIC to its file, and grant it in docs/postgres-roles.sql", name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

// PostgreSQL checks a channel's config as deeply as the listener reads it
// (SQL Server's trigger sees less without OPENJSON; the suite covers what
// both check): unknown keys, each header's name and value, basic_auth's
// keys, and what an internal channel may not have.
func TestChannelConfigCheckedDeeply(t *testing.T) {
	c, err := dialect.Open(pgtest.Migrated(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, tc := range []struct{ kind, target, config, secretEnv, want string }{
		{"webhook", "https://x.example/", `{"header": {"X-A": "1"}}`, "", `unknown key(s) header`},
		{"webhook", "https://x.example/", `{"headers": {"X A": "1"}}`, "", `'X A' is not a valid header name`},
		{"webhook", "https://x.example/", `{"headers": {"X-A": 1}}`, "", `value of X-A must be a string or {"value_from_env": "NAME"}`},
		{"webhook", "https://x.example/", `{"headers": {"X-A": "1\r\nX-B: 2"}}`, "", "control characters"},
		{"webhook", "https://x.example/", `{"headers": {"X-A": {"value_from_env": "not a name"}}}`, "", "value_from_env must be the name"},
		{"webhook", "https://x.example/", `{"headers": {"X-A": {"value_from_env": "A", "b": 1}}}`, "", `{"value_from_env": "NAME"} and nothing else`},
		{"webhook", "https://x.example/", `{"headers": {"Webhook-Id": "k"}}`, "", "may not set Webhook-Id"},
		{"webhook", "https://x.example/", `{"headers": {"X-A": "1", "x-a": "2"}}`, "", "twice"},
		{"webhook", "https://x.example/", `{"headers": {"authorization": "Bearer t"}, "basic_auth": {"username": "u", "password_env": "P"}}`, "", "together with config.basic_auth"},
		{"webhook", "https://x.example/", `{"basic_auth": {"username": "u", "password_env": "P", "password": "pw"}}`, "", "basic_auth has unknown keys"},
		{"webhook", "https://x.example/", `{"basic_auth": {"username": "u:v", "password_env": "P"}}`, "", "username"},
		// Chat robots (webhook presets), OAuth2 and sms (issue 15).
		{"webhook", "https://x.example/", `{"preset": "slack"}`, "", "config.preset must be wecom, dingtalk or feishu"},
		{"webhook", "https://x.example/", `{"preset": "dingtalk", "headers": {}}`, "", "unknown key(s) headers (known keys: format, mention_address"},
		{"webhook", "https://x.example/", `{"preset": "dingtalk", "format": "html"}`, "", "text or markdown"},
		{"webhook", "https://x.example/", `{"preset": "dingtalk", "mention_all": "yes"}`, "", "config.mention_all must be true or false"},
		{"webhook", "https://x.example/", `{"preset": "wecom"}`, "DBRELAY_SECRET_X", "WeCom group robots are not signed"},
		{"webhook", "https://x.example/", `{"oauth2": {"token_url": "https://idp/t", "client_id": "c", "client_secret_env": "S", "scopes": "a"}}`, "", "config.oauth2 has unknown keys"},
		{"webhook", "https://x.example/", `{"oauth2": {"token_url": "https://u:p@idp/t", "client_id": "c", "client_secret_env": "S"}}`, "", "token_url"},
		{"webhook", "https://x.example/", `{"oauth2": {"token_url": "https://idp/t", "client_id": "c", "client_secret_env": "S"}, "headers": {"Authorization": "x"}}`, "", "together with config.oauth2"},
		{"webhook", "https://x.example/", `{"oauth2": {"token_url": "https://idp/t", "client_id": "c", "client_secret_env": "S"}, "basic_auth": {"username": "u", "password_env": "P"}}`, "", "both basic_auth and oauth2"},
		{"sms", "ftp://gw.example/", `{}`, "", "absolute http or https URL"},
		{"sms", "https://gw.example/", `{"from": "x"}`, "", "unknown key(s) from"},
		{"sms", "https://gw.example/", `{"form": {"a": "1"}, "json": {}}`, "", "both form and json"},
		{"sms", "https://gw.example/", `{"method": "DELETE"}`, "", "POST, PUT, PATCH or GET"},
		{"sms", "https://gw.example/", `{"headers": {"Content-Type": "text/plain"}}`, "", "may not set Content-Type"},
		{"sms", "https://gw.example/", `{"bearer_token_env": "T", "headers": {"authorization": "x"}}`, "", "together with config.bearer_token_env"},
		{"internal", "", `{"headers": {}}`, "", "internal channel has no config"},
		{"internal", "", `{}`, "DBRELAY_SECRET_X", "signs nothing"},
	} {
		var secretEnv any
		if tc.secretEnv != "" {
			secretEnv = tc.secretEnv
		}
		_, err := c.DB.Exec(`INSERT INTO relay.channel (code, kind, target, config, secret_env) VALUES ('bad', $1, $2, $3, $4)`,
			tc.kind, tc.target, tc.config, secretEnv)
		var pqErr *pq.Error
		if !errors.As(err, &pqErr) || pqErr.Code != "23514" || !strings.Contains(pqErr.Message, tc.want) {
			t.Errorf("%s %s: %v, want 23514 saying %q", tc.kind, tc.config, err, tc.want)
		}
	}
	if _, err := c.DB.Exec(`INSERT INTO relay.channel (code, kind, target, config, secret_env) VALUES ('ok', 'webhook', 'https://x.example/a?b=c#d', $1, 'DBRELAY_SECRET_S')`,
		`{"headers": {"X-A": "1", "Authorization": {"value_from_env": "DBRELAY_SECRET_T"}}, "basic_auth": null}`); err != nil {
		t.Fatalf("a good row: %v", err)
	}
	for i, good := range []struct{ kind, config, secretEnv string }{
		{"webhook", `{"preset": "dingtalk", "format": "markdown", "title": "{{.Title}}", "mention_address": true}`, "DBRELAY_SECRET_D"},
		{"webhook", `{"preset": "wecom"}`, ""},
		{"webhook", `{"oauth2": {"token_url": "https://idp.example/t", "client_id": "c", "client_secret_env": "DBRELAY_SECRET_C", "scope": "a b"}, "headers": {"X-Ref": "{{.Ref}}"}}`, ""},
		{"sms", `{"form": {"To": "{{.Address}}", "Key": {"value_from_env": "DBRELAY_SECRET_K"}}, "headers": {"Idempotency-Key": "{{.Key}}"}, "bearer_token_env": "DBRELAY_SECRET_T", "response": {"path": "Code", "success": "OK"}}`, ""},
	} {
		var secretEnv any
		if good.secretEnv != "" {
			secretEnv = good.secretEnv
		}
		if _, err := c.DB.Exec(`INSERT INTO relay.channel (code, kind, target, config, secret_env) VALUES ($1, $2, 'https://x.example/a', $3, $4)`,
			fmt.Sprintf("good-%d", i), good.kind, good.config, secretEnv); err != nil {
			t.Errorf("a good %s row %s: %v", good.kind, good.config, err)
		}
	}
}

// SQL is the PostgreSQL text of the extension point tests.
func (harness) SQL(name string) string {
	return map[string]string{
		"host table": `CREATE TABLE host_log (id serial PRIMARY KEY, note text NOT NULL)`,
		"attach":     `SELECT relay.attach($1, $2, $3, $4)`,
		"push line":  `    INSERT INTO public.host_log (note) VALUES ('custom push: ' || push.title);`,
		"failing hook": `CREATE OR REPLACE PROCEDURE relay.on_outcome(message_id bigint, status text, channel text, receiver text, event text, ref text)
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.host_log (note) VALUES ('half done');
    RAISE EXCEPTION 'hook is broken';
END $$`,
		"recording hook": `CREATE OR REPLACE PROCEDURE relay.on_outcome(message_id bigint, status text, channel text, receiver text, event text, ref text)
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.host_log (note) VALUES (on_outcome.status || ' ' || on_outcome.message_id);
END $$`,
		"host dependent": `CREATE VIEW public.host_outbox AS SELECT id FROM relay_api.outbox`,
		"raise":          `SELECT relay.raise($1, $2, $3)`,
		"response hook": `CREATE OR REPLACE PROCEDURE relay.on_outcome(message_id bigint, status text, channel text, receiver text, event text, ref text)
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.host_log (note)
    SELECT on_outcome.message_id || ' ' || CASE WHEN m.response_json IS NULL THEN 'no json'
                                               ELSE coalesce(m.response_json ->> 'prompt', 'json') END
    FROM relay.message m WHERE m.id = on_outcome.message_id;
END $$`,
		"example approve": `SELECT public.approve($1, $2)`,
		"requires migration": `-- A newer dbrelay's migration (test): relay.on_outcome gains a parameter.
-- dbrelay:requires relay.on_outcome(message_id, status, channel, receiver, event, ref, note): add the parameter note text DEFAULT NULL after ref
DROP PROCEDURE IF EXISTS relay.on_outcome(bigint, text, text, text, text, text);
`,
		"hook with note": `-- relay.on_outcome with a note (a newer default, for tests).
--
-- dbrelay:extension-point
CREATE OR REPLACE PROCEDURE relay.on_outcome(
    message_id bigint, status text, channel text, receiver text, event text, ref text, note text DEFAULT NULL
)
LANGUAGE plpgsql
AS $$
BEGIN
    NULL;
END
$$;
`,
	}[name]
}

// A claim commits synchronously unless the listener asked for async
// claims (issue 13, defect 7): the claim sets synchronous_commit for its own
// transaction over the listener sessions' off. A statement trigger of the
// test's own records the setting the claim's transaction runs with.
func TestClaimDurability(t *testing.T) {
	c, err := dialect.Open(pgtest.Migrated(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, stmt := range []string{
		`CREATE TABLE public.claim_setting (value text NOT NULL)`,
		`CREATE FUNCTION public.record_claim_setting() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.claim_setting VALUES (current_setting('synchronous_commit'));
    RETURN NULL;
END $$`,
		`CREATE TRIGGER record_claim_setting AFTER UPDATE ON relay.message
         FOR EACH STATEMENT EXECUTE FUNCTION public.record_claim_setting()`,
		`INSERT INTO relay.channel (code, kind, target) VALUES ('hook', 'webhook', 'http://127.0.0.1:1/')`,
	} {
		if _, err := c.DB.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	for _, tc := range []struct {
		async bool
		want  string
	}{{false, "on"}, {true, "off"}} {
		if _, err := c.DB.Exec(`DELETE FROM public.claim_setting`); err != nil {
			t.Fatal(err)
		}
		if _, err := c.DB.Exec(`INSERT INTO relay.message (sender, receiver, channel, title) VALUES ('s', 'r', 'hook', 't')`); err != nil {
			t.Fatal(err)
		}
		q, err := postgres.Dialect{}.NewQueue(context.Background(), c, dialect.QueueOptions{AsyncClaims: tc.async})
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := q.Claim(context.Background(), "probe:"+strconv.FormatBool(tc.async), 10, time.Hour, nil)
		q.Close()
		if err != nil || len(got) != 1 {
			t.Fatalf("claim: %d, %v", len(got), err)
		}
		var setting string
		if err := c.DB.QueryRow(`SELECT string_agg(value, ',') FROM public.claim_setting`).Scan(&setting); err != nil {
			t.Fatal(err)
		}
		if setting != tc.want {
			t.Errorf("AsyncClaims %v: the claim ran with synchronous_commit %q, want %q", tc.async, setting, tc.want)
		}
	}
}

// A write-back retried while its first run (whose reply was lost) is still
// executing on the server waits for that run at the row locks, and must
// then report the outcome applied, as the first run made it: the metrics
// count what the database holds (issue 13, defect 3). Here the first run is
// a transaction of the test's own holding the same changes uncommitted.
func TestWriteBackRetryRacingFirstRun(t *testing.T) {
	c, err := dialect.Open(pgtest.Migrated(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if _, err := c.DB.Exec(`INSERT INTO relay.channel (code, kind, target) VALUES ('hook', 'webhook', 'http://127.0.0.1:1/')`); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DB.Exec(`INSERT INTO relay.message (sender, receiver, channel, title) VALUES ('s', 'r', 'hook', 't')`); err != nil {
		t.Fatal(err)
	}
	q, err := postgres.Dialect{}.NewQueue(ctx, c, dialect.QueueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	got, _, err := q.Claim(ctx, "l:1", 1, time.Hour, nil)
	if err != nil || len(got) != 1 {
		t.Fatalf("claim: %+v, %v", got, err)
	}
	out := dialect.Outcome{ID: got[0].ID, Token: got[0].Token, Status: dialect.StatusSent, Attempt: got[0].Attempt,
		StartedAt: time.Now(), Result: channel.Result{Outcome: channel.Sent, StatusCode: 200}}

	first, err := c.DB.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer first.Rollback()
	for _, stmt := range []string{
		`UPDATE relay.message SET status = 'sent', next_attempt_at = NULL, locked_by = NULL, locked_until = NULL, sent_at = now() WHERE id = $1`,
		`INSERT INTO relay.delivery (message_id, claim_token, attempt, applied, started_at, duration_ms, outcome) VALUES ($1, 'l:1', 1, true, now(), 1, 'sent')`,
	} {
		if _, err := first.Exec(stmt, out.ID); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	type result struct {
		fates []dialect.Fate
		err   error
	}
	retry := make(chan result, 1)
	go func() {
		fates, err := q.Finish(ctx, []dialect.Outcome{out})
		retry <- result{fates, err}
	}()
	// The retry must be waiting on the first run's locks before it commits.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var waiting int
		if err := c.DB.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the retried write-back never waited for the first run")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := first.Commit(); err != nil {
		t.Fatal(err)
	}
	r := <-retry
	if r.err != nil || len(r.fates) != 1 || r.fates[0] != dialect.Applied {
		t.Fatalf("retried write-back: fates %v, err %v; want applied (the first run applied it)", r.fates, r.err)
	}
	var rows int
	if err := c.DB.QueryRow(`SELECT count(*) FROM relay.delivery WHERE message_id = $1`, out.ID).Scan(&rows); err != nil || rows != 1 {
		t.Fatalf("%d attempt rows (%v), want 1", rows, err)
	}
}
