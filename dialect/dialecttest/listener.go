package dialecttest

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/channel"
	"github.com/dbrelay/dbrelay/channel/senders"
	"github.com/dbrelay/dbrelay/dialect"
	"github.com/dbrelay/dbrelay/listener"
	"github.com/dbrelay/dbrelay/secret"
)

// runListenerSuite runs the listener's behaviour against the dialect.
func runListenerSuite(t *testing.T, h Harness) {
	t.Run("DeliverSigned", func(t *testing.T) { testDeliverSigned(t, h) })
	t.Run("RetryThenSent", func(t *testing.T) { testRetryThenSent(t, h) })
	t.Run("PermanentErrorIsDead", func(t *testing.T) { testPermanentErrorIsDead(t, h) })
	t.Run("MaxAttemptsIsDead", func(t *testing.T) { testMaxAttemptsIsDead(t, h) })
	t.Run("SlowEndpointRetried", func(t *testing.T) { testSlowEndpointRetried(t, h) })
	t.Run("RetryAfterHonoured", func(t *testing.T) { testRetryAfterHonoured(t, h) })
	t.Run("DisabledChannelWaits", func(t *testing.T) { testDisabledChannelWaits(t, h) })
	t.Run("SecretNotAllowedWaits", func(t *testing.T) { testSecretNotAllowedWaits(t, h) })
	t.Run("EchoedCredentialsRedacted", func(t *testing.T) { testEchoedCredentialsRedacted(t, h) })
	t.Run("TwoListenersExactlyOnce", func(t *testing.T) { testTwoListenersExactlyOnce(t, h) })
	t.Run("LeaseExpiryTakeOver", func(t *testing.T) { testLeaseExpiryTakeOver(t, h) })
	t.Run("FencedWriteBack", func(t *testing.T) { testFencedWriteBack(t, h) })
	t.Run("ShutdownReleases", func(t *testing.T) { testShutdownReleases(t, h) })
	t.Run("WriteBackIdempotent", func(t *testing.T) { testWriteBackIdempotent(t, h) })
	t.Run("WriteBackMessageDeleted", func(t *testing.T) { testWriteBackMessageDeleted(t, h) })
	t.Run("UnclaimGivesBack", func(t *testing.T) { testUnclaimGivesBack(t, h) })
	t.Run("ClaimDefers", func(t *testing.T) { testClaimDefers(t, h) })
	t.Run("DeferDue", func(t *testing.T) { testDeferDue(t, h) })
	t.Run("RenewLeases", func(t *testing.T) { testRenewLeases(t, h) })
	t.Run("OversizeNotLoaded", func(t *testing.T) { testOversizeNotLoaded(t, h) })
	t.Run("SlowEndpointHeldNotReclaimed", func(t *testing.T) { testSlowEndpointHeldNotReclaimed(t, h) })
	t.Run("SenderClosedAfterChange", func(t *testing.T) { testSenderClosedAfterChange(t, h) })
	t.Run("ChannelAddedWhileRunning", func(t *testing.T) { testChannelAddedWhileRunning(t, h) })
}

// testSecret is a Standard Webhooks secret (whsec_ + base64 of 24 bytes).
const testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// TestConfig is a listener configuration for tests: fast retries and
// polls, secrets from a map (DBRELAY_TEST_SECRET and DBRELAY_TEST_PASSWORD
// allowed by name, any DBRELAY_SECRET_ by prefix), logs at warning level
// and above to t.
func TestConfig(t testing.TB) listener.Config {
	env := map[string]string{"DBRELAY_TEST_SECRET": testSecret, "DBRELAY_TEST_PASSWORD": "pa55",
		"DBRELAY_SECRET_TEST_TOKEN": "Bearer tok-" + testSecret[6:], "DATABASE_URL": "postgres://u:db-password@h/db"}
	return listener.Config{
		Workers:      8,
		BatchSize:    50,
		Lease:        10 * time.Second,
		PollInterval: 200 * time.Millisecond,
		PollMin:      5 * time.Millisecond,
		RetryBase:    50 * time.Millisecond,
		RetryMax:     200 * time.Millisecond,
		Grace:        2 * time.Second,
		Logger:       slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Senders:      senders.Default(8),
		Env:          secret.FromMap(env, "DBRELAY_TEST_SECRET", "DBRELAY_TEST_PASSWORD"),
	}
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// StartListener runs a listener until the returned stop is called (or t
// ends); stop waits for a clean shutdown.
func StartListener(t testing.TB, conn *dialect.Conn, cfg listener.Config) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	l, err := listener.New(ctx, conn, cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("listener: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// waitUntil polls a condition on the database until it holds, failing after
// timeout: the condition is the assertion, the polling only its patience.
func (d *db) waitUntil(what string, timeout time.Duration, q string, args ...any) {
	d.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var ok int
		if err := d.DB.QueryRow(d.rebind(q), args...).Scan(&ok); err != nil {
			d.t.Fatalf("%s: %v", q, err)
		}
		if ok == 1 {
			return
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("after %v still not %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (d *db) webhook(code, url string, maxAttempts, timeoutMS int) {
	d.t.Helper()
	d.exec(`INSERT INTO relay.channel (code, kind, target, max_attempts, timeout_ms) VALUES (?, 'webhook', ?, ?, ?)`,
		code, url, maxAttempts, timeoutMS)
}

// deliveries lists relay.delivery's outcome:code per attempt of a message.
func (d *db) deliveries(id int64) []string {
	d.t.Helper()
	rows, err := d.DB.Query(d.rebind(`SELECT attempt, outcome, response_code FROM relay_api.deliveries WHERE message_id = ? ORDER BY attempt`), id)
	if err != nil {
		d.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var attempt int
		var outcome string
		var code *int
		if err := rows.Scan(&attempt, &outcome, &code); err != nil {
			d.t.Fatal(err)
		}
		s := fmt.Sprintf("%d:%s", attempt, outcome)
		if code != nil {
			s += ":" + strconv.Itoa(*code)
		}
		out = append(out, s)
	}
	return out
}

func testDeliverSigned(t *testing.T, h Harness) {
	d := fresh(t, h)
	rcv := NewReceiver(t)
	d.exec(`INSERT INTO relay.channel (code, kind, target, secret_env, config) VALUES ('crm', 'webhook', ?, 'DBRELAY_TEST_SECRET', ?)`,
		rcv.URL+"/hook", `{"headers": {"X-Source": "oa"}, "basic_auth": {"username": "oa", "password_env": "DBRELAY_TEST_PASSWORD"}}`)
	d.prefer("zhangsan", "crm", "u1001")
	StartListener(t, d.Conn, TestConfig(t))
	before := time.Now()
	id := d.push("王经理", "zhangsan", "请审批", "报销单 #42")[0]

	call := rcv.WaitCalls(t, "/hook", 1, 10*time.Second)[0]
	d.waitUntil("sent", 10*time.Second, `SELECT CASE WHEN status = 'sent' THEN 1 ELSE 0 END FROM relay_api.outbox WHERE id = ?`, id)

	env := call.Envelope
	for field, want := range map[string]any{"id": float64(id), "event": "MESSAGE", "sender": "王经理", "receiver": "zhangsan",
		"address": "u1001", "channel": "crm", "title": "请审批", "body": "报销单 #42", "ref": "", "attempt": float64(1)} {
		if env[field] != want {
			t.Errorf("envelope %s = %#v, want %#v", field, env[field], want)
		}
	}
	key, _ := env["key"].(string)
	if key == "" || call.Header.Get("webhook-id") != key {
		t.Errorf("webhook-id %q, envelope key %q", call.Header.Get("webhook-id"), key)
	}
	if env["payload"] != nil {
		t.Errorf("payload = %#v, want null", env["payload"])
	}
	if call.Header.Get("X-Source") != "oa" {
		t.Errorf("extra header X-Source = %q", call.Header.Get("X-Source"))
	}
	if u, p, ok := basicAuth(call.Header.Get("Authorization")); !ok || u != "oa" || p != "pa55" {
		t.Errorf("basic auth = %q %q %v", u, p, ok)
	}
	if err := verifySignature(testSecret, call.Header, call.Body, before); err != nil {
		t.Errorf("signature: %v", err)
	}

	var sentAt *time.Time
	var code *int
	var attempts int
	if err := d.DB.QueryRow(d.rebind(`SELECT sent_at, response_code, attempts FROM relay_api.outbox WHERE id = ?`), id).Scan(&sentAt, &code, &attempts); err != nil {
		t.Fatal(err)
	}
	if sentAt == nil || code == nil || *code != 200 || attempts != 1 {
		t.Errorf("written back: sent_at %v, response_code %v, attempts %d", sentAt, code, attempts)
	}
	if got := d.deliveries(id); strings.Join(got, " ") != "1:sent:200" {
		t.Errorf("deliveries = %v", got)
	}
}

// verifySignature checks a Standard Webhooks signature independently of the
// sender's code, from the specification: base64(HMAC-SHA256(key,
// id.timestamp.body)) with the key base64-decoded from after "whsec_".
func verifySignature(secret string, hdr map[string][]string, body []byte, notBefore time.Time) error {
	get := func(k string) string {
		for name, v := range hdr {
			if strings.EqualFold(name, k) && len(v) > 0 {
				return v[0]
			}
		}
		return ""
	}
	id, ts, sigs := get("webhook-id"), get("webhook-timestamp"), get("webhook-signature")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("webhook-timestamp %q: %v", ts, err)
	}
	if at := time.Unix(sec, 0); at.Before(notBefore.Add(-time.Second)) || at.After(time.Now().Add(time.Second)) {
		return fmt.Errorf("webhook-timestamp %v outside the test's window", at)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, s := range strings.Fields(sigs) {
		if hmac.Equal([]byte(s), []byte(want)) {
			return nil
		}
	}
	return fmt.Errorf("webhook-signature %q does not contain %q", sigs, want)
}

func basicAuth(h string) (user, pass string, ok bool) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(h, "Basic "))
	if err != nil {
		return "", "", false
	}
	user, pass, ok = strings.Cut(string(b), ":")
	return
}

func testRetryThenSent(t *testing.T, h Harness) {
	d := fresh(t, h)
	rcv := NewReceiver(t)
	rcv.Script("/flaky", func(n int) Reply {
		if n <= 2 {
			return Reply{Status: 503}
		}
		return Reply{Status: 200}
	})
	d.webhook("flaky", rcv.URL+"/flaky", 5, 5000)
	d.prefer("bob", "flaky", "")
	StartListener(t, d.Conn, TestConfig(t))
	id := d.push("s", "bob", "t", "x")[0]
	d.waitUntil("sent after two 503s", 10*time.Second, `SELECT CASE WHEN status = 'sent' THEN 1 ELSE 0 END FROM relay_api.outbox WHERE id = ?`, id)
	if got := strings.Join(d.deliveries(id), " "); got != "1:transient:503 2:transient:503 3:sent:200" {
		t.Fatalf("deliveries = %s", got)
	}
	if n := d.count(`SELECT count(*) FROM relay_api.outbox WHERE id = ? AND attempts = 3 AND last_error IS NULL AND response_code = 200`, id); n != 1 {
		t.Fatal("outbox row is not attempts=3, last_error NULL, response_code 200")
	}
	if len(rcv.Calls("/flaky")) != 3 {
		t.Fatalf("%d calls, want 3", len(rcv.Calls("/flaky")))
	}
}

func testPermanentErrorIsDead(t *testing.T, h Harness) {
	d := fresh(t, h)
	rcv := NewReceiver(t)
	rcv.Script("/bad", func(int) Reply { return Reply{Status: 400} })
	d.webhook("bad", rcv.URL+"/bad", 5, 5000)
	d.prefer("bob", "bad", "")
	StartListener(t, d.Conn, TestConfig(t))
	id := d.push("s", "bob", "t", "x")[0]
	d.waitUntil("dead after a 400", 10*time.Second, `SELECT CASE WHEN status = 'dead' THEN 1 ELSE 0 END FROM relay_api.outbox WHERE id = ?`, id)
	if got := strings.Join(d.deliveries(id), " "); got != "1:permanent:400" {
		t.Fatalf("deliveries = %s", got)
	}
	if n := d.count(`SELECT count(*) FROM relay_api.failures WHERE id = ? AND status = 'dead' AND attempts = 1 AND last_error LIKE '%400%'`, id); n != 1 {
		t.Fatal("relay_api.failures does not show the dead message with its error")
	}
}

func testMaxAttemptsIsDead(t *testing.T, h Harness) {
	d := fresh(t, h)
	rcv := NewReceiver(t)
	rcv.Script("/down", func(int) Reply { return Reply{Status: 502} })
	d.webhook("down", rcv.URL+"/down", 2, 5000)
	d.prefer("bob", "down", "")
	StartListener(t, d.Conn, TestConfig(t))
	id := d.push("s", "bob", "t", "x")[0]
	d.waitUntil("dead after max_attempts", 10*time.Second, `SELECT CASE WHEN status = 'dead' THEN 1 ELSE 0 END FROM relay_api.outbox WHERE id = ?`, id)
	if got := strings.Join(d.deliveries(id), " "); got != "1:transient:502 2:transient:502" {
		t.Fatalf("deliveries = %s", got)
	}
	if n := d.count(`SELECT count(*) FROM relay_api.outbox WHERE id = ? AND last_error LIKE 'gave up after 2 attempts%'`, id); n != 1 {
		t.Fatal("last_error does not say it gave up after 2 attempts")
	}
}

func testSlowEndpointRetried(t *testing.T, h Harness) {
	d := fresh(t, h)
	rcv := NewReceiver(t)
	rcv.Script("/slow", func(n int) Reply { return Reply{Status: 200, Hold: n == 1} })
	d.webhook("slow", rcv.URL+"/slow", 5, 300)
	d.prefer("bob", "slow", "")
	StartListener(t, d.Conn, TestConfig(t))
	id := d.push("s", "bob", "t", "x")[0]
	d.waitUntil("sent after a timeout", 10*time.Second, `SELECT CASE WHEN status = 'sent' THEN 1 ELSE 0 END FROM relay_api.outbox WHERE id = ?`, id)
	if got := strings.Join(d.deliveries(id), " "); got != "1:transient 2:sent:200" {
		t.Fatalf("deliveries = %s", got)
	}
	if n := d.count(`SELECT count(*) FROM relay_api.deliveries WHERE message_id = ? AND attempt = 1 AND error LIKE '%timeout%'`, id); n != 1 {
		t.Fatal("the first attempt's error does not mention the timeout")
	}
}

func testRetryAfterHonoured(t *testing.T, h Harness) {
	d := fresh(t, h)
	rcv := NewReceiver(t)
	rcv.Script("/busy", func(n int) Reply {
		if n == 1 {
			return Reply{Status: 429, RetryAfter: "1"}
		}
		return Reply{Status: 200}
	})
	d.webhook("busy", rcv.URL+"/busy", 5, 5000)
	d.prefer("bob", "busy", "")
	StartListener(t, d.Conn, TestConfig(t)) // RetryBase 50ms: without Retry-After it would be back in ~50ms
	d.push("s", "bob", "t", "x")
	calls := rcv.WaitCalls(t, "/busy", 2, 10*time.Second)
	if gap := calls[1].At.Sub(calls[0].At); gap < 900*time.Millisecond {
		t.Fatalf("retried %v after a 429 with Retry-After: 1", gap)
	}
}

func testTwoListenersExactlyOnce(t *testing.T, h Harness) {
	d := fresh(t, h)
	rcv := NewReceiver(t)
	d.webhook("bulk", rcv.URL+"/bulk", 5, 5000)
	d.setDefault("bulk")
	const n = 1000
	var names []string
	for i := 0; i < n; i++ {
		names = append(names, "r"+strconv.Itoa(i))
	}
	// Two listeners from the start, racing for every claim.
	cfg := TestConfig(t)
	cfg.BatchSize = 20
	StartListener(t, d.Conn, cfg)
	StartListener(t, d.Conn, cfg)
	for i := 0; i < n; i += 100 {
		d.push("s", strings.Join(names[i:i+100], ","), "t", "x")
	}
	d.waitUntil("all sent", 60*time.Second, `SELECT CASE WHEN count(*) = ? THEN 1 ELSE 0 END FROM relay.message WHERE status = 'sent'`, n)
	seen := rcv.KeysSeen()
	if len(seen) != n {
		t.Fatalf("%d distinct keys delivered, want %d", len(seen), n)
	}
	for key, times := range seen {
		if times != 1 {
			t.Errorf("key %s delivered %d times", key, times)
		}
	}
	if got := d.count(`SELECT count(*) FROM relay.delivery`); got != n {
		t.Fatalf("%d delivery rows, want %d", got, n)
	}
}

// A listener that dies holding a claim: after the lease, another delivers.
func testLeaseExpiryTakeOver(t *testing.T, h Harness) {
	d := fresh(t, h)
	rcv := NewReceiver(t)
	d.webhook("hook", rcv.URL+"/hook", 5, 5000)
	d.setDefault("hook")
	ids := d.push("s", "a,b,c,d,e", "t", "x")
	q, err := d.Dialect.NewQueue(context.Background(), d.Conn, dialect.QueueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	got, _, err := q.Claim(context.Background(), "crashed-listener:1", 10, 2*time.Second, nil)
	if err != nil || len(got) != len(ids) {
		t.Fatalf("claim: %d, %v", len(got), err)
	}
	StartListener(t, d.Conn, TestConfig(t))
	d.waitUntil("taken over and sent", 20*time.Second, `SELECT CASE WHEN count(*) = 5 THEN 1 ELSE 0 END FROM relay.message WHERE status = 'sent' AND attempts = 2`)
	if len(rcv.Calls("/hook")) != 5 {
		t.Fatalf("%d calls, want 5", len(rcv.Calls("/hook")))
	}
}

// A write-back from a listener whose lease ran out must not overwrite the
// outcome of the listener that took the message over.
func testFencedWriteBack(t *testing.T, h Harness) {
	d := fresh(t, h)
	d.webhook("hook", "http://127.0.0.1:1/", 5, 1000)
	d.setDefault("hook")
	id := d.push("s", "a", "t", "x")[0]
	ctx := context.Background()
	q, err := d.Dialect.NewQueue(ctx, d.Conn, dialect.QueueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	first, _, err := q.Claim(ctx, "old:1", 1, time.Second, nil)
	if err != nil || len(first) != 1 {
		t.Fatalf("first claim: %v %v", first, err)
	}
	var second []dialect.Claimed
	deadline := time.Now().Add(10 * time.Second)
	for len(second) == 0 && time.Now().Before(deadline) {
		if second, _, err = q.Claim(ctx, "new:1", 1, time.Minute, nil); err != nil {
			t.Fatal(err)
		}
	}
	if len(second) != 1 || second[0].Attempt != 2 {
		t.Fatalf("the expired claim was not taken over: %+v", second)
	}
	now := time.Now()
	// The old listener comes back claiming success: fenced off, though its
	// attempt is still recorded.
	fates, err := q.Finish(ctx, []dialect.Outcome{{ID: id, Token: "old:1", Status: dialect.StatusSent, Attempt: 1,
		StartedAt: now, Result: channel.Result{Outcome: channel.Sent, StatusCode: 200}}})
	if err != nil || len(fates) != 1 || fates[0] != dialect.Superseded {
		t.Fatalf("stale write-back: fates %v, err %v; want superseded", fates, err)
	}
	fates, err = q.Finish(ctx, []dialect.Outcome{{ID: id, Token: "new:1", Status: dialect.StatusPending, RetryIn: time.Hour, Attempt: 2,
		StartedAt: now, Result: channel.Result{Outcome: channel.Transient, StatusCode: 503, Err: "HTTP 503"}}})
	if err != nil || len(fates) != 1 || fates[0] != dialect.Applied {
		t.Fatalf("current write-back: fates %v, err %v; want applied", fates, err)
	}
	if n := d.count(`SELECT count(*) FROM relay_api.outbox WHERE id = ? AND status = 'pending' AND last_error = 'HTTP 503' AND sent_at IS NULL`, id); n != 1 {
		t.Fatal("the stale success overwrote the current outcome")
	}
	if got := strings.Join(d.deliveries(id), " "); got != "1:sent:200 2:transient:503" {
		t.Fatalf("deliveries = %s", got)
	}
	// relay_api.deliveries shows which attempt decided the status.
	if n := d.count(`SELECT count(*) FROM relay_api.deliveries WHERE message_id = ? AND ((attempt = 1 AND applied = ?) OR (attempt = 2 AND applied = ?))`, id, false, true); n != 2 {
		t.Fatalf("relay_api.deliveries shows %d of 2 attempts with applied as recorded", n)
	}
	// The stale attempt is recorded, marked as not applied.
	if n := d.count(`SELECT count(*) FROM relay.delivery WHERE message_id = ? AND claim_token = 'old:1' AND applied = ?`, id, false); n != 1 {
		t.Fatalf("%d not-applied rows for the stale attempt, want 1", n)
	}
	if n := d.count(`SELECT count(*) FROM relay.delivery WHERE message_id = ? AND claim_token = 'new:1' AND applied = ?`, id, true); n != 1 {
		t.Fatalf("%d applied rows for the current attempt, want 1", n)
	}
}

// Stopping a listener mid-drain leaves nothing in sending: what it had not
// started is released, what was in flight is finished or interrupted and
// written back.
func testShutdownReleases(t *testing.T, h Harness) {
	d := fresh(t, h)
	rcv := NewReceiver(t)
	rcv.Script("/slow", func(n int) Reply { return Reply{Status: 200, Hold: true} })
	d.webhook("slow", rcv.URL+"/slow", 5, 30000)
	d.setDefault("slow")
	var names []string
	for i := 0; i < 40; i++ {
		names = append(names, "r"+strconv.Itoa(i))
	}
	d.push("s", strings.Join(names, ","), "t", "x")
	cfg := TestConfig(t)
	cfg.Grace = 200 * time.Millisecond
	stop := StartListener(t, d.Conn, cfg)
	// Every worker one channel may take is stuck in a call: all but a
	// reserve of Workers/8 (listener/dispatch.go).
	busy := cfg.Workers - max(1, cfg.Workers/8)
	rcv.WaitCalls(t, "/slow", busy, 10*time.Second)
	stop()
	if n := d.count(`SELECT count(*) FROM relay.message WHERE status = 'sending'`); n != 0 {
		t.Fatalf("%d messages left in sending after shutdown", n)
	}
	// The interrupted ones count an attempt and are due again at once; the
	// released ones do not.
	if n := d.count(`SELECT count(*) FROM relay.message WHERE status = 'pending' AND attempts = 1`); n != busy {
		t.Errorf("%d interrupted messages with one attempt, want %d", n, busy)
	}
	if n := d.count(`SELECT count(*) FROM relay.message WHERE status = 'pending' AND attempts = 0`); n != 40-busy {
		t.Errorf("%d released messages with no attempt, want %d", n, 40-busy)
	}
}
