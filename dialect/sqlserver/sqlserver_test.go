package sqlserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/dbrelay/dbrelay/dialect"
	"github.com/dbrelay/dbrelay/dialect/dialecttest"
	"github.com/dbrelay/dbrelay/schema"
)

// The behavioural suite and the tests below that need a server run only
// when MSSQL_URL names one: a login allowed to CREATE DATABASE. Each test
// gets a database of its own, migrated with `dbrelay migrate up`'s code
// and dropped at the end.

const skipMessage = "MSSQL_URL is not set: set it to sqlserver://user:password@host:1433 (a login allowed to CREATE DATABASE) to run the SQL Server suite"

func serverURL(t *testing.T) string {
	t.Helper()
	raw := os.Getenv("MSSQL_URL")
	if raw == "" {
		t.Skip(skipMessage)
	}
	return raw
}

const (
	createDatabase = `
DECLARE @sql nvarchar(max) = N'CREATE DATABASE ' + QUOTENAME(@p1);
EXEC sp_executesql @sql;`
	dropDatabase = `
IF DB_ID(@p1) IS NOT NULL
BEGIN
    DECLARE @sql nvarchar(max) = N'ALTER DATABASE ' + QUOTENAME(@p1) + N' SET SINGLE_USER WITH ROLLBACK IMMEDIATE; '
        + N'DROP DATABASE ' + QUOTENAME(@p1) + N';';
    EXEC sp_executesql @sql;
END;`
)

// emptyDatabase creates a database of its own for t and returns its URL.
func emptyDatabase(t *testing.T) string {
	t.Helper()
	raw := serverURL(t)
	admin, err := dialect.Open(raw)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 4)
	rand.Read(b)
	name := "dbrelay_test_" + strconv.FormatInt(time.Now().Unix(), 36) + "_" + hex.EncodeToString(b)
	if _, err := admin.DB.Exec(createDatabase, name); err != nil {
		admin.Close()
		t.Fatalf("create database %s: %v", name, admin.Dialect.Explain(err))
	}
	t.Cleanup(func() {
		if _, err := admin.DB.Exec(dropDatabase, name); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
		admin.Close()
	})
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("database", name)
	u.RawQuery = q.Encode()
	return u.String()
}

func open(t *testing.T, rawURL string) *dialect.Conn {
	t.Helper()
	c, err := dialect.Open(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// migrated returns a fresh database with dbrelay installed.
func migrated(t *testing.T) *dialect.Conn {
	t.Helper()
	c := open(t, emptyDatabase(t))
	if err := (&schema.Migrator{Conn: c}).Up(context.Background()); err != nil {
		t.Fatalf("migrate up: %v", err)
	}
	return c
}

type harness struct{}

func (harness) Fresh(t *testing.T) *dialect.Conn { return migrated(t) }
func (harness) Placeholder(n int) string         { return "@p" + strconv.Itoa(n) }
func (harness) PushCall() string {
	return `EXEC relay.push @Sender = @p1, @Receivers = @p2, @Title = @p3, @Context = @p4`
}
func (harness) EnqueueCall() string {
	return `DECLARE @id bigint;
EXEC relay.enqueue @Sender = @p1, @Receiver = @p2, @Channel = @p3, @Title = @p4, @Id = @id OUTPUT;
SELECT @id;`
}

// Code maps the suite's kinds of bad input to the THROW numbers of
// procedures/sqlserver and triggers/sqlserver (docs/sqlserver.md).
func (harness) Code(kind string) string {
	return "error " + map[string]string{
		"null title":      "50001",
		"no receivers":    "50002",
		"blank receiver":  "50002",
		"no channel":      "50003",
		"unknown channel": "50005",
		"too large":       "50006",
		"bad channel":     "50007",
	}[kind]
}

// StoredBytes is DATALENGTH of nvarchar: UTF-16.
func (harness) StoredBytes(s string) int { return 2 * len(utf16.Encode([]rune(s))) }

func TestSuite(t *testing.T) {
	serverURL(t)
	dialecttest.Run(t, harness{})
}

func exec(t *testing.T, c *dialect.Conn, query string, args ...any) {
	t.Helper()
	if _, err := c.DB.Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, c.Dialect.Explain(err))
	}
}

func count(t *testing.T, c *dialect.Conn, query string, args ...any) int {
	t.Helper()
	var n int
	if err := c.DB.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, c.Dialect.Explain(err))
	}
	return n
}

// Old host clients run with QUOTED_IDENTIFIER and ANSI_NULLS off (and
// sqlcmd without -I): relay.push and a direct INSERT must work for them
// (error 1934 if a filtered index crept onto relay.message).
func TestLegacySessionSettings(t *testing.T) {
	c := migrated(t)
	ctx := context.Background()
	exec(t, c, `INSERT INTO relay.channel (code, kind) VALUES (N'inbox', N'internal');
		UPDATE relay.settings SET default_channel = N'inbox'`)
	conn, err := c.DB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SET QUOTED_IDENTIFIER OFF; SET ANSI_NULLS OFF; SET ANSI_WARNINGS OFF;
		SET ARITHABORT OFF; SET CONCAT_NULL_YIELDS_NULL OFF; SET ANSI_PADDING OFF;`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `EXEC relay.push @Sender = 'legacy', @Receivers = 'a;b', @Title = 't', @Context = 'x'`); err != nil {
		t.Fatalf("push with legacy SET options: %v", c.Dialect.Explain(err))
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO relay.message (receiver, channel, title) VALUES ('c', 'inbox', 't')`); err != nil {
		t.Fatalf("insert with legacy SET options: %v", c.Dialect.Explain(err))
	}
	if n := count(t, c, `SELECT COUNT(*) FROM relay.message WHERE status = N'pending' AND next_attempt_at IS NOT NULL`); n != 3 {
		t.Fatalf("%d pending messages, want 3", n)
	}
}

// relay.enqueue records ids in chunks of session context: more ids than
// one chunk holds all come back.
func TestPushedIDsSpanChunks(t *testing.T) {
	c := migrated(t)
	ctx := context.Background()
	exec(t, c, `INSERT INTO relay.channel (code, kind) VALUES (N'inbox', N'internal')`)
	conn, err := c.DB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, armPushedIDs); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `
DECLARE @i int = 0;
WHILE @i < 2500
BEGIN
    EXEC relay.enqueue @Sender = N's', @Receiver = N'r', @Channel = N'inbox', @Title = N't';
    SET @i = @i + 1;
END;`); err != nil {
		t.Fatal(err)
	}
	var list string
	if err := conn.QueryRowContext(ctx, readPushedIDs).Scan(&list); err != nil {
		t.Fatal(err)
	}
	if len(list) <= 8000 {
		t.Fatalf("the ids fit in one chunk (%d characters); the test needs more", len(list))
	}
	ids := parseIDs(list)
	if len(ids) != 2500 || ids[0] != 1 || ids[2499] != 2500 {
		t.Fatalf("%d ids, first %v", len(ids), ids[:min(3, len(ids))])
	}
	var armed *int
	if err := conn.QueryRowContext(ctx, `SELECT CONVERT(int, SESSION_CONTEXT(N'relay.enqueued_ids'))`).Scan(&armed); err != nil || armed != nil {
		t.Fatalf("still armed after reading: %v %v", armed, err)
	}
}

// up → down → up, with a host's own tables (and its own golang-migrate
// version table in dbo) beside dbrelay's: down removes only dbrelay's.
func TestUpDownUpKeepsHostTables(t *testing.T) {
	ctx := context.Background()
	c := open(t, emptyDatabase(t))
	exec(t, c, `CREATE TABLE dbo.wf_task (id int PRIMARY KEY);
		CREATE TABLE dbo.schema_migrations (version bigint PRIMARY KEY, dirty bit NOT NULL);
		INSERT INTO dbo.schema_migrations VALUES (42, 0);`)
	m := &schema.Migrator{Conn: c}
	if err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := m.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Clean() {
		t.Fatalf("status after up is not clean: %+v", st.Objects)
	}
	if n := count(t, c, `SELECT version FROM dbo.schema_migrations`); n != 42 {
		t.Fatalf("the host's version table changed: %d", n)
	}
	if err := m.Down(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, c, `SELECT COUNT(*) FROM sys.schemas WHERE name IN (N'relay', N'relay_api')`); n != 0 {
		t.Fatalf("%d dbrelay schemas left after down", n)
	}
	if n := count(t, c, `SELECT COUNT(*) FROM sys.tables WHERE SCHEMA_NAME(schema_id) = N'dbo'`); n != 2 {
		t.Fatalf("%d host tables left after down, want 2", n)
	}
	if err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	// A second up changes nothing: it says so, and relay.schema_object
	// (checksums, when each file was applied) is as before.
	recorded := func() string {
		var s string
		if err := c.DB.QueryRow(`SELECT (SELECT path, file_sha256, db_sha256, applied_at FROM relay.schema_object ORDER BY path FOR JSON PATH)`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	before := recorded()
	var log []string
	again := &schema.Migrator{Conn: c, Logf: func(f string, a ...any) { log = append(log, fmt.Sprintf(f, a...)) }}
	if err := again.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if len(log) != 2 || !strings.Contains(log[0], "already at the latest version") || !strings.Contains(log[1], "already applied") {
		t.Errorf("a second up said %q, want that nothing was to do", log)
	}
	if after := recorded(); after != before {
		t.Errorf("a second up changed relay.schema_object:\n%s\n%s", before, after)
	}
	if err := schema.Check(ctx, c); err != nil {
		t.Fatal(err)
	}
}

// A trigger disabled by hand is drift, and up enables it again.
func TestDisabledTriggerIsDrift(t *testing.T) {
	ctx := context.Background()
	c := migrated(t)
	m := &schema.Migrator{Conn: c}
	exec(t, c, `ALTER TABLE relay.message DISABLE TRIGGER message_outcome`)
	st, err := m.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range st.Objects {
		if o.Path == "triggers/sqlserver/message_outcome.sql" && (len(o.States) != 1 || o.States[0] != schema.Drifted) {
			t.Fatalf("disabled trigger: %v, want drifted", o.States)
		}
	}
	if err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, c, `SELECT COUNT(*) FROM sys.triggers WHERE name = N'message_outcome' AND is_disabled = 0`); n != 1 {
		t.Fatal("up did not enable the trigger again")
	}
}

// The listener refuses a database below compatibility level 130 with a
// message saying what to do.
func TestCompatibilityLevelChecked(t *testing.T) {
	c := migrated(t)
	exec(t, c, `ALTER DATABASE CURRENT SET COMPATIBILITY_LEVEL = 120`)
	_, err := c.Dialect.NewQueue(context.Background(), c)
	if err == nil || !strings.Contains(err.Error(), "COMPATIBILITY_LEVEL = 130") {
		t.Fatalf("NewQueue at level 120 = %v", err)
	}
}

// SQL is the T-SQL text of the extension point tests.
func (harness) SQL(name string) string {
	return map[string]string{
		"host table": `CREATE TABLE dbo.host_log (id int IDENTITY (1, 1) PRIMARY KEY, note nvarchar(400) NOT NULL)`,
		"push line":  `    INSERT INTO dbo.host_log (note) VALUES (N'custom push: ' + @Title);`,
		"failing hook": `CREATE OR ALTER PROCEDURE relay.on_outcome
    @message_id bigint, @status nvarchar(16), @channel nvarchar(100), @receiver nvarchar(200),
    @event nvarchar(100), @ref nvarchar(200)
AS
BEGIN
    SET NOCOUNT ON;
    INSERT INTO dbo.host_log (note) VALUES (N'half done');
    THROW 50100, N'hook is broken', 1;
END;`,
		"recording hook": `CREATE OR ALTER PROCEDURE relay.on_outcome
    @message_id bigint, @status nvarchar(16), @channel nvarchar(100), @receiver nvarchar(200),
    @event nvarchar(100), @ref nvarchar(200)
AS
BEGIN
    SET NOCOUNT ON;
    INSERT INTO dbo.host_log (note) VALUES (@status + N' ' + CONVERT(nvarchar(20), @message_id));
END;`,
		"raise": `DECLARE @id bigint;
EXEC relay.raise @Event = @p1, @Ref = @p2, @Payload = @p3, @Id = @id OUTPUT;
SELECT @id;`,
		"response hook": `CREATE OR ALTER PROCEDURE relay.on_outcome
    @message_id bigint, @status nvarchar(16), @channel nvarchar(100), @receiver nvarchar(200),
    @event nvarchar(100), @ref nvarchar(200)
AS
BEGIN
    SET NOCOUNT ON;
    INSERT INTO dbo.host_log (note)
    SELECT CONVERT(nvarchar(20), @message_id) + N' '
        + CASE WHEN m.response_json IS NULL THEN N'no json' ELSE ISNULL(JSON_VALUE(m.response_json, '$.prompt'), N'json') END
    FROM relay.message AS m WHERE m.id = @message_id;
END;`,
		"example approve": `EXEC dbo.approve @approval_id = @p1, @approver = @p2`,
		"host dependent":  `CREATE TABLE dbo.host_ref (message_id bigint NOT NULL CONSTRAINT host_ref_message_fkey REFERENCES relay.message (id))`,
		"requires migration": `-- A newer dbrelay's migration (test): relay.on_outcome gains a parameter.
-- dbrelay:requires relay.on_outcome(@message_id, @status, @channel, @receiver, @event, @ref, @note): add the parameter @note nvarchar(200) = NULL after @ref
SELECT 1;
`,
		"hook with note": `SET ANSI_NULLS ON;
SET QUOTED_IDENTIFIER ON;
GO
-- relay.on_outcome with a note (a newer default, for tests).
--
-- dbrelay:extension-point
CREATE OR ALTER PROCEDURE relay.on_outcome
    @message_id bigint, @status nvarchar(16), @channel nvarchar(100), @receiver nvarchar(200),
    @event nvarchar(100), @ref nvarchar(200), @note nvarchar(200) = NULL
AS
BEGIN
    SET NOCOUNT ON;
    RETURN;
END;
GO
`,
	}[name]
}
