package main

import (
	"database/sql"
	"io/fs"
	"slices"
	"testing"

	dbrelay "github.com/dbrelay/dbrelay"
	"github.com/dbrelay/dbrelay/internal/schematest"
	"github.com/dbrelay/dbrelay/pgserver/pgtest"
)

// catalog lists what schemas relay and relay_api hold: tables' columns,
// indexes, constraints, triggers, views and routines, one string each.
func catalog(t *testing.T, db *sql.DB) []string {
	t.Helper()
	out := schematest.Lines(t, db, `
SELECT 'column ' || table_schema || '.' || table_name || '.' || column_name || ' ' || data_type
FROM information_schema.columns WHERE table_schema IN ('relay', 'relay_api')
UNION ALL SELECT 'index ' || schemaname || '.' || indexname FROM pg_indexes WHERE schemaname = 'relay'
UNION ALL SELECT 'constraint ' || conrelid::regclass || '.' || conname FROM pg_constraint
    WHERE connamespace = 'relay'::regnamespace
UNION ALL SELECT 'trigger ' || tgrelid::regclass || '.' || tgname FROM pg_trigger
    WHERE NOT tgisinternal AND tgrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'relay'::regnamespace)
UNION ALL SELECT 'routine ' || p.oid::regprocedure FROM pg_proc p
    WHERE p.pronamespace IN ('relay'::regnamespace, 'relay_api'::regnamespace)
UNION ALL SELECT 'object ' || path FROM relay.schema_object`)
	slices.Sort(out)
	return out
}

// 000009's down removes exactly what its up and its object files added
// (nothing else changes in the catalog), and up after it restores the same
// catalog.
func TestInboxRateMigrationDownIsExact(t *testing.T) {
	url := pgtest.Migrated(t)
	db := openDB(t, url)
	full := catalog(t, db)
	read := func(name string) string {
		b, err := fs.ReadFile(dbrelay.Files, "sql/postgres/"+name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	mustExec(t, db, read("000009_inbox_rate.down.sql"))
	down := catalog(t, db)
	added := []string{
		"column relay.channel.rate_per_minute integer",
		"column relay.channel_rate.channel text",
		"column relay.channel_rate.deferred_until timestamp with time zone",
		"column relay.channel_rate.next_at timestamp with time zone",
		"column relay.message.inbox boolean",
		"column relay.message.read_at timestamp with time zone",
		"column relay_api.inbox.",
		"constraint relay.channel.channel_rate_per_minute_check",
		"constraint relay.channel_rate.channel_rate_channel_fkey",
		"constraint relay.channel_rate.channel_rate_pkey",
		"index relay.channel_rate_pkey",
		"index relay.message_inbox",
		"index relay.message_inbox_unread",
		"object procedures/postgres/mark_read.sql",
		"object triggers/postgres/message_inbox.sql",
		"object views/postgres/inbox.sql",
		"routine relay.mark_read(text,bigint[])",
		"routine relay.message_inbox()",
		"trigger relay.message.message_inbox",
	}
	isAdded := func(s string) bool {
		for _, a := range added {
			if s == a || (a == "column relay_api.inbox." && len(s) > len(a) && s[:len(a)] == a) {
				return true
			}
		}
		return false
	}
	var want []string
	for _, s := range full {
		if !isAdded(s) {
			want = append(want, s)
		}
	}
	if !slices.Equal(down, want) {
		t.Errorf("after 000009's down the catalog is\n%v\nwant\n%v", diff(down, want), diff(want, down))
	}
	for _, a := range added[:6] {
		if !slices.Contains(full, a) {
			t.Errorf("the full schema lacks %s: this test's list is out of date", a)
		}
	}
	mustExec(t, db, read("000009_inbox_rate.up.sql"))
	mustRun(t, "migrate", "up", "--database-url", url)
	if again := catalog(t, db); !slices.Equal(again, full) {
		t.Errorf("down then up gives\n%v\nwant\n%v", diff(again, full), diff(full, again))
	}
}

// diff is what a holds that b does not.
func diff(a, b []string) []string {
	var out []string
	for _, s := range a {
		if !slices.Contains(b, s) {
			out = append(out, s)
		}
	}
	return out
}
