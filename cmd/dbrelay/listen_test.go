package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/dialect/dialecttest"
	"github.com/dbrelay/dbrelay/pgserver/pgtest"
)

// process is a dbrelay process started from the test binary.
type process struct {
	cmd  *exec.Cmd
	out  bytes.Buffer
	done chan error
}

func startDbrelay(t *testing.T, args ...string) *process {
	t.Helper()
	return startDbrelayEnv(t, nil, args...)
}

// startDbrelayEnv starts dbrelay with env added to this process's.
func startDbrelayEnv(t *testing.T, env []string, args ...string) *process {
	t.Helper()
	p := &process{done: make(chan error, 1)}
	p.cmd = exec.Command(os.Args[0], args...)
	p.cmd.Env = append(append(os.Environ(), "DBRELAY_TEST_AS_CLI=1"), env...)
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("dbrelay %s output:\n%s", strings.Join(args, " "), p.out.String())
		}
	})
	return p
}

// wait waits for the process to exit and returns its exit code.
func (p *process) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case err := <-p.done:
		p.done <- err // for the cleanup
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(timeout):
		t.Fatalf("dbrelay did not exit within %v", timeout)
		return -1
	}
}

// setUp makes a migrated database with n messages for a webhook channel
// pointing at rcv, and returns its URL and a pool on it.
func setUp(t *testing.T, rcv *dialecttest.Receiver, n int) (string, *sql.DB) {
	t.Helper()
	url := pgtest.Migrated(t)
	db, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`INSERT INTO relay.channel (code, kind, target, timeout_ms) VALUES ('hook', 'webhook', $1, 10000)`, rcv.URL+"/hook"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE relay.settings SET default_channel = 'hook'`); err != nil {
		t.Fatal(err)
	}
	if n > 0 {
		if _, err := db.Exec(`INSERT INTO relay.message (receiver, channel, title, body)
			SELECT 'r' || g, 'hook', 'title ' || g, 'body' FROM generate_series(1, $1) g`, n); err != nil {
			t.Fatal(err)
		}
	}
	return url, db
}

func waitFor(t *testing.T, db *sql.DB, what string, timeout time.Duration, query string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var ok bool
		err := db.QueryRow(query, args...).Scan(&ok)
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v still not %s (last error: %v)", timeout, what, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func scalar(t *testing.T, db *sql.DB, query string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A listener killed with SIGKILL mid-batch loses nothing: once its lease
// runs out, another listener delivers what it held.
//
// Mid-batch for certain: after 30 deliveries the endpoint stops answering
// (until the caller goes away), so when the kill lands every worker of the
// first listener is stuck in a call and its claimed messages are sending.
func TestSIGKILLLosesNothing(t *testing.T) {
	rcv := dialecttest.NewReceiver(t)
	var stall atomic.Bool
	stall.Store(true)
	rcv.Script("/hook", func(n int) dialecttest.Reply {
		if n > 30 && stall.Load() {
			return dialecttest.Reply{Hold: true}
		}
		return dialecttest.Reply{Status: 200}
	})
	const n, workers = 300, 4
	url, db := setUp(t, rcv, n)
	first := startDbrelay(t, "listen", "--database-url", url, "--lease", "2s", "--workers", strconv.Itoa(workers), "--batch-size", "50", "--log-format", "text")
	rcv.WaitCalls(t, "/hook", 30+workers, 20*time.Second) // every worker is stuck in a call
	held := scalar(t, db, `SELECT count(*) FROM relay.message WHERE status = 'sending'`)
	if held < workers {
		t.Fatalf("%d messages sending while %d workers are stuck in calls", held, workers)
	}
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	first.wait(t, 10*time.Second)
	stall.Store(false)
	held = scalar(t, db, `SELECT count(*) FROM relay.message WHERE status = 'sending'`)
	second := startDbrelay(t, "listen", "--database-url", url, "--log-format", "text")
	waitFor(t, db, "all sent", 60*time.Second, `SELECT count(*) = $1 FROM relay.message WHERE status = 'sent'`, n)
	if err := second.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	second.wait(t, 20*time.Second)

	seen := rcv.KeysSeen()
	if len(seen) != n {
		t.Fatalf("%d distinct messages arrived, want %d", len(seen), n)
	}
	dups := 0
	for _, times := range seen {
		dups += times - 1
	}
	// At-least-once: only what the dead listener held (delivered or in
	// flight, but not yet written back) may arrive twice: at most its
	// workers + batch size. Its stuck calls did arrive, so they repeat.
	if dups < workers || dups > held || dups > workers+50 {
		t.Fatalf("%d duplicate deliveries; want from %d (the stuck calls) to %d (what the killed listener held)", dups, workers, held)
	}
	t.Logf("killed listener held %d messages; %d duplicate deliveries", held, dups)
}

// SIGTERM during a drain: the listener stops claiming, finishes or
// releases what it holds, and exits 0 leaving nothing in sending.
func TestSIGTERMLeavesNothingSending(t *testing.T) {
	rcv := dialecttest.NewReceiver(t)
	rcv.Script("/hook", func(int) dialecttest.Reply {
		time.Sleep(20 * time.Millisecond)
		return dialecttest.Reply{Status: 200}
	})
	url, db := setUp(t, rcv, 500)
	p := startDbrelay(t, "listen", "--database-url", url, "--workers", "8", "--batch-size", "100", "--grace", "5s", "--log-format", "json")
	rcv.WaitCalls(t, "/hook", 40, 20*time.Second)
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("exit code %d after SIGTERM", code)
	}
	if held := scalar(t, db, `SELECT count(*) FROM relay.message WHERE status = 'sending'`); held != 0 {
		t.Fatalf("%d messages left in sending", held)
	}
	sent := scalar(t, db, `SELECT count(*) FROM relay.message WHERE status = 'sent'`)
	pending := scalar(t, db, `SELECT count(*) FROM relay.message WHERE status = 'pending'`)
	if sent+pending != 500 || sent < 40 || pending == 0 {
		t.Fatalf("sent %d, pending %d: want all 500 accounted for, the drain stopped part-way", sent, pending)
	}
	// Every log line about a message carries its id.
	for _, line := range strings.Split(p.out.String(), "\n") {
		if strings.Contains(line, `"key"`) && !strings.Contains(line, `"id"`) {
			t.Errorf("log line about a message without its id: %s", line)
		}
	}
}

// PostgreSQL restarted during a drain: the listener reconnects (pool and
// LISTEN) and finishes, losing nothing.
func TestPostgresRestartDuringDrain(t *testing.T) {
	rcv := dialecttest.NewReceiver(t)
	rcv.Script("/hook", func(int) dialecttest.Reply {
		time.Sleep(2 * time.Millisecond)
		return dialecttest.Reply{Status: 200}
	})
	const n = 1000
	url, db := setUp(t, rcv, n)
	p := startDbrelay(t, "listen", "--database-url", url, "--workers", "4", "--batch-size", "20", "--poll-interval", "500ms", "--log-format", "text")
	rcv.WaitCalls(t, "/hook", 50, 20*time.Second)
	if err := pgtest.Server().Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, db, "all sent after the restart", 90*time.Second, `SELECT count(*) = $1 FROM relay.message WHERE status = 'sent'`, n)
	if len(rcv.KeysSeen()) != n {
		t.Fatalf("%d distinct messages arrived, want %d", len(rcv.KeysSeen()), n)
	}
	// And NOTIFY works again after the reconnect: a new message is
	// delivered long before the 500ms poll could find it.
	before := len(rcv.Calls("/hook"))
	if _, err := db.Exec(`CALL relay.push('s', 'late', 't', 'x')`); err != nil {
		t.Fatal(err)
	}
	rcv.WaitCalls(t, "/hook", before+1, 10*time.Second)
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("exit code %d", code)
	}
}

// --http serves Prometheus metrics, liveness and readiness.
func TestHTTPEndpoints(t *testing.T) {
	rcv := dialecttest.NewReceiver(t)
	url, db := setUp(t, rcv, 3)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := startDbrelay(t, "listen", "--database-url", url, "--http", addr, "--pprof", "--log-format", "text")
	waitFor(t, db, "sent", 20*time.Second, `SELECT count(*) = 3 FROM relay.message WHERE status = 'sent'`)
	get := func(path string) (int, string) {
		deadline := time.Now().Add(10 * time.Second)
		for {
			resp, err := http.Get("http://" + addr + path)
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				return resp.StatusCode, string(b)
			}
			if time.Now().After(deadline) {
				t.Fatalf("GET %s: %v", path, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if code, body := get("/healthz"); code != 200 || !strings.Contains(body, "ok") {
		t.Errorf("/healthz = %d %q", code, body)
	}
	if code, body := get("/readyz"); code != 200 || !strings.Contains(body, "ready") {
		t.Errorf("/readyz = %d %q", code, body)
	}
	if code, body := get("/debug/pprof/"); code != 200 || !strings.Contains(body, "goroutine") {
		t.Errorf("/debug/pprof/ with --pprof = %d", code)
	}
	// The command line, which may hold --database-url, is not served.
	if code, body := get("/debug/pprof/cmdline"); code != 404 || strings.Contains(body, "postgres") || strings.Contains(body, "--database-url") {
		t.Errorf("/debug/pprof/cmdline = %d %q, want 404 and no command line", code, body)
	}
	// Counters are updated after the write-back: wait for them.
	deadline := time.Now().Add(10 * time.Second)
	var body string
	for {
		_, body = get("/metrics")
		if strings.Contains(body, `dbrelay_messages_sent_total{channel="hook"} 3`) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, want := range []string{
		`dbrelay_messages_claimed_total{channel="hook"} 3`,
		`dbrelay_messages_sent_total{channel="hook"} 3`,
		`dbrelay_delivery_latency_seconds_count{channel="hook"} 3`,
		`dbrelay_queue_due_messages 0`,
		`dbrelay_queue_oldest_due_seconds 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	// Readiness follows the schema: a newer schema is not ready.
	if _, err := db.Exec(`UPDATE relay.schema_migrations SET version = 99`); err != nil {
		t.Fatal(err)
	}
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "newer") {
		t.Errorf("/readyz on a newer schema = %d %q", code, body)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.wait(t, 20*time.Second)
}

func TestListenRefusesWrongSchema(t *testing.T) {
	for name, url := range map[string]string{"missing": pgtest.Empty(t)} {
		code, _, errOut := runCLI(t, "listen", "--database-url", url)
		if code != 1 || !strings.Contains(errOut, "dbrelay migrate up") {
			t.Errorf("%s schema: exit %d, %q", name, code, errOut)
		}
	}
	older := pgtest.Migrated(t)
	if _, err := openDB(t, older).Exec(`UPDATE relay.schema_migrations SET version = 0`); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCLI(t, "listen", "--database-url", older); code != 1 || !strings.Contains(errOut, "older") || !strings.Contains(errOut, "migrate up") {
		t.Errorf("older schema: exit %d, %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, "listen", "--database-url", older, "--workers", "0x"); code != 2 {
		t.Errorf("bad flag: exit %d, %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, "listen", "--database-url", older, "--workers", "-3"); code != 2 || !strings.Contains(errOut, "workers") {
		t.Errorf("bad workers: exit %d, %q", code, errOut)
	}
}

func TestStatusAndRetryCommands(t *testing.T) {
	rcv := dialecttest.NewReceiver(t)
	url, db := setUp(t, rcv, 0)
	ids := strings.Fields(mustRun(t, "push", "--database-url", url, "--receivers", "a,b,c", "--title", "t"))
	if _, err := db.Exec(`UPDATE relay.message SET status = 'dead', last_error = 'HTTP 400' WHERE id = $1`, ids[0]); err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, "status", "--database-url", url, "--json")
	var st struct {
		Channels map[string]map[string]int
		Due      int
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if st.Channels["hook"]["pending"] != 2 || st.Channels["hook"]["dead"] != 1 || st.Due != 2 {
		t.Fatalf("status --json = %s", out)
	}
	out = mustRun(t, "status", "--database-url", url)
	if !strings.Contains(out, "hook") || !strings.Contains(out, "due now: 2") {
		t.Fatalf("status:\n%s", out)
	}
	out = mustRun(t, "retry", "--database-url", url, "--dead", "--channel", "hook")
	if !strings.Contains(out, "retried 1 message(s): "+ids[0]) {
		t.Fatalf("retry --dead: %s", out)
	}
	code, _, errOut := runCLI(t, "retry", "--database-url", url, ids[1], "999999")
	if code != 1 || !strings.Contains(errOut, "999999") {
		t.Fatalf("retry of a missing id: exit %d %q", code, errOut)
	}
	if code, _, _ := runCLI(t, "retry", "--database-url", url); code != 2 {
		t.Fatalf("retry without ids: exit %d", code)
	}
}
