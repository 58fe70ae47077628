package schema_test

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	dbrelay "github.com/dbrelay/dbrelay"
	"github.com/dbrelay/dbrelay/internal/schematest"
	"github.com/dbrelay/dbrelay/pgserver/pgtest"
	"github.com/dbrelay/dbrelay/schema"
)

var dialects = []string{"postgres", "sqlserver"}

// The marker in a file's header makes it an extension point; nothing else
// does (no list of names), and a marker after the header does not count.
func TestExtensionPointMarker(t *testing.T) {
	for _, d := range dialects {
		files, err := schema.LoadObjects(dbrelay.Files, d)
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]bool{}
		for _, f := range files {
			kinds[path.Base(f.Path)] = f.ExtensionPoint
			if f.ExtensionPoint != strings.Contains(f.Text, schema.ExtensionPointMarker) {
				t.Errorf("%s: extension point %v, but the marker is %v in the text", f.Path, f.ExtensionPoint, !f.ExtensionPoint)
			}
		}
		for name, want := range map[string]bool{"push.sql": true, "on_outcome.sql": true, "enqueue.sql": false, "run_hooks.sql": false, "outbox.sql": false, "message_outcome.sql": false} {
			if kinds[name] != want {
				t.Errorf("%s/%s: extension point %v, want %v", d, name, kinds[name], want)
			}
		}
	}
	tree := fstest.MapFS{
		"procedures/postgres/a.sql": {Data: []byte("-- a\n--\n" + schema.ExtensionPointMarker + " (yours)\nCREATE PROCEDURE relay.a() LANGUAGE sql AS $$ SELECT 1 $$;")},
		"procedures/postgres/b.sql": {Data: []byte("-- b\nCREATE PROCEDURE relay.b() LANGUAGE plpgsql AS $$\nBEGIN\n" + schema.ExtensionPointMarker + "\nEND $$;")},
		"views/postgres/.keep":      {},
		"triggers/postgres/.keep":   {},
	}
	files, err := schema.LoadObjects(tree, "postgres")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 || !files[0].ExtensionPoint || files[1].ExtensionPoint {
		t.Fatalf("marker in the header / after the CREATE: %v, %v", files[0].ExtensionPoint, files[1].ExtensionPoint)
	}
}

// A new extension point in a newer dbrelay is picked up from its marker:
// created when missing, then kept once customised.
func TestNewExtensionPointFromMarker(t *testing.T) {
	ctx := context.Background()
	c := open(t, pgtest.Migrated(t))
	const p = "procedures/postgres/on_test.sql"
	newer := schematest.Tree(t, map[string]string{p: "-- relay.on_test\n--\n" + schema.ExtensionPointMarker + "\nCREATE OR REPLACE PROCEDURE relay.on_test(note text)\nLANGUAGE plpgsql AS $$ BEGIN NULL; END $$;\n"})
	m := &schema.Migrator{Conn: c, Shipped: newer}
	if got := statusOf(t, m)[p]; !reflect.DeepEqual(got, []string{schema.Missing}) {
		t.Fatalf("a new extension point before up: %v", got)
	}
	if err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if got := statusOf(t, m)[p]; !reflect.DeepEqual(got, []string{schema.Default}) {
		t.Fatalf("a new extension point after up: %v", got)
	}
	if _, err := c.DB.Exec(`CREATE OR REPLACE PROCEDURE relay.on_test(note text) LANGUAGE plpgsql AS $$ BEGIN RAISE NOTICE 'mine'; END $$`); err != nil {
		t.Fatal(err)
	}
	if err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, c.DB, `SELECT count(*) FROM pg_proc WHERE proname = 'on_test' AND prosrc LIKE '%mine%'`); n != 1 {
		t.Fatal("up replaced the customised new extension point")
	}
	if _, o := objectOf(t, m, p); !o.ExtensionPoint || !reflect.DeepEqual(o.States, []string{schema.Customised}) {
		t.Fatalf("%s: extension point %v, %v", p, o.ExtensionPoint, o.States)
	}
}

var (
	seedPush = []string{"sender", "receivers", "title", "context"}
	// The seed's declarations, exactly (whitespace aside).
	seedPushDecl = map[string]*regexp.Regexp{
		"postgres":  regexp.MustCompile(`(?i)PROCEDURE\s+relay\.push\s*\(\s*sender\s+text\s*,\s*receivers\s+text\s*,\s*title\s+text\s*,\s*context\s+text\s*\)`),
		"sqlserver": regexp.MustCompile(`(?i)PROCEDURE\s+relay\.push\s+@Sender\s+nvarchar\(100\)\s*,\s*@Receivers\s+nvarchar\(2000\)\s*,\s*@Title\s+nvarchar\(100\)\s*,\s*@Context\s+nvarchar\(max\)\s+AS\b`),
	}
	touchesPush = regexp.MustCompile(`(?i)\b(create|alter|drop)\b[^;]*?\bproc(edure)?\s+(if\s+exists\s+)?(\[?relay\]?\s*\.\s*)?\[?push\]?\b`)
	commentRe   = regexp.MustCompile(`(?s)/\*.*?\*/|--[^\n]*`)
)

// pushSignatureProblems lists how a tree changes relay.push's signature:
// its object file's parameters are not the seed's, or a migration creates,
// alters or drops relay.push, or declares that it takes other parameters.
func pushSignatureProblems(fsys fs.FS, d string) []string {
	var problems []string
	p := "procedures/" + d + "/push.sql"
	b, err := fs.ReadFile(fsys, p)
	if err != nil {
		return []string{err.Error()}
	}
	if sigs := schema.Signatures(string(b))["relay.push"]; len(sigs) != 1 || !slices.Equal(sigs[0], seedPush) {
		problems = append(problems, fmt.Sprintf("%s: relay.push takes %v, not the seed's %v", p, sigs, seedPush))
	}
	if !seedPushDecl[d].MatchString(string(b)) {
		problems = append(problems, p+": relay.push's parameters are not declared exactly as the seed's")
	}
	entries, err := fs.ReadDir(fsys, "sql/"+d)
	if err != nil {
		return append(problems, err.Error())
	}
	for _, e := range entries {
		mp := "sql/" + d + "/" + e.Name()
		b, err := fs.ReadFile(fsys, mp)
		if err != nil {
			return append(problems, err.Error())
		}
		if m := touchesPush.FindString(commentRe.ReplaceAllString(string(b), " ")); m != "" {
			problems = append(problems, fmt.Sprintf("%s: %q changes relay.push: its signature is the seed's, and its body is the integrator's", mp, m))
		}
	}
	reqs, err := schema.Requirements(fsys, d, -1)
	if err != nil {
		return append(problems, err.Error())
	}
	for _, r := range reqs {
		if strings.EqualFold(r.Object, "relay.push") && !r.Default && !slices.Equal(r.Params, seedPush) {
			problems = append(problems, fmt.Sprintf("%s declares relay.push%v: its signature is the seed's", r.File, r.Params))
		}
	}
	return problems
}

// relay.push keeps exactly the seed's parameters on both databases: a test
// over the files, so that no object file or migration can change them.
func TestPushSignatureIsTheSeeds(t *testing.T) {
	for _, d := range dialects {
		for _, p := range pushSignatureProblems(dbrelay.Files, d) {
			t.Error(p)
		}
	}
	// The check itself catches each way of changing it.
	pushPG, _ := fs.ReadFile(dbrelay.Files, "procedures/postgres/push.sql")
	pushMS, _ := fs.ReadFile(dbrelay.Files, "procedures/sqlserver/push.sql")
	for name, c := range map[string]struct {
		d     string
		files map[string]string
	}{
		"a fifth parameter": {"postgres", map[string]string{"procedures/postgres/push.sql": strings.Replace(string(pushPG), "context   text\n", "context   text,\n    priority  integer DEFAULT 0\n", 1)}},
		"a wider title":     {"sqlserver", map[string]string{"procedures/sqlserver/push.sql": strings.Replace(string(pushMS), "@Title nvarchar(100)", "@Title nvarchar(400)", 1)}},
		"a migration":       {"sqlserver", map[string]string{"sql/sqlserver/000099_x.up.sql": "SET XACT_ABORT ON;\nDROP PROCEDURE IF EXISTS [relay].[push];\n"}},
		"a requirement":     {"postgres", map[string]string{"sql/postgres/000099_x.up.sql": "-- dbrelay:requires relay.push(sender, receivers, title, context, priority): add priority\n"}},
	} {
		if len(pushSignatureProblems(schematest.Tree(t, c.files), c.d)) == 0 {
			t.Errorf("%s: the signature check did not notice", name)
		}
	}
}

// Every requirement a shipped migration declares names an extension point
// whose shipped default meets it (so that --reset always gets through).
func TestShippedDefaultsMeetRequirements(t *testing.T) {
	for _, d := range dialects {
		reqs, err := schema.Requirements(dbrelay.Files, d, -1)
		if err != nil {
			t.Fatal(err)
		}
		files, err := schema.LoadObjects(dbrelay.Files, d)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range reqs {
			i := slices.IndexFunc(files, func(f schema.ObjectFile) bool { return f.Defines(r.Object) })
			switch {
			case i < 0 || !files[i].ExtensionPoint:
				t.Errorf("%s requires %s, which is no extension point", r.File, r.Object)
			case !r.Default && !slices.ContainsFunc(schema.Signatures(files[i].Text)[strings.ToLower(r.Object)], func(p []string) bool { return slices.Equal(p, r.Params) }):
				t.Errorf("%s requires %s%v, which its shipped default %s does not take", r.File, r.Object, r.Params, files[i].Path)
			}
		}
	}
}

func TestRequirements(t *testing.T) {
	tree := fstest.MapFS{
		"sql/postgres/000002_a.up.sql":   {Data: []byte("-- dbrelay:requires relay.on_outcome(message_id, Status, @ref): add ref\nSELECT 1;\n")},
		"sql/postgres/000002_a.down.sql": {Data: []byte("-- dbrelay:requires relay.push default: ignored, a down file\n")},
		"sql/postgres/000003_b.up.sql":   {Data: []byte("  --  dbrelay:requires relay.push default: take the new default\n")},
		"sql/postgres/000001_c.up.sql":   {Data: []byte("-- dbrelay:requires relay.old(): older than the database\n")},
	}
	reqs, err := schema.Requirements(tree, "postgres", 1)
	if err != nil {
		t.Fatal(err)
	}
	want := []schema.Requirement{
		{Version: 2, File: "sql/postgres/000002_a.up.sql", Object: "relay.on_outcome", Params: []string{"message_id", "status", "ref"}, Change: "add ref"},
		{Version: 3, File: "sql/postgres/000003_b.up.sql", Object: "relay.push", Default: true, Change: "take the new default"},
	}
	if !reflect.DeepEqual(reqs, want) {
		t.Fatalf("Requirements:\n got %+v\nwant %+v", reqs, want)
	}
}

func TestSignatures(t *testing.T) {
	for text, want := range map[string]map[string][][]string{
		// An object file, with modes, defaults holding parentheses, comments.
		`CREATE OR REPLACE PROCEDURE relay.run(
    max_runs integer, -- a (comment)
    base numeric(10, 2) DEFAULT round(1.5),
    INOUT ran integer DEFAULT 0
) LANGUAGE plpgsql AS $$ BEGIN END $$;`: {"relay.run": {{"max_runs", "base", "ran"}}},
		// pg_get_functiondef's text, two overloads.
		"CREATE OR REPLACE PROCEDURE relay.on_outcome(message_id bigint, note text DEFAULT NULL::text)\n LANGUAGE plpgsql\nAS $procedure$ BEGIN NULL; END $procedure$;\n" +
			"CREATE OR REPLACE PROCEDURE relay.on_outcome(message_id bigint)\n LANGUAGE plpgsql\nAS $procedure$ BEGIN NULL; END $procedure$;": {"relay.on_outcome": {{"message_id", "note"}, {"message_id"}}},
		// T-SQL without and with parentheses, a function, no parameters.
		"CREATE OR ALTER PROCEDURE [relay].[Push]\n    @Sender nvarchar(100),\n    @Id bigint = NULL OUTPUT\nAS\nBEGIN RETURN; END;": {"relay.push": {{"sender", "id"}}},
		"ALTER PROC relay.p (@a int, @b nvarchar(max)) WITH EXECUTE AS OWNER AS SELECT 1":                                            {"relay.p": {{"a", "b"}}},
		"CREATE FUNCTION relay.f (@a int) RETURNS int AS BEGIN RETURN @a; END":                                                       {"relay.f": {{"a"}}},
		"CREATE PROCEDURE relay.none AS SELECT 1":                                                                                    {"relay.none": {{}}},
		"CREATE VIEW relay_api.v AS SELECT 1 AS a":                                                                                   {},
	} {
		if got := schema.Signatures(text); !reflect.DeepEqual(got, want) {
			t.Errorf("Signatures(%q):\n got %v\nwant %v", text, got, want)
		}
	}
}

// A migration that fails changes nothing, and the version stays as it was,
// clean: its file ran in one transaction.
func TestFailedMigrationKeepsVersion(t *testing.T) {
	c := open(t, pgtest.Migrated(t))
	before := count(t, c.DB, `SELECT version FROM relay.schema_migrations`)
	newer := schematest.Tree(t, map[string]string{
		"sql/postgres/000099_broken.up.sql":   "CREATE TABLE relay.half_done (id int);\nSELECT 1/0;\n",
		"sql/postgres/000099_broken.down.sql": "DROP TABLE relay.half_done;\n",
	})
	err := (&schema.Migrator{Conn: c, Shipped: newer}).Up(context.Background())
	if err == nil || !strings.Contains(err.Error(), "migration 99 failed and changed nothing") ||
		!strings.Contains(err.Error(), fmt.Sprintf("still at version %d", before)) || !strings.Contains(err.Error(), "division by zero") {
		t.Fatalf("up with a failing migration = %v", err)
	}
	if v, dirty := count(t, c.DB, `SELECT version FROM relay.schema_migrations`), count(t, c.DB, `SELECT dirty::int FROM relay.schema_migrations`); v != before || dirty != 0 {
		t.Fatalf("version %d dirty %d after the failed migration, want %d clean", v, dirty, before)
	}
	if n := count(t, c.DB, `SELECT count(*) FROM pg_class WHERE relname = 'half_done'`); n != 0 {
		t.Fatal("the failed migration left a table behind")
	}
	if err := schema.Check(context.Background(), c); err != nil {
		t.Fatalf("a listener of this binary would refuse the database: %v", err)
	}
}

// Rows an earlier dbrelay wrote before migration 4 do not say which shipped
// file they were based on. migrate up records as installed from this
// dbrelay's files those whose objects are exactly what the files make
// (older files that differed only in comments), without replacing or
// warning about anything, and keeps as customised an extension point
// edited by hand.
func TestRowsFromAnEarlierDbrelay(t *testing.T) {
	ctx := context.Background()
	c := open(t, pgtest.Migrated(t))
	for _, q := range []string{
		`CREATE OR REPLACE PROCEDURE relay.push(sender text, receivers text, title text, context text) LANGUAGE plpgsql AS $$ BEGIN RAISE NOTICE 'mine'; END $$`,
		`UPDATE relay.schema_object SET shipped_sha256 = NULL`,
		`UPDATE relay.schema_object SET file_sha256 = 'an older file' WHERE path IN ('procedures/postgres/on_outcome.sql', 'procedures/postgres/enqueue.sql', 'procedures/postgres/push.sql')`,
	} {
		if _, err := c.DB.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var warned []string
	m := &schema.Migrator{Conn: c, Warnf: func(f string, a ...any) { warned = append(warned, fmt.Sprintf(f, a...)) }}
	before := statusOf(t, m)
	if got := before["procedures/postgres/on_outcome.sql"]; !reflect.DeepEqual(got, []string{schema.CustomisedDefaultChanged}) {
		t.Fatalf("on_outcome.sql recorded by an earlier dbrelay, before up: %v", got)
	}
	if err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if len(warned) != 0 {
		t.Fatalf("up warned: %q", warned)
	}
	for path, want := range map[string]string{
		"procedures/postgres/on_outcome.sql": schema.Default,
		"procedures/postgres/enqueue.sql":    schema.Applied,
		"procedures/postgres/push.sql":       schema.CustomisedDefaultChanged,
		"views/postgres/outbox.sql":          schema.Applied,
	} {
		if got := statusOf(t, m)[path]; !reflect.DeepEqual(got, []string{want}) {
			t.Errorf("%s after up: %v, want %s", path, got, want)
		}
	}
	if n := count(t, c.DB, `SELECT count(*) FROM pg_proc WHERE proname = 'push' AND prosrc LIKE '%mine%'`); n != 1 {
		t.Fatal("up replaced the hand-edited relay.push")
	}
	if n := count(t, c.DB, `SELECT count(*) FROM relay.schema_object_history`); n != 0 {
		t.Fatalf("up replaced %d definitions", n)
	}
}
