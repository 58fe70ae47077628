package sqlcheck

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	dbrelay "github.com/dbrelay/dbrelay"
)

// Each static check fails on a deliberately broken copy of a real file: a
// check that cannot fail proves nothing. Every case names the text the
// problem must contain.

func realFile(t *testing.T, p string) string {
	t.Helper()
	b, err := fs.ReadFile(dbrelay.Files, p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// mutate replaces old with new in text, failing if old is not there (the
// real file changed and the mutation no longer applies).
func mutate(t *testing.T, text, old, new string) string {
	t.Helper()
	if !strings.Contains(text, old) {
		t.Fatalf("mutation target %q not found", old)
	}
	return strings.Replace(text, old, new, 1)
}

func expect(t *testing.T, problems []string, want string) {
	t.Helper()
	for _, p := range problems {
		if strings.Contains(p, want) {
			return
		}
	}
	t.Errorf("no problem mentions %q; got %q", want, problems)
}

func TestObjectFileChecksCatch(t *testing.T) {
	push := realFile(t, "procedures/sqlserver/push.sql")
	header := "SET ANSI_NULLS ON;\nSET QUOTED_IDENTIFIER ON;\nGO\n"
	for _, c := range []struct {
		name, text, want string
	}{
		{"no SET header", mutate(t, push, header, ""), "must start with SET ANSI_NULLS ON"},
		{"SET header without GO", mutate(t, push, header, "SET ANSI_NULLS ON;\nSET QUOTED_IDENTIFIER ON;\n"), "is not the first statement of its batch"},
		{"QUOTED_IDENTIFIER OFF", mutate(t, push, "SET QUOTED_IDENTIFIER ON;", "SET QUOTED_IDENTIFIER OFF;"), "must start with SET ANSI_NULLS ON"},
		{"plain CREATE", mutate(t, push, "CREATE OR ALTER PROCEDURE", "CREATE PROCEDURE"), "must be CREATE OR ALTER"},
		{"two objects in one batch", mutate(t, push, "END;\nGO\n", "END;\nCREATE OR ALTER VIEW relay_api.x AS SELECT 1 AS one;\nGO\n"), "2 CREATE PROCEDURE/VIEW/TRIGGER/FUNCTION"},
		{"two objects in two batches", push + "CREATE OR ALTER VIEW relay_api.x AS SELECT 1 AS one;\nGO\n", "defines 2 objects"},
		{"no object", header + "SELECT 1;\nGO\n", "defines 0 objects"},
		{"GO with a count", mutate(t, push, "END;\nGO\n", "END;\nGO 2\n"), "repeat count"},
		{"non-ASCII", mutate(t, push, "-- relay.push(", "-- \u738b relay.push("), "ASCII"},
	} {
		t.Run(c.name, func(t *testing.T) { expect(t, ObjectFileProblems(c.name, c.text), c.want) })
	}
	// And no false alarm: a CREATE in a comment or a string is no object.
	quiet := mutate(t, push, "-- relay.push(", "-- CREATE PROCEDURE dbo.old (see N'CREATE VIEW x')\n-- relay.push(")
	if p := ObjectFileProblems("comment", quiet); len(p) != 0 {
		t.Errorf("a CREATE in a comment counted: %q", p)
	}
}

func TestMigrationChecksCatch(t *testing.T) {
	up := realFile(t, "sql/sqlserver/000001_init.up.sql")
	down := realFile(t, "sql/sqlserver/000001_init.down.sql")
	for _, c := range []struct {
		name, text, want string
	}{
		{"GO line", mutate(t, up, "COMMIT TRANSACTION;", "GO\nCOMMIT TRANSACTION;"), "a GO line"},
		{"bare CREATE SCHEMA", mutate(t, up, "EXEC sp_executesql N'CREATE SCHEMA relay_api';", "CREATE SCHEMA relay_api;"), "CREATE SCHEMA must be alone"},
		{"CREATE SCHEMA in another string", mutate(t, up, "BEGIN TRANSACTION;", "BEGIN TRANSACTION;\nDECLARE @s nvarchar(100) = N'CREATE SCHEMA x';"), "not sp_executesql's statement"},
		{"no BEGIN TRANSACTION", mutate(t, up, "BEGIN TRANSACTION;", ""), "SET XACT_ABORT ON; BEGIN TRANSACTION"},
		{"no XACT_ABORT", mutate(t, up, "SET XACT_ABORT ON;", ""), "SET XACT_ABORT ON; BEGIN TRANSACTION"},
		{"no COMMIT", mutate(t, up, "COMMIT TRANSACTION;", ""), "end with COMMIT"},
		{"down without COMMIT", mutate(t, down, "COMMIT TRANSACTION;", "-- COMMIT TRANSACTION;"), "end with COMMIT"},
		{"filtered index", mutate(t, up, "ON relay.message (ref);", "ON relay.message (ref) WHERE ref IS NOT NULL;"), "filtered index"},
		{"filtered unique index", mutate(t, up, "CREATE NONCLUSTERED INDEX message_ref ON relay.message (ref);", "CREATE UNIQUE INDEX message_ref ON relay.message (ref)\n    WHERE ref IS NOT NULL;"), "filtered index"},
	} {
		t.Run(c.name, func(t *testing.T) { expect(t, MigrationFileProblems(c.name, c.text), c.want) })
	}
	// No false alarm on WHERE in the down file's catalog queries.
	if p := MigrationFileProblems("down", down); len(p) != 0 {
		t.Errorf("the real down file: %q", p)
	}

	names := MigrationNameProblems([]string{"000001_init.up.sql", "000001_init.down.sql", "000002_more.up.sql", "3_oops.up.sq", "init.sql"})
	expect(t, names, "3_oops.up.sq: golang-migrate does not recognise")
	expect(t, names, "init.sql: golang-migrate does not recognise")
	expect(t, names, "version 2 has an up file and no down file")
}

func TestGatedCheckCatches(t *testing.T) {
	text := `SELECT TRIM(a), LTRIM(RTRIM(b)), STRING_AGG(c, ','), GREATEST (1, 2), CONCAT_WS(',', a),
TRANSLATE(a, 'x', 'y'), LEAST(1, 2) FROM STRING_SPLIT(N'a,b', ',', 1) CROSS JOIN GENERATE_SERIES(1, 3)
WHERE a IS DISTINCT FROM b AND c IS NOT DISTINCT FROM d; SELECT JSON_OBJECT('a': 1);
-- TRIM( in a comment is fine
/* so is STRING_AGG( here */`
	problems := GatedProblems("gated.sql", text)
	for _, want := range []string{"TRIM is newer", "STRING_AGG is newer", "GREATEST is newer", "CONCAT_WS", "TRANSLATE", "LEAST", "STRING_SPLIT", "GENERATE_SERIES", "IS DISTINCT FROM", "IS NOT DISTINCT FROM", "JSON_OBJECT"} {
		expect(t, problems, want)
	}
	if len(problems) != 11 {
		t.Errorf("%d problems, want 11 (LTRIM, RTRIM and the comments are fine): %q", len(problems), problems)
	}
	// In a real file.
	push := realFile(t, "procedures/sqlserver/push.sql")
	expect(t, GatedProblems("push.sql", mutate(t, push, "SET @list = REPLACE(", "SET @list = TRIM(")), "push.sql: line")
}

// parityTree is a copy of the embedded object trees, with changes: a nil
// value deletes the file.
func parityTree(t *testing.T, changes map[string]*string) fs.FS {
	t.Helper()
	m := fstest.MapFS{}
	for _, dir := range ParityDirs {
		for _, d := range []string{"postgres", "sqlserver"} {
			for name, text := range readTree(t, dir+"/"+d) {
				m[name] = &fstest.MapFile{Data: []byte(text)}
			}
		}
	}
	for p, text := range changes {
		if text == nil {
			delete(m, p)
			continue
		}
		m[p] = &fstest.MapFile{Data: []byte(*text)}
	}
	return m
}

func ptr(s string) *string { return &s }

func TestParityCatches(t *testing.T) {
	if p := ParityProblems(parityTree(t, nil)); len(p) != 0 {
		t.Fatalf("the unchanged copy: %q", p)
	}
	push := realFile(t, "procedures/sqlserver/push.sql")
	enqueue := realFile(t, "procedures/sqlserver/enqueue.sql")
	pgEnqueue := realFile(t, "procedures/postgres/enqueue.sql")
	outbox := realFile(t, "views/sqlserver/outbox.sql")
	pgOutbox := realFile(t, "views/postgres/outbox.sql")
	for _, c := range []struct {
		name    string
		changes map[string]*string
		want    string
	}{
		{"missing SQL Server view", map[string]*string{"views/sqlserver/outbox.sql": nil}, "views/postgres/outbox.sql has no SQL Server counterpart"},
		{"missing SQL Server trigger", map[string]*string{"triggers/sqlserver/message_validate.sql": nil}, "message_validate.sql has no SQL Server counterpart"},
		{"extra SQL Server procedure", map[string]*string{"procedures/sqlserver/extra.sql": ptr(push)}, "procedures/sqlserver/extra.sql has no PostgreSQL counterpart"},
		{"renamed parameter", map[string]*string{"procedures/sqlserver/push.sql": ptr(mutate(t, push, "@Title nvarchar(100),", "@Subject nvarchar(100),"))}, "parameters differ"},
		{"reordered parameters", map[string]*string{"procedures/sqlserver/enqueue.sql": ptr(mutate(t, enqueue, "@Ref nvarchar(200) = NULL,\n    @Address nvarchar(400) = NULL,", "@Address nvarchar(400) = NULL,\n    @Ref nvarchar(200) = NULL,"))}, "parameters differ"},
		{"OUTPUT id not OUTPUT", map[string]*string{"procedures/sqlserver/enqueue.sql": ptr(mutate(t, enqueue, "@Id bigint = NULL OUTPUT", "@Id bigint = NULL"))}, "parameters differ"},
		{"PostgreSQL function returning void", map[string]*string{"procedures/postgres/enqueue.sql": ptr(mutate(t, pgEnqueue, ") RETURNS bigint", ") RETURNS void"))}, "parameters differ"},
		{"other procedure name", map[string]*string{"procedures/sqlserver/push.sql": ptr(mutate(t, push, "PROCEDURE relay.push", "PROCEDURE relay.push2"))}, "SQL Server relay.push2"},
		{"swapped view columns", map[string]*string{"views/sqlserver/outbox.sql": ptr(mutate(t, outbox, "    m.sender,\n    m.receiver,", "    m.receiver,\n    m.sender,"))}, "view columns differ"},
		{"dropped view column", map[string]*string{"views/postgres/outbox.sql": ptr(mutate(t, pgOutbox, "       m.ref,\n", ""))}, "view columns differ"},
		{"renamed view column", map[string]*string{"views/sqlserver/outbox.sql": ptr(mutate(t, outbox, "m.event,", "m.event AS event_name,"))}, "view columns differ"},
		{"unnamed view expression", map[string]*string{"views/sqlserver/outbox.sql": ptr(mutate(t, outbox, "m.attempts,", "m.attempts + 0,"))}, "has no explicit column name"},
	} {
		t.Run(c.name, func(t *testing.T) { expect(t, ParityProblems(parityTree(t, c.changes)), c.want) })
	}
}

func writeGo(t *testing.T, dir, name, src string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestIdiomCheckCatches(t *testing.T) {
	dir := t.TempDir()
	writeGo(t, dir, "queries.go", "package x\n\nconst (\n\tclaim = `UPDATE relay.message SET a = now() WHERE id = $1 RETURNING id::text`\n\tfind = \"SELECT 1 FROM t WHERE a ILIKE 'x' FOR UPDATE SKIP LOCKED\"\n)\n")
	writeGo(t, dir, "queries_test.go", "package x\n\nconst inTest = `now() RETURNING`\n")
	lits, err := GoStrings(dir)
	if err != nil {
		t.Fatal(err)
	}
	problems := IdiomProblems(lits, PostgresIdioms)
	for _, want := range []string{"now()", "RETURNING", "::", "ILIKE", "SKIP LOCKED", "$1"} {
		expect(t, problems, "queries.go:")
		expect(t, problems, ": "+want+" in")
	}
	if len(problems) != 6 {
		t.Errorf("%d problems, want 6 (test files are not read): %q", len(problems), problems)
	}

	pgDir := t.TempDir()
	writeGo(t, pgDir, "queries.go", "package x\n\nconst q = `SELECT TOP (1) GETDATE(), SYSUTCDATETIME(), CONVERT(nvarchar(10), a) FROM t WHERE id = @p1`\n")
	lits, err = GoStrings(pgDir)
	if err != nil {
		t.Fatal(err)
	}
	problems = IdiomProblems(lits, SQLServerIdioms)
	for _, want := range []string{"GETDATE", "SYSUTCDATETIME", "TOP (", "NVARCHAR", "@p"} {
		expect(t, problems, ": "+want+" in")
	}
}

func TestDropCheckCatches(t *testing.T) {
	dir := t.TempDir()
	writeGo(t, dir, "down.go", `package x

import "github.com/golang-migrate/migrate/v4/database"

func down(d database.Driver, other interface{ Drop(string) error }) error {
	other.Drop("not a driver's Drop: it takes an argument")
	return d.Drop()
}
`)
	sub := filepath.Join(dir, "cmd")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	writeGo(t, sub, "reset_test.go", "package x\n\nfunc reset(m interface{ Drop() error }) { _ = m.Drop() }\n")
	calls, err := DropCalls(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 2 {
		t.Fatalf("calls = %q, want d.Drop() and m.Drop()", calls)
	}
	expect(t, calls, "down.go:7: d.Drop()")
	expect(t, calls, "reset_test.go:3: m.Drop()")
}

func TestRevokeAndGrantChecksCatch(t *testing.T) {
	enqueue := realFile(t, "procedures/sqlserver/enqueue.sql")
	expect(t, RevokeProblems("enqueue.sql", mutate(t, enqueue, "REVOKE EXECUTE ON OBJECT::relay.enqueue FROM public", "SELECT 1"), TSQL),
		"relay.enqueue is not revoked from PUBLIC")
	push := realFile(t, "procedures/postgres/push.sql")
	expect(t, RevokeProblems("push.sql", mutate(t, push, "REVOKE ALL ON PROCEDURE relay.push", "-- REVOKE ALL ON PROCEDURE relay.push"), PostgreSQL),
		"relay.push is not revoked from PUBLIC")
	for _, c := range []struct{ script, want string }{
		{"GRANT SELECT ON OBJECT::relay.channel TO relay_host;", "ON relay.channel TO relay_host"},
		{"GRANT SELECT ON relay.channel, relay.recipient TO relay_host, relay_listener;", "TO relay_host"},
		{"GRANT INSERT ON OBJECT::relay.message TO relay_host;", "INSERT ON relay.message"},
		{"GRANT EXECUTE ON OBJECT::relay.on_outcome TO relay_reader;", "TO relay_reader"},
		{"GRANT EXECUTE ON OBJECT::relay.push TO public;", "never public"},
	} {
		expect(t, HostGrantProblems("roles.sql", Grants(c.script, TSQL), "relay_host", "relay_reader"), c.want)
	}
}
