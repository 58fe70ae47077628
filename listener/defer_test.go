package listener

import (
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/dialect"
)

// A claim wakes the bulk deferral only when a good part of what it met was
// held back: not for a stray message of a parked channel.
func TestBulkDeferWorth(t *testing.T) {
	for _, tc := range []struct {
		claimed, deferred int
		want              bool
	}{
		{claimed: 100, deferred: 0, want: false},
		{claimed: 0, deferred: 5, want: false}, // too few to be worth a statement
		{claimed: 90, deferred: 9, want: false},
		{claimed: 90, deferred: 10, want: true},
		{claimed: 41, deferred: 20, want: true},
		{claimed: 200, deferred: 10, want: false},
	} {
		if got := bulkDeferWorth(tc.claimed, tc.deferred); got != tc.want {
			t.Errorf("bulkDeferWorth(%d claimed, %d deferred) = %v, want %v", tc.claimed, tc.deferred, got, tc.want)
		}
	}
}

// A channel is moved on in bulk at most once per bulkDeferEvery, or per
// its deferral's time when that is longer (a park): each bulk deferral
// reads every due message.
func TestBulkDeferralsDue(t *testing.T) {
	b := bulkDeferrals{}
	now := time.Unix(1_000_000, 0)
	saturated := dialect.Deferral{Channel: "slow", For: time.Second}
	parked := dialect.Deferral{Channel: "stall", For: time.Minute, Reason: "parked"}
	if got := b.due(now, []dialect.Deferral{saturated, parked}); len(got) != 2 {
		t.Fatalf("first time: %+v, want both", got)
	}
	if got := b.due(now.Add(bulkDeferEvery-time.Millisecond), []dialect.Deferral{saturated, parked}); len(got) != 0 {
		t.Fatalf("within bulkDeferEvery: %+v, want none", got)
	}
	got := b.due(now.Add(bulkDeferEvery), []dialect.Deferral{saturated, parked})
	if len(got) != 1 || got[0] != saturated {
		t.Fatalf("after bulkDeferEvery: %+v, want only the saturated channel (the park's minute is not over)", got)
	}
	if got := b.due(now.Add(time.Minute*9/10), []dialect.Deferral{parked}); len(got) != 1 {
		t.Fatalf("at 9/10 of the park: %+v, want the parked channel again (its rows come due from then)", got)
	}
}
