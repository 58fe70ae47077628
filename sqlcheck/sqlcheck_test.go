package sqlcheck

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	dbrelay "github.com/dbrelay/dbrelay"
	"github.com/dbrelay/dbrelay/dialect"
	_ "github.com/dbrelay/dbrelay/dialect/sqlserver" // registers the dialect schema.MigrationFiles needs
	"github.com/dbrelay/dbrelay/schema"
)

// The repository's own files pass every check. mutation_test.go shows that
// each check fails on a broken copy.

// repoRoot is the module root, from this package's directory.
const repoRoot = ".."

func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := fs.ReadDir(dbrelay.Files, dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		b, err := fs.ReadFile(dbrelay.Files, path.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[path.Join(dir, e.Name())] = string(b)
	}
	if len(files) == 0 {
		t.Fatalf("no .sql files in %s", dir)
	}
	return files
}

func report(t *testing.T, problems []string) {
	t.Helper()
	for _, p := range problems {
		t.Error(p)
	}
}

func TestSQLServerObjectFiles(t *testing.T) {
	for _, dir := range []string{"procedures/sqlserver", "views/sqlserver", "triggers/sqlserver"} {
		for name, text := range readTree(t, dir) {
			report(t, ObjectFileProblems(name, text))
		}
	}
}

func TestSQLServerMigrations(t *testing.T) {
	files := readTree(t, "sql/sqlserver")
	var names []string
	for name, text := range files {
		report(t, MigrationFileProblems(name, text))
		names = append(names, path.Base(name))
	}
	report(t, MigrationNameProblems(names))
	d, ok := dialect.Lookup("sqlserver")
	if !ok {
		t.Fatal("the sqlserver dialect is not registered")
	}
	parsed, err := schema.MigrationFiles(d)
	if err != nil {
		t.Fatal(err)
	}
	for name, ok := range parsed {
		if !ok {
			t.Errorf("sql/sqlserver/%s: golang-migrate would skip this file", name)
		}
	}
}

func TestNoVersionGatedTSQL(t *testing.T) {
	for _, dir := range []string{"sql/sqlserver", "procedures/sqlserver", "views/sqlserver", "triggers/sqlserver"} {
		for name, text := range readTree(t, dir) {
			report(t, GatedProblems(name, text))
		}
	}
	lits, err := GoStrings(repoRoot + "/dialect/sqlserver")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lits {
		report(t, GatedProblems(l.Pos, l.Value))
	}
}

func TestParity(t *testing.T) {
	report(t, ParityProblems(dbrelay.Files))
	// The exception is still needed: PostgreSQL has the file, SQL Server not.
	for key := range ParityExceptions {
		dir, name := path.Split(key)
		_, pgErr := fs.Stat(dbrelay.Files, path.Join(dir, "postgres", name))
		_, msErr := fs.Stat(dbrelay.Files, path.Join(dir, "sqlserver", name))
		if (pgErr == nil) == (msErr == nil) {
			t.Errorf("parity exception %s is stale: both trees have it or neither", key)
		}
	}
}

func TestDialectIdioms(t *testing.T) {
	ms, err := GoStrings(repoRoot + "/dialect/sqlserver")
	if err != nil {
		t.Fatal(err)
	}
	pg, err := GoStrings(repoRoot + "/dialect/postgres")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) < 10 || len(pg) < 10 {
		t.Fatalf("found %d SQL Server and %d PostgreSQL literals: the parse went wrong", len(ms), len(pg))
	}
	report(t, IdiomProblems(ms, PostgresIdioms))
	report(t, IdiomProblems(pg, SQLServerIdioms))
}

func TestNoMigrateDrop(t *testing.T) {
	calls, err := DropCalls(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range calls {
		t.Errorf("%s: golang-migrate's Drop drops every table in a SQL Server database (the host's too); 'migrate down' runs the down files instead", c)
	}
}

// Every function and procedure an object file creates is revoked from
// PUBLIC in that file, on both dialects.
func TestRoutinesRevokedFromPublic(t *testing.T) {
	for _, c := range []struct {
		dir  string
		lang Lang
	}{{"procedures/postgres", PostgreSQL}, {"triggers/postgres", PostgreSQL}, {"procedures/sqlserver", TSQL}, {"triggers/sqlserver", TSQL}} {
		for name, text := range readTree(t, c.dir) {
			report(t, RevokeProblems(name, text, c.lang))
		}
	}
}

// The roles scripts grant the host only push, enqueue, raise, mark_read and
// relay_api, the reader only relay_api, and public nothing.
func TestRolesScripts(t *testing.T) {
	for _, c := range []struct {
		file string
		lang Lang
	}{{"docs/postgres-roles.sql", PostgreSQL}, {"docs/sqlserver-roles.sql", TSQL}} {
		b, err := os.ReadFile(filepath.Join(repoRoot, c.file))
		if err != nil {
			t.Fatal(err)
		}
		grants := Grants(string(b), c.lang)
		if len(grants) < 6 {
			t.Fatalf("%s: found %d GRANTs; the parse went wrong", c.file, len(grants))
		}
		report(t, HostGrantProblems(c.file, grants, "relay_host", "relay_reader"))
		hostGrants := 0
		for _, g := range grants {
			for _, r := range g.Roles {
				if r == "relay_host" && g.Privileges == "EXECUTE" {
					hostGrants++
				}
			}
		}
		if hostGrants != 4 {
			t.Errorf("%s: relay_host has %d EXECUTE grants, want relay.push, relay.enqueue, relay.raise and relay.mark_read", c.file, hostGrants)
		}
	}
	md, err := os.ReadFile(filepath.Join(repoRoot, "docs/sqlserver.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "sqlserver-roles.sql") {
		t.Error("docs/sqlserver.md does not point to docs/sqlserver-roles.sql")
	}
}
