// Package demo shows dbrelay end to end in one run: a private PostgreSQL (or
// a database given by URL), the migrations, a local sample webhook receiver,
// channels and receivers registered as rows, messages pushed through
// relay.push, the listener delivering them (one endpoint failing, so a retry
// and a dead letter show), and relay_api.outbox at the end.
//
// On a database given by URL, which may have a queue of its own, the demo
// touches only what it created: its channels and receivers carry a name of
// this run's own (demo-<random>-…), its listener claims only their messages
// (listener.Config.Channels), its receiver without a preference is routed
// to its own inbox channel rather than through the database's default
// channel, and everything it wrote is removed at the end.
package demo

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/dbrelay/dbrelay/channel/senders"
	"github.com/dbrelay/dbrelay/dialect"
	_ "github.com/dbrelay/dbrelay/dialect/postgres" // the demo runs on PostgreSQL
	"github.com/dbrelay/dbrelay/listener"
	"github.com/dbrelay/dbrelay/pgserver"
	"github.com/dbrelay/dbrelay/schema"
	"github.com/dbrelay/dbrelay/secret"
)

// Options configure a demo run.
type Options struct {
	// DatabaseURL runs the demo against an existing database; "" starts a
	// private PostgreSQL in a temporary directory and removes it afterwards.
	DatabaseURL string
	// Out receives the demo's narration.
	Out io.Writer
	// Timeout bounds the delivery phase (default 60s).
	Timeout time.Duration
}

// signingKey signs the demo's webhooks; it lives only in this process.
const signingKey = "whsec_ZGJyZWxheS1kZW1vLXNpZ25pbmcta2V5LTAx"

// Run performs the demo. It returns an error when any step fails or when
// the messages do not all reach a final state in time.
func Run(ctx context.Context, opts Options) error {
	if opts.Timeout == 0 {
		opts.Timeout = 60 * time.Second
	}
	out := opts.Out
	say := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }

	url := opts.DatabaseURL
	if url == "" {
		say("== starting a private PostgreSQL in a temporary directory")
		srv, err := pgserver.Start(ctx, pgserver.Options{Logf: func(f string, a ...any) { say("   "+f, a...) }})
		if err != nil {
			return err
		}
		defer func() {
			srv.Stop()
			say("== stopped PostgreSQL and removed %s", srv.Dir)
		}()
		url = srv.URL("postgres")
	}
	conn, err := dialect.Open(url)
	if err != nil {
		return err
	}
	defer conn.Close()
	if conn.Dialect.Name() != "postgres" {
		return fmt.Errorf("the demo is written for PostgreSQL; give it a postgres:// URL, or none for a private server")
	}
	if err := conn.Ping(ctx); err != nil {
		return err
	}

	say("== dbrelay migrate up")
	if err := (&schema.Migrator{Conn: conn, Logf: func(f string, a ...any) { say("   "+f, a...) }}).Up(ctx); err != nil {
		return err
	}

	rcv, err := startReceiver(say)
	if err != nil {
		return err
	}
	defer rcv.Close()
	say("== sample webhook receiver on %s: /crm answers 200, /sms 503 once then 200, /erp always 503", rcv.url)

	shared := opts.DatabaseURL != ""
	names, err := newNames(shared)
	if err != nil {
		return err
	}
	defer cleanup(conn, names, shared, say)
	if err := register(ctx, conn, rcv.url, names, shared, say); err != nil {
		return err
	}

	ids, err := pushSamples(ctx, conn, names, say)
	if err != nil {
		return err
	}

	say("== dbrelay listen --channels %s (retry after 200ms, doubling; max_attempts of %s is 3)", strings.Join(names.channels(), ","), names.erp)
	var mu sync.Mutex
	cfg := listener.Config{
		Workers:      4,
		PollInterval: 500 * time.Millisecond,
		RetryBase:    200 * time.Millisecond,
		RetryMax:     time.Second,
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		Senders:      senders.Default(4),
		Env:          secret.FromMap(map[string]string{"DBRELAY_SECRET_DEMO": signingKey}),
		Channels:     names.channels(),
		Observe: func(a listener.Attempt) {
			mu.Lock()
			defer mu.Unlock()
			say("   %s", describe(a))
		},
	}
	lctx, stop := context.WithCancel(ctx)
	l, err := listener.New(lctx, conn, cfg)
	if err != nil {
		stop()
		return err
	}
	done := make(chan error, 1)
	go func() { done <- l.Run(lctx) }()
	waitErr := waitFinal(ctx, conn.DB, ids, opts.Timeout)
	stop()
	if err := <-done; err != nil {
		return err
	}
	if waitErr != nil {
		return waitErr
	}

	say("== SELECT id, receiver, channel, status, attempts, response_code, last_error FROM relay_api.outbox")
	if err := printOutbox(ctx, conn.DB, ids, out); err != nil {
		return err
	}
	say("== the receiver got %d requests; each carries the message key as webhook-id (for de-duplication), and those of demo-crm and demo-sms a webhook-signature", rcv.requests())
	return nil
}

// describe renders one attempt as a line of the narration.
func describe(a listener.Attempt) string {
	m := a.Message
	head := fmt.Sprintf("#%d %s → %s (attempt %d): ", m.ID, m.Receiver, m.Channel, m.Attempt)
	switch a.Status {
	case "sent":
		if a.Result.StatusCode == 0 {
			return head + "delivered to the internal inbox"
		}
		return head + fmt.Sprintf("HTTP %d, sent in %.1f ms", a.Result.StatusCode, float64(a.Duration.Microseconds())/1000)
	case "dead":
		return head + a.Result.Err + " → dead letter (see relay_api.failures; 'dbrelay retry' redelivers)"
	default:
		return head + a.Result.Err + fmt.Sprintf(" → retry in %s", a.RetryIn.Round(time.Millisecond))
	}
}

// names are the demo's channels and receivers. On a private server they
// are plain (demo-crm); on a shared database they carry a random tag of
// this run (demo-3f9a1c-crm), so that they cannot collide with the
// database's own rows, nor with another demo's, and cleanup removes
// exactly them.
type names struct {
	crm, sms, erp, inbox   string
	zhangsan, lisi, wangwu string
}

func newNames(shared bool) (names, error) {
	p := "demo-"
	if shared {
		b := make([]byte, 3)
		if _, err := rand.Read(b); err != nil {
			return names{}, err
		}
		p += hex.EncodeToString(b) + "-"
	}
	return names{crm: p + "crm", sms: p + "sms", erp: p + "erp", inbox: p + "inbox",
		zhangsan: p + "zhangsan", lisi: p + "lisi", wangwu: p + "wangwu"}, nil
}

func (n names) channels() []string  { return []string{n.crm, n.sms, n.erp, n.inbox} }
func (n names) receivers() []string { return []string{n.zhangsan, n.lisi, n.wangwu} }

// register inserts the demo's channels and receivers. On a private server
// the inbox channel is the default one, so that the receiver without a
// preference shows routing by default; on a shared database the demo
// leaves the default channel alone and gives that receiver a preference
// for its inbox instead.
func register(ctx context.Context, conn *dialect.Conn, base string, n names, shared bool, say func(string, ...any)) error {
	stmts := []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO relay.channel (code, kind, target, secret_env) VALUES ($1, 'webhook', $2, 'DBRELAY_SECRET_DEMO')`, []any{n.crm, base + "/crm"}},
		{`INSERT INTO relay.channel (code, kind, target, secret_env) VALUES ($1, 'webhook', $2, 'DBRELAY_SECRET_DEMO')`, []any{n.sms, base + "/sms"}},
		{`INSERT INTO relay.channel (code, kind, target, max_attempts) VALUES ($1, 'webhook', $2, 3)`, []any{n.erp, base + "/erp"}},
		{`INSERT INTO relay.channel (code, kind) VALUES ($1, 'internal')`, []any{n.inbox}},
		{`INSERT INTO relay.recipient (receiver, channel, address) VALUES ($1, $2, 'u1001'), ($1, $3, '+8613800000001'), ($4, $5, 'E-2002')`,
			[]any{n.zhangsan, n.crm, n.sms, n.lisi, n.erp}},
	}
	if shared {
		stmts = append(stmts, struct {
			sql  string
			args []any
		}{`INSERT INTO relay.recipient (receiver, channel, address) VALUES ($1, $2, '')`, []any{n.wangwu, n.inbox}})
	} else {
		stmts = append(stmts, struct {
			sql  string
			args []any
		}{`UPDATE relay.settings SET default_channel = $1 WHERE default_channel IS NULL`, []any{n.inbox}})
	}
	for _, s := range stmts {
		if _, err := conn.DB.ExecContext(ctx, s.sql, s.args...); err != nil {
			return fmt.Errorf("register the demo's channels: %w", conn.Dialect.Explain(err))
		}
	}
	say("== channels: %s, %s (webhooks, signed), %s (webhook, max_attempts 3), %s (internal)", n.crm, n.sms, n.erp, n.inbox)
	if shared {
		say("   %s prefers %s and %s; %s prefers %s; %s prefers %s (your default channel is left alone)",
			n.zhangsan, n.crm, n.sms, n.lisi, n.erp, n.wangwu, n.inbox)
	} else {
		say("   %s prefers %s and %s; %s prefers %s; %s has no preference: the default channel, %s",
			n.zhangsan, n.crm, n.sms, n.lisi, n.erp, n.wangwu, n.inbox)
	}
	return nil
}

func pushSamples(ctx context.Context, conn *dialect.Conn, n names, say func(string, ...any)) ([]int64, error) {
	var all []int64
	for _, p := range [][4]string{
		{"ccflow", n.zhangsan + ", " + n.lisi + "; " + n.wangwu, "请审批：差旅报销单 #2026-001", "张三提交了差旅报销，金额 ¥3,280.00，请在 OA 中审批。"},
		{"ccflow", n.zhangsan, "Step done: purchase request #77 approved", "ACTION_DONE by 王经理 at step 2"},
	} {
		ids, err := conn.Dialect.Push(ctx, conn.DB, p[0], p[1], p[2], p[3])
		if err != nil {
			return nil, err
		}
		say("== CALL relay.push(%q, %q, %q, …) → message ids %v", p[0], p[1], p[2], ids)
		all = append(all, ids...)
	}
	return all, nil
}

// waitFinal waits until every message is sent or dead.
func waitFinal(ctx context.Context, db *sql.DB, ids []int64, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var open int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM relay.message WHERE id = ANY($1::bigint[]) AND status IN ('pending', 'sending')`,
			"{"+join(ids)+"}").Scan(&open); err != nil {
			return err
		}
		if open == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d messages still not delivered after %v", open, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func printOutbox(ctx context.Context, db *sql.DB, ids []int64, out io.Writer) error {
	rows, err := db.QueryContext(ctx, `SELECT id, receiver, channel, status, attempts, coalesce(response_code::text, ''), coalesce(last_error, '')
		FROM relay_api.outbox WHERE id = ANY($1::bigint[]) ORDER BY id`, "{"+join(ids)+"}")
	if err != nil {
		return err
	}
	defer rows.Close()
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "   id\treceiver\tchannel\tstatus\tattempts\tresponse_code\tlast_error")
	for rows.Next() {
		var id int64
		var receiver, ch, status, code, lastErr string
		var attempts int
		if err := rows.Scan(&id, &receiver, &ch, &status, &attempts, &code, &lastErr); err != nil {
			return err
		}
		fmt.Fprintf(tw, "   %d\t%s\t%s\t%s\t%d\t%s\t%s\n", id, receiver, ch, status, attempts, code, lastErr)
	}
	tw.Flush()
	return rows.Err()
}

// cleanup removes what the demo wrote into a database that is not the
// demo's own, by the names of this run (a private server is thrown away
// whole): its messages with their attempts and queued hook runs, its
// receivers' preferences, its channels. It says so when a statement fails,
// naming what is left.
func cleanup(conn *dialect.Conn, n names, shared bool, say func(string, ...any)) {
	if !shared {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	chans := "{" + strings.Join(n.channels(), ",") + "}"
	rcvs := "{" + strings.Join(n.receivers(), ",") + "}"
	for _, s := range []struct{ sql, arg string }{
		{`DELETE FROM relay.hook_run WHERE channel = ANY($1::text[])`, chans},
		{`DELETE FROM relay.message WHERE channel = ANY($1::text[])`, chans}, // relay.delivery cascades
		{`DELETE FROM relay.recipient WHERE receiver = ANY($1::text[])`, rcvs},
		{`UPDATE relay.settings SET default_channel = NULL WHERE default_channel = ANY($1::text[])`, chans},
		{`DELETE FROM relay.channel WHERE code = ANY($1::text[])`, chans},
	} {
		if _, err := conn.DB.ExecContext(ctx, s.sql, s.arg); err != nil {
			say("== cleanup failed (%v); remove the demo's rows yourself: channels %s, receivers %s", conn.Dialect.Explain(err), chans, rcvs)
			return
		}
	}
	say("== removed the demo's channels, receivers and messages (%s)", strings.Join(n.channels(), ", "))
}

func join(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprint(id)
	}
	return strings.Join(s, ",")
}

// receiver is the demo's sample webhook endpoint.
type receiver struct {
	url string
	srv *http.Server
	mu  sync.Mutex
	n   map[string]int
}

func startReceiver(say func(string, ...any)) (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &receiver{url: "http://" + ln.Addr().String(), n: map[string]int{}}
	r.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		io.Copy(io.Discard, req.Body)
		r.mu.Lock()
		r.n[req.URL.Path]++
		n := r.n[req.URL.Path]
		r.mu.Unlock()
		switch {
		case req.URL.Path == "/erp", req.URL.Path == "/sms" && n == 1:
			http.Error(w, "upstream busy", http.StatusServiceUnavailable)
		default:
			fmt.Fprintln(w, "received", req.Header.Get("webhook-id"))
		}
	})}
	go r.srv.Serve(ln)
	return r, nil
}

func (r *receiver) requests() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	total := 0
	for _, n := range r.n {
		total += n
	}
	return total
}

func (r *receiver) Close() { r.srv.Close() }
