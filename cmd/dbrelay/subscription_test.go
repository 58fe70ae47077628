package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/dbrelay/dbrelay/pgserver/pgtest"
)

// `dbrelay subscription add|list|disable|enable` and `dbrelay retry
// --event`, against a real PostgreSQL.
func TestSubscriptionCommands(t *testing.T) {
	url := pgtest.Migrated(t)
	db := openDB(t, url)
	if _, err := db.Exec(`INSERT INTO relay.channel (code, kind) VALUES ('messenger', 'internal')`); err != nil {
		t.Fatal(err)
	}
	if out := mustRun(t, "subscription", "list", "--database-url", url); !strings.Contains(out, "no subscriptions") {
		t.Fatalf("list of none: %q", out)
	}
	out := mustRun(t, "subscription", "add", "--database-url", url, "--channel", "messenger", "--ref-prefix", "leave/", "ACTION_*")
	if !strings.Contains(out, "added subscription 1: ACTION_* (ref leave/…) → messenger") {
		t.Fatalf("add: %q", out)
	}

	for _, bad := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--channel", "messenger", "ACTION DONE"}, 2, "letters, digits"},
		{[]string{"ACTION_DONE"}, 2, "--channel"},
		{[]string{"--channel", "nosuch", "ACTION_DONE"}, 1, `channel "nosuch" does not exist`},
		{[]string{"--channel", "messenger", "--ref-prefix", "leave/", "ACTION_*"}, 1, "exists already"},
		{[]string{"ACTION_DONE", "--channel", "messenger"}, 2, "put the flags before"},
	} {
		code, _, errOut := runCLI(t, append([]string{"subscription", "add", "--database-url", url}, bad.args...)...)
		if code != bad.code || !strings.Contains(errOut, bad.want) {
			t.Errorf("subscription add %v: exit %d %q, want %d and %q", bad.args, code, errOut, bad.code, bad.want)
		}
	}

	// An event raised while the subscription is disabled is unrouted;
	// retry --event routes it once it is enabled again.
	mustRun(t, "subscription", "disable", "--database-url", url, "1")
	var list []struct {
		ID      int64
		Event   string
		Enabled bool
	}
	if err := json.Unmarshal([]byte(mustRun(t, "subscription", "list", "--json", "--database-url", url)), &list); err != nil || len(list) != 1 || list[0].Enabled || list[0].Event != "ACTION_*" {
		t.Fatalf("list --json after disable: %+v %v", list, err)
	}
	var eventID int64
	if err := db.QueryRow(`SELECT relay.raise('ACTION_DONE', 'leave/approve/7', '{"by": "lisi"}')`).Scan(&eventID); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "retry", "--event", "--database-url", url, "999999")
	if code != 1 || !strings.Contains(errOut, "no event: 999999") {
		t.Fatalf("retry of an unknown event: exit %d %q %q", code, out, errOut)
	}
	code, out, _ = runCLI(t, "retry", "--event", "--database-url", url, "1")
	if code != 1 || !strings.Contains(out, "still unrouted") {
		t.Fatalf("retry while nothing subscribes: exit %d %q", code, out)
	}
	code, _, errOut = runCLI(t, "subscription", "enable", "--database-url", url, "1", "5")
	if code != 1 || !strings.Contains(errOut, "no subscription: 5") {
		t.Fatalf("enable with an unknown id: exit %d %q", code, errOut)
	}
	out = mustRun(t, "retry", "--event", "--database-url", url, "1")
	if !strings.Contains(out, "event 1: routed, 1 message(s)") {
		t.Fatalf("retry after enabling: %q", out)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM relay_api.events WHERE id = $1 AND status = 'routed' AND channel = 'messenger'`, eventID).Scan(&n); err != nil || n != 1 {
		t.Fatalf("relay_api.events after the replay: %d rows, %v", n, err)
	}
	if code, _, errOut := runCLI(t, "retry", "--event", "--dead", "--database-url", url, "1"); code != 2 || !strings.Contains(errOut, "--event takes event ids") {
		t.Fatalf("retry --event --dead: exit %d %q", code, errOut)
	}
}
