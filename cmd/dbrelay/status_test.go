package main

import (
	"strings"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/dialect"
)

// `dbrelay status` has a line for each channel whose messages cannot be
// delivered now, saying why, and none for a healthy or idle one.
func TestStatusHealthLines(t *testing.T) {
	yes, no := true, false
	until := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		stat dialect.ChannelStat
		want string // "" for no line
	}{
		{dialect.ChannelStat{Channel: "ok", Up: &yes, Waiting: 3}, ""},
		{dialect.ChannelStat{Channel: "idle", Up: nil, Waiting: 0}, ""},
		{dialect.ChannelStat{Channel: "crm", Up: &no, Reason: `channel "crm" names a secret that is not set`, Waiting: 7},
			`channel crm: DOWN, 7 messages waiting: channel "crm" names a secret that is not set`},
		{dialect.ChannelStat{Channel: "erp", Up: &no, Reason: "parked", ParkedUntil: &until, Waiting: 2},
			"channel erp: PARKED until 2026-11-30T08:00:00Z, 2 messages waiting: parked"},
		{dialect.ChannelStat{Channel: "sms", Up: nil, Waiting: 4}, "channel sms: NO LISTENER has reported on it in the last minute, 4 messages waiting"},
	} {
		got := healthLine(c.stat)
		if (c.want == "") != (got == "") || !strings.HasPrefix(got, c.want) {
			t.Errorf("%s: line %q, want %q", c.stat.Channel, got, c.want)
		}
	}
}

// A failing hook gets one line: which hook, how many messages, since when,
// and its latest error on one line, cut when long.
func TestStatusHookLine(t *testing.T) {
	since := time.Date(2026, 11, 30, 8, 0, 0, 0, time.FixedZone("CET", 3600))
	got := hookLine(dialect.HookFailures{Hook: "relay.on_outcome", Runs: 3, Since: since,
		LastError: "relation \"crm.task\" does not exist\n  CONTEXT: PL/pgSQL function " + strings.Repeat("x", 400)})
	want := `hook relay.on_outcome: FAILING for 3 finished messages since 2026-11-30T07:00:00Z (retried on its own; see relay_api.hook_failures), latest error: relation "crm.task" does not exist CONTEXT: PL/pgSQL function xxx`
	if !strings.HasPrefix(got, want) || !strings.HasSuffix(got, "x…") || strings.Contains(got, "\n") {
		t.Fatalf("hook line:\n%s\nwant it to start with\n%s\nand end cut with …", got, want)
	}
}
