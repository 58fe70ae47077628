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
