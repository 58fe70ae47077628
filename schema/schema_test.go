package schema_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/dbrelay/dbrelay/dialect"
	"github.com/dbrelay/dbrelay/dialect/postgres"
	"github.com/dbrelay/dbrelay/internal/schematest"
	"github.com/dbrelay/dbrelay/pgserver/pgtest"
	"github.com/dbrelay/dbrelay/schema"
	"github.com/golang-migrate/migrate/v4"
	_ "github.com/golang-migrate/migrate/v4/database/postgres"
	_ "github.com/golang-migrate/migrate/v4/source/file"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func open(t *testing.T, url string) *dialect.Conn {
	t.Helper()
	c, err := dialect.Open(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func statusOf(t *testing.T, m *schema.Migrator) map[string][]string {
	t.Helper()
	st, err := m.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, o := range st.Objects {
		out[o.Path] = o.States
	}
	return out
}

// objectOf returns the status and the state of one object file.
func objectOf(t *testing.T, m *schema.Migrator, path string) (*schema.Status, schema.ObjectStatus) {
	t.Helper()
	st, err := m.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range st.Objects {
		if o.Path == path {
			return st, o
		}
	}
	t.Fatalf("status has no %s", path)
	return nil, schema.ObjectStatus{}
}

// tables lists relay's tables with their columns, types, nullability and
// defaults, and their constraints and indexes: what "the same tables" means.
func tables(t *testing.T, db *sql.DB) []string {
	t.Helper()
	return schematest.Lines(t, db, `
SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '')
FROM information_schema.columns WHERE table_schema = 'relay' AND table_name <> 'schema_migrations'
UNION ALL
SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
FROM pg_constraint WHERE connamespace = 'relay'::regnamespace AND conrelid::regclass::text <> 'relay.schema_migrations'
UNION ALL
SELECT indexdef FROM pg_indexes WHERE schemaname = 'relay' AND tablename <> 'schema_migrations'
ORDER BY 1`)
}

func count(t *testing.T, db *sql.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestUpDownUp(t *testing.T) {
	ctx := context.Background()
	c := open(t, pgtest.Empty(t))
	m := &schema.Migrator{Conn: c}

	if err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	first := tables(t, c.DB)
	if len(first) < 40 {
		t.Fatalf("expected relay's tables after up, got %d lines: %v", len(first), first)
	}
	st, err := m.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Clean() {
		t.Fatalf("status after up is not clean: %+v", st)
	}
	if err := schema.Check(ctx, c); err != nil {
		t.Fatalf("Check after up: %v", err)
	}

	if err := m.Down(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, c.DB, `SELECT count(*) FROM pg_namespace WHERE nspname IN ('relay', 'relay_api')`); n != 0 {
		t.Fatalf("schemas left after down: %d", n)
	}
	if n := count(t, c.DB, `SELECT count(*) FROM pg_proc WHERE proname IN ('push', 'enqueue', 'on_outcome')`); n != 0 {
		t.Fatalf("procedures left after down: %d", n)
	}
	if err := schema.Check(ctx, c); !errors.Is(err, dialect.ErrSchema) || !strings.Contains(err.Error(), "migrate up") {
		t.Fatalf("Check after down = %v, want a schema error saying to run migrate up", err)
	}

	if err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if second := tables(t, c.DB); !reflect.DeepEqual(first, second) {
		t.Fatalf("tables differ after up → down → up:\n%v\n%v", first, second)
	}
	// A second up changes nothing: it says so, and the recorded objects
	// (checksums and when each was applied) and the tables are as before.
	before := recorded(t, c.DB)
	var log []string
	again := &schema.Migrator{Conn: c, Logf: func(f string, a ...any) { log = append(log, fmt.Sprintf(f, a...)) }}
	if err := again.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(log, "\n"); !strings.Contains(got, "already at the latest version") || !strings.Contains(got, "files up to date") || strings.Contains(got, "applied ") {
		t.Errorf("a second up did something:\n%s", got)
	}
	if after := recorded(t, c.DB); !reflect.DeepEqual(before, after) {
		t.Errorf("a second up changed relay.schema_object:\n%v\n%v", before, after)
	}
	if third := tables(t, c.DB); !reflect.DeepEqual(first, third) {
		t.Errorf("a second up changed the tables")
	}
}

// recorded lists relay.schema_object: path, checksums, when applied.
func recorded(t *testing.T, db *sql.DB) []string {
	t.Helper()
	out := schematest.Lines(t, db, `SELECT path || ' ' || file_sha256 || ' ' || db_sha256 || ' ' || applied_at FROM relay.schema_object ORDER BY path`)
	if len(out) < 10 {
		t.Fatalf("relay.schema_object has %d rows", len(out))
	}
	return out
}

func TestStatusReportsDriftAndChangedFiles(t *testing.T) {
	ctx := context.Background()
	c := open(t, pgtest.Migrated(t))
	m := &schema.Migrator{Conn: c}
	st := statusOf(t, m)
	if got := st["procedures/postgres/push.sql"]; !reflect.DeepEqual(got, []string{schema.Default}) {
		t.Fatalf("push.sql = %v, want default", got)
	}
	if got := st["procedures/postgres/enqueue.sql"]; !reflect.DeepEqual(got, []string{schema.Applied}) {
		t.Fatalf("enqueue.sql = %v, want applied", got)
	}

	// An extension point replaced by hand: customised.
	if _, err := c.DB.Exec(`CREATE OR REPLACE PROCEDURE relay.on_outcome(message_id bigint, status text, channel text, receiver text, event text, ref text)
		LANGUAGE plpgsql AS $$ BEGIN RAISE NOTICE 'hand edit'; END $$`); err != nil {
		t.Fatal(err)
	}
	// dbrelay's own, replaced or altered by hand: drift.
	if _, err := c.DB.Exec(`CREATE OR REPLACE FUNCTION relay.enqueue(sender text, receiver text, channel text, title text,
		body text DEFAULT '', payload jsonb DEFAULT NULL, event text DEFAULT 'MESSAGE', ref text DEFAULT NULL, address text DEFAULT NULL)
		RETURNS bigint LANGUAGE sql AS $$ SELECT 0::bigint $$`); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DB.Exec(`ALTER TABLE relay.message DISABLE TRIGGER message_wake`); err != nil {
		t.Fatal(err)
	}
	// A view dropped by hand: missing.
	if _, err := c.DB.Exec(`DROP VIEW relay_api.channel_stats`); err != nil {
		t.Fatal(err)
	}
	st = statusOf(t, m)
	for path, want := range map[string][]string{
		"procedures/postgres/on_outcome.sql": {schema.Customised},
		"procedures/postgres/enqueue.sql":    {schema.Drifted},
		"triggers/postgres/message_wake.sql": {schema.Drifted},
		"views/postgres/channel_stats.sql":   {schema.Missing},
		"procedures/postgres/push.sql":       {schema.Default},
	} {
		if got := st[path]; !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}

	// A changed file on disk, through --objects-dir.
	dir := t.TempDir()
	if _, err := schema.Export("postgres", dir); err != nil {
		t.Fatal(err)
	}
	pushFile := filepath.Join(dir, "procedures", "postgres", "push.sql")
	b, err := os.ReadFile(pushFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pushFile, append(b, []byte("\n-- an integrator's note\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	edited := &schema.Migrator{Conn: c, Objects: os.DirFS(dir)}
	if got := statusOf(t, edited)["procedures/postgres/push.sql"]; !reflect.DeepEqual(got, []string{schema.ChangedOnDisk}) {
		t.Fatalf("push.sql with an edited copy = %v, want changed on disk", got)
	}

	// up with the edited copies repairs dbrelay's own objects, applies the
	// integrator's push.sql and keeps the hand-edited hook.
	if err := edited.Up(ctx); err != nil {
		t.Fatal(err)
	}
	st2, err := edited.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !st2.Clean() {
		t.Fatalf("status after up with --objects-dir is not clean: %+v", st2.Objects)
	}
	if n := count(t, c.DB, `SELECT count(*) FROM pg_trigger WHERE tgname = 'message_wake' AND tgenabled = 'O'`); n != 1 {
		t.Fatal("up did not re-enable the drifted wake-up trigger")
	}
	if n := count(t, c.DB, `SELECT count(*) FROM pg_proc WHERE proname = 'on_outcome' AND prosrc LIKE '%hand edit%'`); n != 1 {
		t.Fatal("up replaced the hand-edited relay.on_outcome")
	}
	// Against the embedded files, push.sql is now a customised extension
	// point, which a plain status counts as clean.
	st3, push := objectOf(t, m, "procedures/postgres/push.sql")
	if !reflect.DeepEqual(push.States, []string{schema.Customised}) {
		t.Fatalf("push.sql vs embedded = %v, want customised", push.States)
	}
	if !st3.Clean() {
		t.Fatalf("customised extension points made status unclean: %+v", st3.Objects)
	}
}

func TestExportRefusesToOverwrite(t *testing.T) {
	dir := t.TempDir()
	files, err := schema.Export("postgres", dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 10 {
		t.Fatalf("exported %d files", len(files))
	}
	if _, err := schema.Export("postgres", dir); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("second export = %v, want 'already exists'", err)
	}
}

// The upstream CLI path: golang-migrate as a library reading the repository's
// sql/postgres directory from disk, with its default version table, gives the
// same tables as `dbrelay migrate up`.
func TestUpstreamMigrateGivesSameTables(t *testing.T) {
	ours := open(t, pgtest.Migrated(t))
	want := tables(t, ours.DB)

	url := pgtest.Empty(t)
	abs, err := filepath.Abs("../sql/postgres")
	if err != nil {
		t.Fatal(err)
	}
	mg, err := migrate.New("file://"+abs, url)
	if err != nil {
		t.Fatal(err)
	}
	if err := mg.Up(); err != nil {
		t.Fatal(err)
	}
	mg.Close()
	theirs := open(t, url)
	if got := tables(t, theirs.DB); !reflect.DeepEqual(want, got) {
		t.Fatalf("upstream migrate gave other tables:\nwant %v\ngot  %v", want, got)
	}
	// And with the version table in schema relay, as dbrelay keeps it, after
	// creating the schema as the README says.
	url2 := pgtest.Empty(t)
	c2 := open(t, url2)
	if _, err := c2.DB.Exec(`CREATE SCHEMA relay`); err != nil {
		t.Fatal(err)
	}
	mg2, err := migrate.New("file://"+abs, url2+`&x-migrations-table="relay"."schema_migrations"&x-migrations-table-quoted=1`)
	if err != nil {
		t.Fatal(err)
	}
	if err := mg2.Up(); err != nil {
		t.Fatal(err)
	}
	mg2.Close()
	// dbrelay sees that version and only adds the objects.
	if err := (&schema.Migrator{Conn: c2}).Up(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := schema.Check(context.Background(), c2); err != nil {
		t.Fatal(err)
	}
}

// golang-migrate's iofs source skips a misnamed file silently: every file in
// the migrations directory must be one it parses.
func TestEveryMigrationFileIsRecognised(t *testing.T) {
	files, err := schema.MigrationFiles(postgres.Dialect{})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 2 {
		t.Fatalf("found %d migration files", len(files))
	}
	for name, ok := range files {
		if !ok {
			t.Errorf("sql/postgres/%s is not a golang-migrate file name (NNNNNN_name.up.sql / .down.sql): it would be skipped", name)
		}
	}
}

func TestNewerDatabaseIsRefused(t *testing.T) {
	ctx := context.Background()
	c := open(t, pgtest.Migrated(t))
	if _, err := c.DB.Exec(`UPDATE relay.schema_migrations SET version = 99`); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"up":    (&schema.Migrator{Conn: c}).Up(ctx),
		"check": schema.Check(ctx, c),
	} {
		if !errors.Is(err, dialect.ErrSchema) || !strings.Contains(err.Error(), "newer") {
			t.Errorf("%s on a newer schema = %v, want a 'newer' schema error", name, err)
		}
	}
}

func TestParseObjects(t *testing.T) {
	got := schema.ParseObjects(`-- CREATE VIEW not.this
CREATE OR REPLACE FUNCTION relay.f() RETURNS trigger AS $$ BEGIN END $$;
/* CREATE PROCEDURE nor.this */
CREATE OR REPLACE TRIGGER t1
    BEFORE UPDATE OF a, b ON relay.message FOR EACH ROW EXECUTE FUNCTION relay.f();
CREATE OR ALTER TRIGGER [relay].[t2] ON [relay].[message] AFTER INSERT AS BEGIN SET NOCOUNT ON; END
create proc relay.p as select 1`)
	want := []dialect.Object{
		{Kind: "function", Name: "relay.f"},
		{Kind: "trigger", Name: "t1", Table: "relay.message"},
		{Kind: "trigger", Name: "[relay].[t2]", Table: "[relay].[message]"},
		{Kind: "procedure", Name: "relay.p"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseObjects:\n got %+v\nwant %+v", got, want)
	}
}
