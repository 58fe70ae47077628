package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/dbrelay/dbrelay/dialect/postgres"
	"github.com/dbrelay/dbrelay/pgserver/pgtest"
	"github.com/dbrelay/dbrelay/schema"
)

// TestMain doubles as the dbrelay binary: with DBRELAY_TEST_AS_CLI=1 the
// test binary runs the command line instead of the tests, so tests can start
// real dbrelay processes (to kill them) without building anything.
func TestMain(m *testing.M) {
	if os.Getenv("DBRELAY_TEST_AS_CLI") == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
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

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("dbrelay %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

func TestMigrateStatusPushDown(t *testing.T) {
	url := pgtest.Empty(t)
	latest, err := schema.Latest(postgres.Dialect{})
	if err != nil {
		t.Fatal(err)
	}
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

	db, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
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
	db.QueryRow(`SELECT count(*) FROM relay_api.outbox WHERE id IN (` + strings.Join(ids, ",") + `) AND sender = '张经理'`).Scan(&n)
	if n != 2 {
		t.Fatalf("the printed ids are not the pushed messages (%d of 2 found)", n)
	}

	// Drift shows in status, which then exits 3.
	if _, err := db.Exec(`ALTER TABLE relay.message DISABLE TRIGGER message_outcome`); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runCLI(t, "migrate", "status", "--database-url", url)
	if code != 3 || !regexp.MustCompile(`triggers/postgres/message_outcome.sql +drifted`).MatchString(out) || !strings.Contains(errOut, "not up to date") {
		t.Fatalf("status after a hand edit: exit %d\n%s%s", code, out, errOut)
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
	b, _ := os.ReadFile(f)
	os.WriteFile(f, bytes.Replace(b, []byte("NULL;  -- default: nothing to do"), []byte("RAISE NOTICE 'outcome %', on_outcome.status;"), 1), 0o644)
	code, out, _ := runCLI(t, "migrate", "status", "--database-url", url, "--objects-dir", dir)
	if code != 3 || !strings.Contains(out, "changed on disk") {
		t.Fatalf("status with an edited copy: exit %d\n%s", code, out)
	}
	out = mustRun(t, "migrate", "up", "--database-url", url, "--objects-dir", dir)
	if !strings.Contains(out, "applied procedures/postgres/on_outcome.sql (changed in --objects-dir)") {
		t.Fatalf("up with an edited copy:\n%s", out)
	}
	db, _ := sql.Open("postgres", url)
	defer db.Close()
	var def string
	db.QueryRow(`SELECT pg_get_functiondef('relay.on_outcome'::regproc)`).Scan(&def)
	if !strings.Contains(def, "RAISE NOTICE 'outcome %'") {
		t.Fatalf("the edited body was not applied:\n%s", def)
	}
}

// Every failure is one line on stderr with the right exit code.
func TestErrors(t *testing.T) {
	newer := pgtest.Migrated(t)
	db, _ := sql.Open("postgres", newer)
	defer db.Close()
	if _, err := db.Exec(`UPDATE relay.schema_migrations SET version = 42`); err != nil {
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
	latest, err := schema.Latest(postgres.Dialect{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "dbrelay ") || !strings.Contains(out, fmt.Sprintf("postgres schema version %d", latest)) {
		t.Fatalf("version:\n%s", out)
	}
}
