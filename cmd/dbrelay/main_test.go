package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dbrelay/dbrelay/dialect"
	"github.com/dbrelay/dbrelay/pgserver/pgtest"
	"github.com/urfave/cli/v2"
)

// TestMain doubles as the dbrelay binary: with DBRELAY_TEST_AS_CLI=1 the
// test binary runs the command line instead of the tests, so tests can start
// real dbrelay processes (to kill them) without building anything.
func TestMain(m *testing.M) {
	if os.Getenv("DBRELAY_TEST_AS_CLI") == "1" {
		ctx, stop := signalContext()
		code := run(ctx, os.Args, os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	pgtest.Main(m)
}

// dbrelay runs the command line in-process and returns its exit code,
// standard output and standard error.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), append([]string{"dbrelay"}, args...), &out, &errOut)
	return code, out.String(), errOut.String()
}

// latestPostgres is the newest migration this binary carries, so that
// tests need no change when a migration is added.
func latestPostgres(t *testing.T) uint {
	t.Helper()
	d, ok := dialect.Lookup("postgres")
	if !ok {
		t.Fatal("the postgres dialect is not registered")
	}
	v, err := latestVersion(d)
	if err != nil || v < 1 {
		t.Fatalf("latest migration: %d, %v", v, err)
	}
	return v
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("dbrelay %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// statusLine is the line of `migrate status` output about path.
func statusLine(t *testing.T, out, path string) string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, " "+path+" ") {
			return line
		}
	}
	t.Fatalf("migrate status does not list %s:\n%s", path, out)
	return ""
}

// openDB opens a pool on url, closed when t ends.
func openDB(t *testing.T, url string) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestMigrateStatusPushDown(t *testing.T) {
	url := pgtest.Empty(t)
	latest := latestPostgres(t)
	code, out, errOut := runCLI(t, "migrate", "status", "--database-url", url)
	if code != 3 || !strings.Contains(out, "not installed") || !strings.Contains(out, "missing") || !strings.Contains(errOut, "migrate up") {
		t.Fatalf("status before up: exit %d\n%s%s", code, out, errOut)
	}
	out = mustRun(t, "migrate", "up", "--database-url", url)
	if !strings.Contains(out, fmt.Sprintf("now at version %d", latest)) || !strings.Contains(out, "applied procedures/postgres/push.sql") {
		t.Fatalf("up:\n%s", out)
	}
	out = mustRun(t, "migrate", "status", "--database-url", url)
	if !strings.Contains(out, fmt.Sprintf("version %d (up to date)", latest)) || strings.Contains(out, "missing") || strings.Contains(out, "drifted") {
		t.Fatalf("status after up:\n%s", out)
	}

	db := openDB(t, url)
	if _, err := db.Exec(`INSERT INTO relay.channel (code, kind) VALUES ('inbox', 'internal');
		UPDATE relay.settings SET default_channel = 'inbox'`); err != nil {
		t.Fatal(err)
	}
	out = mustRun(t, "push", "--database-url", url, "--sender", "张经理", "--receivers", "alice;bob,alice", "--title", "请审批", "--context", "详情")
	ids := strings.Fields(out)
	if len(ids) != 2 {
		t.Fatalf("push printed %q, want two ids", out)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM relay_api.outbox WHERE id IN (` + strings.Join(ids, ",") + `) AND sender = '张经理'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("the printed ids are not the pushed messages (%d of 2 found)", n)
	}

	// Drift shows in status, per object, and status then exits 3: a view
	// replaced by hand (same columns, another filter) and a trigger
	// disabled by hand.
	if _, err := db.Exec(`CREATE OR REPLACE VIEW relay_api.pending AS
		SELECT m.id, m.key, m.receiver, m.channel, m.title, m.event, m.ref, m.status, m.attempts,
		       m.next_attempt_at, m.last_error, m.created_at
		FROM relay.message m WHERE m.status = 'pending'`); err != nil {
		t.Fatalf("replacing the view by hand: %v", err)
	}
	if _, err := db.Exec(`ALTER TABLE relay.message DISABLE TRIGGER message_outcome`); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runCLI(t, "migrate", "status", "--database-url", url)
	if code != 3 || !strings.Contains(errOut, "not up to date") {
		t.Fatalf("status after a hand edit: exit %d\n%s%s", code, out, errOut)
	}
	for _, path := range []string{"views/postgres/pending.sql", "triggers/postgres/message_outcome.sql"} {
		if line := statusLine(t, out, path); !strings.Contains(line, "drifted") {
			t.Errorf("%s after a hand edit: %q, want drifted", path, line)
		}
	}
	if line := statusLine(t, out, "views/postgres/outbox.sql"); !strings.Contains(line, "applied") || strings.Contains(line, "drifted") {
		t.Errorf("an untouched view: %q, want applied", line)
	}

	code, _, errOut = runCLI(t, "migrate", "down", "--database-url", url)
	if code != 2 || !strings.Contains(errOut, "--yes") {
		t.Fatalf("down without --yes: exit %d, %q", code, errOut)
	}
	mustRun(t, "migrate", "down", "--yes", "--database-url", url)
	code, out, _ = runCLI(t, "migrate", "status", "--database-url", url)
	if code != 3 || !strings.Contains(out, "not installed") {
		t.Fatalf("status after down: exit %d\n%s", code, out)
	}
}

func TestExportAndObjectsDir(t *testing.T) {
	url := pgtest.Migrated(t)
	dir := t.TempDir()
	out := mustRun(t, "migrate", "export", dir)
	if !strings.Contains(out, filepath.Join(dir, "procedures", "postgres", "push.sql")) {
		t.Fatalf("export:\n%s", out)
	}
	f := filepath.Join(dir, "procedures", "postgres", "on_outcome.sql")
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	edited := bytes.Replace(b, []byte("NULL;  -- default: nothing to do"), []byte("RAISE NOTICE 'outcome %', on_outcome.status;"), 1)
	if bytes.Equal(edited, b) {
		t.Fatal("the exported on_outcome.sql no longer has the default body this test edits")
	}
	if err := os.WriteFile(f, edited, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCLI(t, "migrate", "status", "--database-url", url, "--objects-dir", dir)
	if code != 3 || !strings.Contains(out, "changed on disk") {
		t.Fatalf("status with an edited copy: exit %d\n%s", code, out)
	}
	out = mustRun(t, "migrate", "up", "--database-url", url, "--objects-dir", dir)
	if !strings.Contains(out, "applied procedures/postgres/on_outcome.sql (changed in --objects-dir)") {
		t.Fatalf("up with an edited copy:\n%s", out)
	}
	var def string
	if err := openDB(t, url).QueryRow(`SELECT pg_get_functiondef('relay.on_outcome'::regproc)`).Scan(&def); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(def, "RAISE NOTICE 'outcome %'") {
		t.Fatalf("the edited body was not applied:\n%s", def)
	}
}

// Every failure is one line on stderr with the right exit code.
func TestErrors(t *testing.T) {
	newer := pgtest.Migrated(t)
	if _, err := openDB(t, newer).Exec(`UPDATE relay.schema_migrations SET version = 42`); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"frobnicate"}, 2, `no command "frobnicate"`},
		{[]string{"migrate", "up", "--bogus"}, 2, "bogus"},
		{[]string{"migrate", "up"}, 2, "DATABASE_URL"},
		{[]string{"push", "--database-url", newer, "--title", "t"}, 2, "--receivers"},
		{[]string{"migrate", "export"}, 2, "directory"},
		{[]string{"migrate", "up", "--database-url", "nosuch://x"}, 1, "postgres://user:password@host"},
		{[]string{"migrate", "up", "--database-url", "postgres://u:sekrit@127.0.0.1:1/x?sslmode=disable"}, 1, "is PostgreSQL running there"},
		{[]string{"migrate", "up", "--database-url", newer}, 1, "newer than this dbrelay binary"},
		{[]string{"push", "--database-url", newer, "--receivers", ",", "--title", "t"}, 1, "receivers is empty"},
	} {
		code, out, errOut := runCLI(t, c.args...)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("dbrelay %s: exit %d, stderr %q; want exit %d and %q", strings.Join(c.args, " "), code, errOut, c.code, c.want)
		}
		if strings.Count(strings.TrimSpace(errOut), "\n") != 0 || out != "" {
			t.Errorf("dbrelay %s: want one line on stderr and nothing on stdout, got %q / %q", strings.Join(c.args, " "), out, errOut)
		}
		if strings.Contains(errOut, "sekrit") {
			t.Errorf("a password reached the error: %q", errOut)
		}
	}
}

func TestVersion(t *testing.T) {
	out := mustRun(t, "version")
	if !strings.Contains(out, "dbrelay ") || !strings.Contains(out, fmt.Sprintf("postgres schema version %d", latestPostgres(t))) {
		t.Fatalf("version:\n%s", out)
	}
}

// Every command that takes --database-url takes --database-url-file (and
// DATABASE_URL_FILE): the URL stays out of the command line, which every
// user of the machine can read.
func TestDatabaseURLFile(t *testing.T) {
	url := pgtest.Migrated(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "url")
	if err := os.WriteFile(file, []byte("  "+url+"\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte(" \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"migrate", "status"}, {"migrate", "up"}, {"status"}, {"retry", "--dead"},
		{"push", "--receivers", "nobody", "--title", "t"}, // no channel: exit 1, but connected
	} {
		code, out, errOut := runCLI(t, append(args, "--database-url-file", file)...)
		if code == 2 || strings.Contains(errOut, "no database") || strings.Contains(errOut, "cannot reach") {
			t.Errorf("dbrelay %s --database-url-file: exit %d %s%s", strings.Join(args, " "), code, out, errOut)
		}
	}
	t.Setenv("DATABASE_URL_FILE", file)
	if out := mustRun(t, "migrate", "status"); !strings.Contains(out, "up to date") {
		t.Errorf("migrate status with DATABASE_URL_FILE:\n%s", out)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"status", "--database-url", url, "--database-url-file", file}, "keep one"},
		{[]string{"status", "--database-url-file", filepath.Join(dir, "nope")}, "--database-url-file"},
		{[]string{"status", "--database-url-file", empty}, "is empty"},
	} {
		if code, _, errOut := runCLI(t, c.args...); code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("dbrelay %s: exit %d %q, want exit 2 and %q", strings.Join(c.args, " "), code, errOut, c.want)
		}
	}
	t.Setenv("DATABASE_URL", url)
	if code, _, errOut := runCLI(t, "status"); code != 2 || !strings.Contains(errOut, "DATABASE_URL and DATABASE_URL_FILE") {
		t.Errorf("both DATABASE_URL and DATABASE_URL_FILE: exit %d %q", code, errOut)
	}
	// The command line wins over the environment.
	if out := mustRun(t, "migrate", "status", "--database-url-file", file); !strings.Contains(out, "up to date") {
		t.Errorf("--database-url-file beside DATABASE_URL(_FILE):\n%s", out)
	}
}

// No error shows a password, in any form the URL carries it: a keyword
// DSN, ?password=, or a URL that does not parse (whose parser quotes a
// piece of it).
func TestErrorsHidePasswords(t *testing.T) {
	for _, c := range []struct {
		url     string
		secrets []string
	}{
		{"host=127.0.0.1 port=1 user=u password=kw-sekrit dbname=x", []string{"kw-sekrit"}},
		{"postgres://u@127.0.0.1:1/x?password=q-sekrit&sslmode=bogus", []string{"q-sekrit"}},
		{"postgres://u@127.0.0.1:1/x?sslmode=disable&password=q2-sekrit", []string{"q2-sekrit"}},
		{"postgres://u:sek/ritpart@127.0.0.1:1/x", []string{"sek/", "ritpart"}},
		{"postgres://u:pw%zzsekrit@127.0.0.1:1/x", []string{"zzsekrit"}},
	} {
		file := filepath.Join(t.TempDir(), "url")
		if err := os.WriteFile(file, []byte(c.url), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"migrate", "up", "--database-url", c.url}, {"status", "--database-url-file", file}, {"listen", "--database-url", c.url}} {
			code, out, errOut := runCLI(t, args...)
			if code == 0 {
				t.Errorf("dbrelay %s: exit 0", strings.Join(args[:len(args)-1], " "))
			}
			for _, s := range c.secrets {
				if strings.Contains(out+errOut, s) {
					t.Errorf("dbrelay %s …: the output shows %q: %s", strings.Join(args[:len(args)-2], " "), s, errOut)
				}
			}
		}
	}
}

// listen's log lines hide the database URL's password, whole or in the
// pieces a driver's error may quote, in the message and every value.
func TestLogLinesHidePasswords(t *testing.T) {
	const url = "postgres://relay:s3cr/etpart@db.example:5432/app?sslpassword=k3y-pass"
	var buf bytes.Buffer
	app := &cli.App{Flags: logFlags(), Action: func(c *cli.Context) error {
		log, err := newLogger(c, &buf, dialect.NewRedactor(url).Redact)
		if err != nil {
			return err
		}
		log.Error("reconnecting to "+url, "err", errors.New(`parse "`+url+`": invalid port ":s3cr" after host`),
			"detail", `missing "=" after "etpart" in connection info string`, "dsn", "host=db password=kw-pass")
		return nil
	}}
	for _, format := range []string{"json", "text"} {
		buf.Reset()
		if err := app.Run([]string{"dbrelay", "--log-format", format}); err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"s3cr", "etpart", "k3y-pass", "kw-pass"} {
			if strings.Contains(buf.String(), s) {
				t.Errorf("%s log shows %q: %s", format, s, buf.String())
			}
		}
		if !strings.Contains(buf.String(), "db.example") {
			t.Errorf("%s log lost what is not secret: %s", format, buf.String())
		}
	}
}
