package postgres_test

import (
	"context"
	"io/fs"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	dbrelay "github.com/dbrelay/dbrelay"
	"github.com/dbrelay/dbrelay/dialect"
	"github.com/dbrelay/dbrelay/dialect/dialecttest"
	"github.com/dbrelay/dbrelay/pgserver/pgtest"
)

// The outcome trigger skips the shipped default hook by comparing its body
// with a copy of procedures/postgres/on_outcome.sql's: the copy must be
// exact, or every outcome would queue a call that does nothing.
func TestOutcomeTriggerKnowsTheDefaultHook(t *testing.T) {
	hook, err := fs.ReadFile(dbrelay.Files, "procedures/postgres/on_outcome.sql")
	if err != nil {
		t.Fatal(err)
	}
	trigger, err := fs.ReadFile(dbrelay.Files, "triggers/postgres/message_outcome.sql")
	if err != nil {
		t.Fatal(err)
	}
	body := regexp.MustCompile(`(?s)AS \$\$(.*?)\$\$`).FindSubmatch(hook)
	copied := regexp.MustCompile(`p\.prosrc = E'((?:[^'\\]|\\.)*)'`).FindSubmatch(trigger)
	if body == nil || copied == nil {
		t.Fatalf("cannot find the hook's body (%v) or the trigger's copy (%v)", body != nil, copied != nil)
	}
	if want := strings.ReplaceAll(string(body[1]), "\n", `\n`); string(copied[1]) != want {
		t.Fatalf("triggers/postgres/message_outcome.sql compares with\n  E'%s'\nbut the default body is\n  E'%s'", copied[1], want)
	}
}

// With the default hook nothing is queued; once the hook is edited, even in
// a comment, every outcome is.
func TestDefaultHookQueuesNothing(t *testing.T) {
	ctx := context.Background()
	c, err := dialect.Open(pgtest.Migrated(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	exec := func(q string) {
		t.Helper()
		if _, err := c.DB.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	queued := func() int {
		t.Helper()
		var n int
		if err := c.DB.QueryRow(`SELECT count(*) FROM relay.hook_run`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	exec(`INSERT INTO relay.channel (code, kind) VALUES ('inbox', 'internal'); UPDATE relay.settings SET default_channel = 'inbox'`)
	if _, err := c.Dialect.Push(ctx, c.DB, "s", "a,b", "t", "x"); err != nil {
		t.Fatal(err)
	}
	exec(`UPDATE relay.message SET status = 'sent'`)
	if n := queued(); n != 0 {
		t.Fatalf("the default hook queued %d calls", n)
	}
	exec(`CREATE OR REPLACE PROCEDURE relay.on_outcome(message_id bigint, status text, channel text, receiver text, event text, ref text)
		LANGUAGE plpgsql AS $$
BEGIN
    NULL;  -- default: nothing to do (and a word of mine)
END
$$`)
	exec(`UPDATE relay.message SET status = 'dead'`)
	if n := queued(); n != 2 {
		t.Fatalf("an edited hook queued %d calls for 2 outcomes", n)
	}
	exec(`UPDATE relay.message SET status = 'dead'`) // no change of status: nothing more
	if n := queued(); n != 2 {
		t.Fatalf("%d calls queued after an update that changed no status", n)
	}
}

// Under docs/postgres-roles.sql's listener role, a customised hook is
// queued (with the trigger owner's rights), run, and its work committed.
func TestHookRunsUnderListenerRole(t *testing.T) {
	url := pgtest.Migrated(t)
	admin, err := dialect.Open(url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	script, err := os.ReadFile("../../docs/postgres-roles.sql")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, r := range []string{"relay_host", "relay_listener", "relay_reader"} {
			admin.DB.Exec(`DROP OWNED BY ` + r)
			admin.DB.Exec(`DROP ROLE IF EXISTS ` + r)
		}
	})
	for _, q := range []string{
		string(script),
		`ALTER ROLE relay_listener LOGIN`,
		`CREATE TABLE host_log (note text NOT NULL)`,
		`GRANT INSERT ON host_log TO relay_listener`,
		`CREATE OR REPLACE PROCEDURE relay.on_outcome(message_id bigint, status text, channel text, receiver text, event text, ref text)
			LANGUAGE plpgsql AS $$ BEGIN INSERT INTO public.host_log (note) VALUES (on_outcome.status); END $$`,
		`INSERT INTO relay.channel (code, kind) VALUES ('inbox', 'internal')`,
		`UPDATE relay.settings SET default_channel = 'inbox'`,
	} {
		if _, err := admin.DB.Exec(q); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
	listenerConn, err := dialect.Open(strings.Replace(url, "postgres@", "relay_listener@", 1))
	if err != nil {
		t.Fatal(err)
	}
	defer listenerConn.Close()
	dialecttest.StartListener(t, listenerConn, dialecttest.TestConfig(t))
	if _, err := admin.Dialect.Push(context.Background(), admin.DB, "s", "a", "t", "x"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		var sent, ran int
		if err := admin.DB.QueryRow(`SELECT (SELECT count(*) FROM relay.message WHERE status = 'sent'), (SELECT count(*) FROM host_log WHERE note = 'sent')`).Scan(&sent, &ran); err != nil {
			t.Fatal(err)
		}
		if sent == 1 && ran == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("as relay_listener: %d sent, hook ran %d times", sent, ran)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
