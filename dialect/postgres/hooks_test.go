package postgres_test

import (
	"context"
	"io/fs"
	"regexp"
	"strings"
	"testing"

	dbrelay "github.com/dbrelay/dbrelay"
	"github.com/dbrelay/dbrelay/dialect"
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
