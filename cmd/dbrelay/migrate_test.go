package main

import (
	"database/sql"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	dbrelay "github.com/dbrelay/dbrelay"
	"github.com/dbrelay/dbrelay/pgserver/pgtest"
)

// suggested finds the commands an error tells the user to run.
var suggested = regexp.MustCompile(`'dbrelay ([^']+)'`)

func version(t *testing.T, db *sql.DB) (int, bool, bool) {
	t.Helper()
	var v int
	var dirty, exists bool
	if err := db.QueryRow(`SELECT to_regclass('relay.schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if !exists {
		return 0, false, false
	}
	err := db.QueryRow(`SELECT version, dirty FROM relay.schema_migrations`).Scan(&v, &dirty)
	if err == sql.ErrNoRows {
		return 0, false, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return v, dirty, true
}

func mustExec(t *testing.T, db *sql.DB, q string) {
	t.Helper()
	if _, err := db.Exec(q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// A down refused because a host view depends on relay_api.outbox leaves
// the version as it was (not "-1 dirty"), and says what to do.
func TestRefusedDownLeavesVersion(t *testing.T) {
	url := pgtest.Migrated(t)
	db := openDB(t, url)
	before, _, _ := version(t, db)
	mustExec(t, db, `CREATE VIEW public.host_outbox AS SELECT id, status FROM relay_api.outbox`)
	code, out, errOut := runCLI(t, "migrate", "down", "--yes", "--database-url", url)
	if code != 1 || out != "" || !strings.Contains(errOut, "host_outbox") || !strings.Contains(errOut, "nothing was removed") ||
		strings.Contains(errOut, "Use DROP ... CASCADE") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Fatalf("refused down: exit %d\n%s%s", code, out, errOut)
	}
	if v, dirty, ok := version(t, db); !ok || dirty || v != before {
		t.Fatalf("after a refused down: version %d, dirty %v, installed %v; want %d clean", v, dirty, ok, before)
	}
	mustRun(t, "migrate", "status", "--database-url", url) // exit 0: up to date
	// Once the host's view is gone, down goes through.
	mustExec(t, db, `DROP VIEW public.host_outbox`)
	mustRun(t, "migrate", "down", "--yes", "--database-url", url)
	if _, _, ok := version(t, db); ok {
		t.Fatal("down left a version behind")
	}
}

// downTo runs the down files of every version above v, newest first, by
// hand: the state an older dbrelay's non-atomic down left behind when the
// down file of version v was then refused.
func downTo(t *testing.T, db *sql.DB, v int) {
	t.Helper()
	entries, err := fs.ReadDir(dbrelay.Files, "sql/postgres")
	if err != nil {
		t.Fatal(err)
	}
	var downs []string
	for _, e := range entries {
		var n int
		if _, err := fmt.Sscanf(e.Name(), "%d_", &n); err == nil && n > v && strings.HasSuffix(e.Name(), ".down.sql") {
			downs = append(downs, e.Name())
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(downs)))
	for _, name := range downs {
		b, err := fs.ReadFile(dbrelay.Files, "sql/postgres/"+name)
		if err != nil {
			t.Fatal(err)
		}
		mustExec(t, db, string(b))
	}
}

// pasteFixes checks that up on a dirty database suggests commands, that
// each of them runs as printed, and returns them.
func pasteFixes(t *testing.T, db *sql.DB, dirtyAt int) []string {
	t.Helper()
	setDirty := `UPDATE relay.schema_migrations SET version = ` + strconv.Itoa(dirtyAt) + `, dirty = true`
	mustExec(t, db, setDirty)
	code, _, errOut := runCLI(t, "migrate", "up")
	var cmds []string
	for _, m := range suggested.FindAllStringSubmatch(errOut, -1) {
		cmds = append(cmds, m[1])
	}
	if code != 1 || len(cmds) < 2 || strings.Contains(errOut, "18446744073709551615") || strings.Contains(errOut, "force -2") {
		t.Fatalf("up on a database dirty at %d: exit %d, %s", dirtyAt, code, errOut)
	}
	for _, c := range cmds {
		args := strings.Fields(c)
		if args[0] != "migrate" || args[1] != "force" && args[1] != "up" {
			t.Fatalf("dirty at %d: unexpected suggestion 'dbrelay %s'", dirtyAt, c)
		}
		if args[1] != "force" {
			continue
		}
		mustExec(t, db, setDirty)
		mustRun(t, args...)
		v, dirty, ok := version(t, db)
		if dirty || (args[2] == "-1") == ok || ok && strconv.Itoa(v) != args[2] {
			t.Fatalf("'dbrelay %s' recorded version %d dirty %v installed %v", c, v, dirty, ok)
		}
	}
	mustExec(t, db, setDirty)
	return cmds
}

// Every command a dirty version's error suggests works when pasted (with
// DATABASE_URL set, as the README says), and following the one that fits
// the database leads back to a working one.
func TestDirtyVersionCommandsWorkAsPrinted(t *testing.T) {
	url := pgtest.Migrated(t)
	t.Setenv("DATABASE_URL", url)
	db := openDB(t, url)
	latest, _, _ := version(t, db)

	// An older dbrelay's refused down: every down file but the first ran,
	// then the first failed and left "-1 dirty"; the tables of version 1
	// are there, so the first suggestion fits.
	downTo(t, db, 1)
	cmds := pasteFixes(t, db, -1)
	if cmds[0] != "migrate force 1" || cmds[1] != "migrate force -1" {
		t.Fatalf("dirty at -1 suggests %q", cmds)
	}
	mustRun(t, strings.Fields(cmds[0])...)
	mustRun(t, "migrate", "up")
	mustRun(t, "migrate", "status")

	// The latest migration failed half-way by another tool, its changes
	// rolled back: the second suggestion (the previous version) fits.
	downTo(t, db, latest-1)
	cmds = pasteFixes(t, db, latest)
	if cmds[0] != "migrate force "+strconv.Itoa(latest) {
		t.Fatalf("dirty at %d suggests %q", latest, cmds)
	}
	mustRun(t, strings.Fields(cmds[1])...)
	mustRun(t, "migrate", "up")
	mustRun(t, "migrate", "status")
}

// force takes -1 (and none) as printed, and refuses other negatives
// clearly.
func TestForceNoVersion(t *testing.T) {
	url := pgtest.Migrated(t)
	db := openDB(t, url)
	for _, args := range [][]string{{"-1"}, {"none"}, {"--", "-1"}} {
		mustExec(t, db, `UPDATE relay.schema_migrations SET version = 1, dirty = true`)
		out := mustRun(t, append([]string{"migrate", "force", "--database-url", url}, args...)...)
		if _, _, ok := version(t, db); ok || !strings.Contains(out, "recorded no version") {
			t.Fatalf("force %v: still a version, or %q", args, out)
		}
	}
	code, _, errOut := runCLI(t, "migrate", "force", "--database-url", url, "-2")
	if code != 2 || !strings.Contains(errOut, "-1 (or none)") {
		t.Fatalf("force -2: exit %d, %q", code, errOut)
	}
}

// diff shows a customised extension point beside the shipped default.
func TestMigrateDiff(t *testing.T) {
	url := pgtest.Migrated(t)
	db := openDB(t, url)
	mustExec(t, db, `CREATE OR REPLACE PROCEDURE relay.on_outcome(message_id bigint, status text, channel text, receiver text, event text, ref text)
		LANGUAGE plpgsql AS $$ BEGIN RAISE NOTICE 'mine'; END $$`)
	for _, args := range [][]string{{"relay.on_outcome"}, {}} {
		out := mustRun(t, append([]string{"migrate", "diff", "--database-url", url}, args...)...)
		for _, want := range []string{"--- relay.on_outcome (database: customised)", "+++ relay.on_outcome (shipped default", "-AS $procedure$ BEGIN RAISE NOTICE 'mine'; END $procedure$;", "+    NULL;  -- default: nothing to do"} {
			if !strings.Contains(out, want) {
				t.Errorf("migrate diff %v lacks %q:\n%s", args, want, out)
			}
		}
	}
	if out := mustRun(t, "migrate", "diff", "--database-url", url, "relay.push"); !strings.Contains(out, "relay.push (default): the database holds this dbrelay's default") {
		t.Errorf("diff of an untouched push:\n%s", out)
	}
	if code, _, errOut := runCLI(t, "migrate", "diff", "--database-url", url, "relay.nosuch"); code != 1 || !strings.Contains(errOut, "no such object") {
		t.Errorf("diff of an unknown object: exit %d, %q", code, errOut)
	}
}

// up names what it overwrites in a warning on stderr; --reset takes only
// extension points.
func TestUpWarnings(t *testing.T) {
	url := pgtest.Migrated(t)
	db := openDB(t, url)
	mustExec(t, db, `ALTER TABLE relay.message DISABLE TRIGGER message_wake`)
	code, out, errOut := runCLI(t, "migrate", "up", "--database-url", url)
	if code != 0 || !strings.Contains(out, "applied triggers/postgres/message_wake.sql (drifted") ||
		!strings.Contains(errOut, "dbrelay: warning: replaced relay.message_wake message_wake message_wake_redeliver, edited in the database by hand") {
		t.Fatalf("up over a disabled trigger: exit %d\n%s%s", code, out, errOut)
	}
	q := errOut[strings.Index(errOut, "SELECT definition"):]
	var saved string
	if err := db.QueryRow(strings.TrimSpace(q)).Scan(&saved); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	if !strings.Contains(saved, "message_wake") {
		t.Fatalf("saved definition:\n%s", saved)
	}
	if code, _, errOut := runCLI(t, "migrate", "up", "--database-url", url, "--reset", "relay.enqueue"); code != 1 || !strings.Contains(errOut, "dbrelay's own") {
		t.Fatalf("--reset relay.enqueue: exit %d, %q", code, errOut)
	}
}
