package dialecttest

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A relay.on_outcome that always raises: the outcomes land, nothing is
// delivered twice, the failures are visible in relay_api.hook_failures and
// retried on their own (the hook's own work rolled back each time), and
// once the hook is fixed each outcome runs it exactly once.
func testFailingHookAfterWriteBack(t *testing.T, h Harness) {
	d := fresh(t, h)
	d.exec(h.SQL("host table"))
	rcv := NewReceiver(t)
	d.webhook("crm", rcv.URL+"/hook", 10, 500)
	d.setDefault("crm")
	d.exec(h.SQL("failing hook"))
	cfg := TestConfig(t)
	cfg.Lease = time.Second // a message whose outcome did not land would be claimed again soon
	StartListener(t, d.Conn, cfg)

	ids := d.push("s", "a,b,c", "t", "x")
	if len(ids) != 3 {
		t.Fatalf("push enqueued %v", ids)
	}
	d.waitUntil("sent", 20*time.Second, `SELECT CASE WHEN COUNT(*) = 3 THEN 1 ELSE 0 END FROM relay_api.outbox WHERE status = 'sent' AND last_error IS NULL`)
	// Retries of the hook back off 50, 100, 200, 200… ms: ten failures of
	// each take well over the lease, by when an outcome that had not been
	// committed would have made its message be claimed and delivered again.
	d.waitUntil("failing ten times each", 30*time.Second,
		`SELECT CASE WHEN COUNT(*) = 3 AND MIN(attempts) >= 10 THEN 1 ELSE 0 END FROM relay_api.hook_failures WHERE last_error LIKE '%hook is broken%'`)
	for key, n := range rcv.KeysSeen() {
		if n != 1 {
			t.Errorf("message %s delivered %d times", key, n)
		}
	}
	if n := rcv.Total(); n != 3 {
		t.Errorf("%d deliveries, want 3", n)
	}
	if n := d.count(`SELECT COUNT(*) FROM host_log`); n != 0 {
		t.Errorf("the failing hook's own work was kept (%d rows): it must be rolled back with it", n)
	}
	if n := d.count(`SELECT COUNT(*) FROM relay_api.hook_failures WHERE status = 'sent' AND channel = 'crm' AND hook = 'relay.on_outcome' AND failed_at IS NOT NULL`); n != 3 {
		t.Errorf("hook_failures describes %d of 3 failures", n)
	}
	// What `dbrelay status` prints of them.
	sums, err := d.Dialect.HookFailures(context.Background(), d.DB)
	if err != nil || len(sums) != 1 || sums[0].Hook != "relay.on_outcome" || sums[0].Runs != 3 ||
		!strings.Contains(sums[0].LastError, "hook is broken") || sums[0].Since.IsZero() || time.Since(sums[0].Since) > time.Hour {
		t.Errorf("HookFailures = %+v, %v; want relay.on_outcome failing for 3 runs since just now, with its error", sums, err)
	}

	// Fixed: each outcome's hook runs once, and the failures are gone.
	d.exec(h.SQL("recording hook"))
	d.waitUntil("the fixed hook ran", 20*time.Second, `SELECT CASE WHEN COUNT(*) = 3 THEN 1 ELSE 0 END FROM host_log`)
	d.waitUntil("no failures left", 20*time.Second, `SELECT CASE WHEN COUNT(*) = 0 THEN 1 ELSE 0 END FROM relay_api.hook_failures`)
	if sums, err := d.Dialect.HookFailures(context.Background(), d.DB); err != nil || len(sums) != 0 {
		t.Errorf("HookFailures after the fix = %+v, %v; want none", sums, err)
	}
	for _, id := range ids {
		if n := d.count(`SELECT COUNT(*) FROM host_log WHERE note = ?`, "sent "+strconv.FormatInt(id, 10)); n != 1 {
			t.Errorf("the hook ran %d times for message %d, want once", n, id)
		}
	}
	if n := d.count(`SELECT COUNT(*) FROM relay.hook_run`); n != 0 {
		t.Errorf("%d hook runs left queued", n)
	}
}
