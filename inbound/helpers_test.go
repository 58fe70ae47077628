package inbound

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/dialect"
	"github.com/dbrelay/dbrelay/dialect/dialecttest"
	"github.com/dbrelay/dbrelay/pgserver/pgtest"
	"github.com/dbrelay/dbrelay/secret"
	"github.com/prometheus/client_golang/prometheus"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// fixture is serve on 127.0.0.1 over a fresh migrated database.
type fixture struct {
	t      *testing.T
	db     *sql.DB
	conn   *dialect.Conn
	srv    *Server
	url    string
	reg    *prometheus.Registry
	client *http.Client
	stop   func() error // stops serve and returns what Serve returned
}

// Secrets the fixtures' endpoints use, allowed by their DBRELAY_SECRET_
// prefix.
const (
	basicPassword = "s3cret pa:ss 密码"
	bearerToken   = "tok_0123456789abcdef"
	webhookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	digestPass    = "Circle of Life"
)

var testEnv = map[string]string{
	"DBRELAY_SECRET_BASIC":   basicPassword,
	"DBRELAY_SECRET_BEARER":  bearerToken,
	"DBRELAY_SECRET_WEBHOOK": webhookSecret,
	"DBRELAY_SECRET_DIGEST":  digestPass,
}

// newDB returns a migrated database with appSchema.
func newDB(t *testing.T) (*dialect.Conn, *sql.DB) {
	t.Helper()
	conn, err := dialect.Open(pgtest.Migrated(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	for _, batch := range dialecttest.AppSchema("postgres") {
		if _, err := conn.DB.Exec(batch); err != nil {
			t.Fatal(err)
		}
	}
	return conn, conn.DB
}

// testEndpoint is an endpoint running app.on_order, with the fixture's secret
// for its scheme.
func testEndpoint(path, auth string) dialect.Endpoint {
	e := dialect.Endpoint{Path: path, Procedure: "app.on_order", Auth: auth, Caller: "crm",
		MaxBodyBytes: 1024, Enabled: true}
	switch auth {
	case dialect.AuthBasic:
		e.SecretEnv = "DBRELAY_SECRET_BASIC"
	case dialect.AuthBearer:
		e.SecretEnv = "DBRELAY_SECRET_BEARER"
	case dialect.AuthWebhook:
		e.SecretEnv = "DBRELAY_SECRET_WEBHOOK"
	case dialect.AuthDigest:
		e.Caller = "Mufasa"
		e.SecretEnv = "DBRELAY_SECRET_DIGEST"
	}
	return e
}

func addEndpoints(t *testing.T, conn *dialect.Conn, eps ...dialect.Endpoint) {
	t.Helper()
	in, err := dialect.InboundOf(conn)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range eps {
		if err := ValidateEndpoint(e); err != nil {
			t.Fatal(err)
		}
		if err := in.AddEndpoint(context.Background(), conn.DB, e); err != nil {
			t.Fatal(err)
		}
	}
}

// serve starts serve on 127.0.0.1 with the given endpoints and config.
func serve(t *testing.T, cfg Config, eps ...dialect.Endpoint) *fixture {
	t.Helper()
	conn, db := newDB(t)
	addEndpoints(t, conn, eps...)
	return serveOn(t, conn, db, cfg)
}

func serveOn(t *testing.T, conn *dialect.Conn, db *sql.DB, cfg Config) *fixture {
	t.Helper()
	f := &fixture{t: t, db: db, conn: conn, reg: prometheus.NewRegistry()}
	if cfg.Secrets == nil {
		cfg.Secrets = secret.FromMap(testEnv)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		if testing.Verbose() {
			cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
		}
	}
	cfg.Metrics = NewMetrics(f.reg)
	srv, err := New(context.Background(), conn, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	stopped := false
	var result error
	f.stop = func() error {
		if !stopped {
			stopped = true
			cancel()
			select {
			case result = <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("serve did not stop within 30s")
			}
		}
		return result
	}
	t.Cleanup(func() { f.stop() })
	f.srv, f.url = srv, "http://"+ln.Addr().String()
	f.client = &http.Client{Timeout: 30 * time.Second}
	return f
}

// response is what a request got back.
type response struct {
	status int
	header http.Header
	body   string
}

// json decodes the body.
func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	return m
}

// do sends a request and reads the whole answer.
func (f *fixture) do(method, path string, body []byte, header http.Header) response {
	f.t.Helper()
	req, err := http.NewRequest(method, f.url+path, bytes.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return f.send(req)
}

func (f *fixture) send(req *http.Request) response {
	f.t.Helper()
	resp, err := f.client.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func basic(user, password string) http.Header {
	r, _ := http.NewRequest("GET", "/", nil)
	r.SetBasicAuth(user, password)
	return r.Header
}

func bearer(token string) http.Header { return http.Header{"Authorization": {"Bearer " + token}} }

func (f *fixture) count(query string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.db.QueryRow(query, args...).Scan(&n); err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// audit is one row of relay.inbound.
type audit struct {
	ID                                int64
	Endpoint, Outcome                 string
	Caller, Body, Key, Error, Headers sql.NullString
	Status                            int
	Response                          sql.NullString
	ReplayOf                          sql.NullInt64
}

func (f *fixture) audits() []audit {
	f.t.Helper()
	rows, err := f.db.Query(`SELECT id, endpoint, outcome, caller, body::text, idempotency_key, error, headers::text,
		status, response::text, replay_of FROM relay.inbound ORDER BY id`)
	if err != nil {
		f.t.Fatal(err)
	}
	defer rows.Close()
	var out []audit
	for rows.Next() {
		var a audit
		if err := rows.Scan(&a.ID, &a.Endpoint, &a.Outcome, &a.Caller, &a.Body, &a.Key, &a.Error, &a.Headers,
			&a.Status, &a.Response, &a.ReplayOf); err != nil {
			f.t.Fatal(err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		f.t.Fatal(err)
	}
	return out
}

// lastAudit is the newest row of relay.inbound.
func (f *fixture) lastAudit() audit {
	f.t.Helper()
	all := f.audits()
	if len(all) == 0 {
		f.t.Fatal("relay.inbound is empty")
	}
	return all[len(all)-1]
}

// want fails unless the response has the status and its body contains
// every fragment.
func want(t *testing.T, what string, r response, status int, fragments ...string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d (body %s)", what, r.status, status, r.body)
	}
	for _, s := range fragments {
		if !strings.Contains(r.body, s) {
			t.Fatalf("%s: body %s lacks %q", what, r.body, s)
		}
	}
}
