package dialecttest

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/dbrelay/dbrelay/internal/schematest"
	"github.com/dbrelay/dbrelay/schema"
)

// runExtensionSuite runs the tests of extension points (objects that belong
// to the integrator once installed) and of dbrelay's own objects across
// `migrate up`, simulated upgrades and `migrate down`.
func runExtensionSuite(t *testing.T, h Harness) {
	t.Run("HandEditedPushSurvivesUpgrades", func(t *testing.T) { testHandEditedPushSurvivesUpgrades(t, h) })
	t.Run("ObjectsDirPushSurvivesUpgrades", func(t *testing.T) { testObjectsDirPushSurvivesUpgrades(t, h) })
	t.Run("OwnViewRestoredAndSaved", func(t *testing.T) { testOwnViewRestoredAndSaved(t, h) })
	t.Run("RequirementStopsUpgrade", func(t *testing.T) { testRequirementStopsUpgrade(t, h) })
	t.Run("RequirementMetThroughObjectsDir", func(t *testing.T) { testRequirementMetThroughObjectsDir(t, h) })
	t.Run("RequirementMetByReset", func(t *testing.T) { testRequirementMetByReset(t, h) })
	t.Run("PushSignatureIsTheSeeds", func(t *testing.T) { testPushSignatureIsTheSeeds(t, h) })
	t.Run("RefusedDownKeepsVersion", func(t *testing.T) { testRefusedDownKeepsVersion(t, h) })
	t.Run("FailingHookAfterWriteBack", func(t *testing.T) { testFailingHookAfterWriteBack(t, h) })
}

// A body of relay.push edited by hand in the database stays, and still
// runs, through two `migrate up` and an upgrade whose new default for push
// differs; the untouched relay.on_outcome, meanwhile, is upgraded to its
// new default.
func testHandEditedPushSurvivesUpgrades(t *testing.T, h Harness) {
	d := fresh(t, h)
	d.setUpHost()
	pushPath, pushText := d.shipped("procedures", "push.sql")
	hookPath, hookText := d.shipped("procedures", "on_outcome.sql")
	d.execFile(withLine(t, pushText, h.SQL("push line")))

	var out output
	m := d.migrator(&out)
	if got := d.states(m)["push.sql"]; got != schema.Customised {
		t.Fatalf("push.sql after a hand edit: %q, want %q", got, schema.Customised)
	}
	d.up(m)
	d.up(m)
	if !strings.Contains(out.String(), "kept relay.push: customised") || len(out.warned) != 0 {
		t.Fatalf("up did not say it kept relay.push, or warned:\n%s", out.String())
	}
	d.customPushRuns("after two ups")

	newer := schematest.Tree(t, map[string]string{
		pushPath: withLine(t, pushText, "    -- a newer default"),
		hookPath: withLine(t, hookText, "    -- a newer default"),
	})
	upgraded := &schema.Migrator{Conn: d.Conn, Shipped: newer, Logf: out.logf, Warnf: out.warnf}
	d.up(upgraded)
	d.customPushRuns("after the upgrade")
	if def := d.ddl("procedure", "relay.push"); strings.Contains(def, "a newer default") {
		t.Fatalf("the upgrade replaced the customised relay.push:\n%s", def)
	}
	if def := d.ddl("procedure", "relay.on_outcome"); !strings.Contains(def, "a newer default") {
		t.Fatalf("the untouched relay.on_outcome did not get the new default:\n%s", def)
	}
	st := d.states(upgraded)
	if st["push.sql"] != schema.CustomisedDefaultChanged || st["on_outcome.sql"] != schema.Default {
		t.Fatalf("after the upgrade: push.sql %q, on_outcome.sql %q", st["push.sql"], st["on_outcome.sql"])
	}
	diffs, err := upgraded.Diff(context.Background(), []string{"relay.push"})
	if err != nil {
		t.Fatal(err)
	}
	if len(diffs) != 1 || !strings.Contains(diffs[0].Unified, "-"+h.SQL("push line")) || !strings.Contains(diffs[0].Unified, "+    -- a newer default") {
		t.Fatalf("migrate diff relay.push does not show the customisation beside the new default:\n%+v", diffs)
	}
}

// The same through --objects-dir: an edited push.sql applied from a
// directory is not put back by later plain ups, nor by an upgrade.
func testObjectsDirPushSurvivesUpgrades(t *testing.T, h Harness) {
	d := fresh(t, h)
	d.setUpHost()
	pushPath, pushText := d.shipped("procedures", "push.sql")
	var out output
	withDir := d.migrator(&out)
	withDir.Objects = objectsDir(t, map[string]string{pushPath: withLine(t, pushText, h.SQL("push line"))})
	d.up(withDir)
	d.customPushRuns("from the directory")

	plain := d.migrator(&out)
	if got := d.states(plain)["push.sql"]; got != schema.Customised {
		t.Fatalf("push.sql applied from --objects-dir, seen by plain status: %q, want %q", got, schema.Customised)
	}
	d.up(plain)
	d.up(plain)
	d.customPushRuns("after two plain ups")

	upgraded := &schema.Migrator{Conn: d.Conn, Logf: out.logf, Warnf: out.warnf,
		Shipped: schematest.Tree(t, map[string]string{pushPath: withLine(t, pushText, "    -- a newer default")})}
	d.up(upgraded)
	d.customPushRuns("after the upgrade")
	if got := d.states(upgraded)["push.sql"]; got != schema.CustomisedDefaultChanged {
		t.Fatalf("push.sql after the upgrade: %q", got)
	}
	if len(out.warned) != 0 {
		t.Fatalf("nothing was replaced, yet up warned:\n%s", out.String())
	}
}

// A view of dbrelay's own edited by hand is restored by up, with a warning
// naming it and the query that reads the replaced definition back.
func testOwnViewRestoredAndSaved(t *testing.T, h Harness) {
	d := fresh(t, h)
	d.channel("inbox", "internal", "")
	d.setDefault("inbox")
	_, viewText := d.shipped("views", "pending.sql")
	edited := strings.Replace(viewText, "'sending')", "'sending', 'cancelled')", 1)
	if edited == viewText {
		t.Fatal("the pending view changed: the test's edit no longer applies")
	}
	d.execFile(edited)
	id := d.push("s", "r", "t", "x")[0]
	d.exec(`UPDATE relay.message SET status = 'cancelled' WHERE id = ?`, id)
	if n := d.count(`SELECT COUNT(*) FROM relay_api.pending WHERE id = ?`, id); n != 1 {
		t.Fatal("the hand edit did not take")
	}
	var out output
	m := d.migrator(&out)
	if got := d.states(m)["pending.sql"]; got != schema.Drifted {
		t.Fatalf("pending.sql after a hand edit: %q, want drifted", got)
	}
	d.up(m)
	if n := d.count(`SELECT COUNT(*) FROM relay_api.pending WHERE id = ?`, id); n != 0 {
		t.Fatal("up did not restore relay_api.pending")
	}
	if len(out.warned) != 1 || !strings.Contains(out.warned[0], "relay_api.pending") {
		t.Fatalf("want one warning naming relay_api.pending:\n%s", out.String())
	}
	w := out.warned[0]
	q := w[strings.Index(w, "SELECT definition FROM relay.schema_object_history"):]
	var def string
	if err := d.DB.QueryRow(q).Scan(&def); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	if !strings.Contains(def, "cancelled") || !strings.Contains(strings.ToLower(def), "relay_api.pending") {
		t.Fatalf("the saved definition is not the hand-edited view:\n%s", def)
	}
	if got := d.states(m)["pending.sql"]; got != schema.Applied {
		t.Fatalf("pending.sql after up: %q", got)
	}
}

// requiresUpgrade gives a database whose relay.on_outcome is customised by
// hand, and a newer tree whose migration 99 declares that relay.on_outcome
// gains a parameter, with the new default that has it.
func requiresUpgrade(t *testing.T, h Harness) (*db, fs.FS, string) {
	d := fresh(t, h)
	d.setUpHost()
	d.exec(h.SQL("recording hook"))
	hookPath, _ := d.shipped("procedures", "on_outcome.sql")
	dir := "sql/" + d.Dialect.Name() + "/"
	return d, schematest.Tree(t, map[string]string{
		dir + "000099_on_outcome_note.up.sql":   h.SQL("requires migration"),
		dir + "000099_on_outcome_note.down.sql": "-- nothing to undo\n",
		hookPath:                                h.SQL("hook with note"),
	}), hookPath
}

// A migration that changes what relay.on_outcome must take fails loudly,
// before anything runs, on a customised hook that does not follow: the
// error names the object and the change to make, and nothing changed.
func testRequirementStopsUpgrade(t *testing.T, h Harness) {
	d, newer, _ := requiresUpgrade(t, h)
	before, _ := d.version()
	var out output
	m := &schema.Migrator{Conn: d.Conn, Shipped: newer, Logf: out.logf, Warnf: out.warnf}
	err := m.Up(context.Background())
	if err == nil {
		t.Fatal("up went ahead with a customised relay.on_outcome that lacks the new parameter")
	}
	for _, want := range []string{"relay.on_outcome", "note", "add the parameter", "migration 99", "migrate up --reset relay.on_outcome", "migrate diff relay.on_outcome"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, err)
		}
	}
	if v, dirty := d.version(); v != before || dirty {
		t.Fatalf("version %d (dirty %v) after the refused upgrade, want %d", v, dirty, before)
	}
	if def := d.ddl("procedure", "relay.on_outcome"); !strings.Contains(def, "host_log") {
		t.Fatalf("the customised hook was touched:\n%s", def)
	}
}

// The integrator follows the change in their copy and applies it with
// --objects-dir: the upgrade goes through and their version is in place.
func testRequirementMetThroughObjectsDir(t *testing.T, h Harness) {
	d, newer, hookPath := requiresUpgrade(t, h)
	mine := withLine(t, h.SQL("hook with note"), "    -- mine, with the note")
	var out output
	m := &schema.Migrator{Conn: d.Conn, Shipped: newer, Logf: out.logf, Warnf: out.warnf,
		Objects: objectsDir(t, map[string]string{hookPath: mine})}
	d.up(m)
	if v, dirty := d.version(); v != 99 || dirty {
		t.Fatalf("version %d (dirty %v), want 99", v, dirty)
	}
	def := d.ddl("procedure", "relay.on_outcome")
	if !strings.Contains(def, "mine, with the note") || !slices.Equal(schema.Signatures(def)["relay.on_outcome"][0],
		[]string{"message_id", "status", "channel", "receiver", "event", "ref", "note"}) {
		t.Fatalf("relay.on_outcome is not the integrator's new version:\n%s", def)
	}
	if got := d.states(m)["on_outcome.sql"]; got != schema.Customised {
		t.Fatalf("on_outcome.sql: %q, want customised", got)
	}
}

// Or they take the new default with --reset: their version is saved first.
func testRequirementMetByReset(t *testing.T, h Harness) {
	d, newer, _ := requiresUpgrade(t, h)
	var out output
	m := &schema.Migrator{Conn: d.Conn, Shipped: newer, Reset: []string{"relay.on_outcome"}, Logf: out.logf, Warnf: out.warnf}
	d.up(m)
	if def := d.ddl("procedure", "relay.on_outcome"); strings.Contains(def, "host_log") || len(schema.Signatures(def)["relay.on_outcome"][0]) != 7 {
		t.Fatalf("relay.on_outcome is not the new default:\n%s", def)
	}
	if n := d.count(`SELECT COUNT(*) FROM relay.schema_object_history WHERE object = 'relay.on_outcome' AND definition LIKE '%host_log%'`); n < 1 {
		t.Fatal("the customised relay.on_outcome was not saved before --reset replaced it")
	}
	if got := d.states(m)["on_outcome.sql"]; got != schema.Default {
		t.Fatalf("on_outcome.sql after --reset: %q", got)
	}
}

// relay.push takes exactly the seed's parameters once installed.
func testPushSignatureIsTheSeeds(t *testing.T, h Harness) {
	d := fresh(t, h)
	sigs := schema.Signatures(d.ddl("procedure", "relay.push"))["relay.push"]
	if len(sigs) != 1 || !slices.Equal(sigs[0], []string{"sender", "receivers", "title", "context"}) {
		t.Fatalf("relay.push takes %v, want exactly (sender, receivers, title, context)", sigs)
	}
}

// A down refused because a host object depends on dbrelay's leaves the
// database as it was: same version, clean, every object in place.
func testRefusedDownKeepsVersion(t *testing.T, h Harness) {
	d := fresh(t, h)
	before, _ := d.version()
	d.exec(h.SQL("host dependent"))
	var out output
	m := d.migrator(&out)
	err := m.Down(context.Background())
	if err == nil || !strings.Contains(err.Error(), "nothing was removed") || !strings.Contains(err.Error(), fmt.Sprintf("version %d", before)) {
		t.Fatalf("down with a dependent host object = %v", err)
	}
	if v, dirty := d.version(); v != before || dirty {
		t.Fatalf("version %d (dirty %v) after a refused down, want %d clean", v, dirty, before)
	}
	if err := schema.Check(context.Background(), d.Conn); err != nil {
		t.Fatalf("a listener would refuse to start: %v", err)
	}
	st, err := m.Status(context.Background())
	if err != nil || !st.Clean() {
		t.Fatalf("status after a refused down: %+v %v", st, err)
	}
}
