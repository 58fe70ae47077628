package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/pgserver/pgtest"
)

func TestEndpointCommands(t *testing.T) {
	url := pgtest.Migrated(t)
	out := mustRun(t, "endpoint", "list", "--database-url", url)
	if !strings.Contains(out, "no endpoints") {
		t.Fatalf("list of none: %q", out)
	}
	mustRun(t, "endpoint", "add", "--database-url", url, "--auth", "basic", "--caller", "crm",
		"--secret-env", "DBRELAY_SECRET_CRM", "--rate", "600", "--max-body", "4096", "/orders")

	// --secret-stdin stores a bcrypt hash of what comes on standard input.
	app := newApp()
	var stdout, stderr bytes.Buffer
	app.Reader, app.Writer, app.ErrWriter = strings.NewReader("pa55 word\n"), &stdout, &stderr
	if err := app.RunContext(context.Background(), []string{"dbrelay", "endpoint", "add", "--database-url", url,
		"--auth", "bearer", "--caller", "oa", "--secret-stdin", "/forms"}); err != nil {
		t.Fatalf("add with --secret-stdin: %v %s", err, stderr.String())
	}
	db, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var hash string
	if err := db.QueryRow(`SELECT secret_hash FROM relay.endpoint WHERE path = '/forms'`).Scan(&hash); err != nil || !strings.HasPrefix(hash, "$2") {
		t.Fatalf("stored hash %q, %v", hash, err)
	}

	out = mustRun(t, "endpoint", "list", "--database-url", url)
	for _, s := range []string{"/orders", "relay.on_inbound", "env DBRELAY_SECRET_CRM", "600", "4096", "/forms", "bcrypt hash"} {
		if !strings.Contains(out, s) {
			t.Errorf("list lacks %q:\n%s", s, out)
		}
	}
	if strings.Contains(out, hash) {
		t.Error("list shows the hash")
	}
	var listed []map[string]any
	if err := json.Unmarshal([]byte(mustRun(t, "endpoint", "list", "--json", "--database-url", url)), &listed); err != nil || len(listed) != 2 {
		t.Fatalf("list --json: %v %v", listed, err)
	}

	for _, c := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"add", "--auth", "basic", "--caller", "x", "--secret-env", "DBRELAY_SECRET_X", "/orders"}, 1, "already exists"},
		{[]string{"add", "--auth", "basic", "--caller", "x", "--secret-env", "DBRELAY_SECRET_X", "/a b"}, 2, "path"},
		{[]string{"add", "--auth", "none", "--caller", "x", "--secret-env", "DBRELAY_SECRET_X", "/x"}, 2, "basic, bearer, webhook or digest"},
		{[]string{"add", "--auth", "webhook", "--caller", "x", "--secret-hash", "$2b$10$" + strings.Repeat("a", 53), "/x"}, 2, "not a hash"},
		{[]string{"add", "--auth", "basic", "--caller", "x", "--secret-env", "DBRELAY_SECRET_X", "--procedure", "app.missing", "/x"}, 1, "app.missing"},
		{[]string{"add", "--auth", "basic", "--caller", "x", "--secret-env", "DBRELAY_SECRET_X", "--procedure", "relay.x;drop", "/x"}, 2, "schema.name"},
		{[]string{"add", "--caller", "x", "/x"}, 2, "needs --auth"},
		{[]string{"add", "/x", "--auth", "basic"}, 2, "put the flags before"},
		{[]string{"disable", "/nope"}, 1, "no endpoint /nope"},
		{[]string{"disable"}, 2, "PATH"},
	} {
		code, _, errOut := runCLI(t, append([]string{"endpoint", c.args[0], "--database-url", url}, c.args[1:]...)...)
		if code != c.code || !strings.Contains(errOut, c.says) {
			t.Errorf("endpoint %s: exit %d %q, want exit %d saying %q", strings.Join(c.args, " "), code, errOut, c.code, c.says)
		}
	}
	if out := mustRun(t, "endpoint", "disable", "--database-url", url, "/orders"); !strings.Contains(out, "disabled /orders") {
		t.Fatalf("disable: %q", out)
	}
	var enabled bool
	db.QueryRow(`SELECT enabled FROM relay.endpoint WHERE path = '/orders'`).Scan(&enabled)
	if enabled {
		t.Fatal("/orders still enabled")
	}
	mustRun(t, "endpoint", "enable", "--database-url", url, "/orders")
	db.QueryRow(`SELECT enabled FROM relay.endpoint WHERE path = '/orders'`).Scan(&enabled)
	if !enabled {
		t.Fatal("/orders not enabled again")
	}
}

// freeAddr returns a free 127.0.0.1 address.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// post sends body to serve, retrying while it is not listening yet.
func post(t *testing.T, url, token, body string) (int, string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		req, _ := http.NewRequest("POST", url, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return resp.StatusCode, string(b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("POST %s: %v", url, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// `dbrelay serve` as a process: answers, counts, and stops on SIGTERM.
func TestServeProcess(t *testing.T) {
	url := pgtest.Migrated(t)
	mustRun(t, "endpoint", "add", "--database-url", url, "--auth", "bearer", "--caller", "erp", "--secret-env", "ERP_TOKEN", "/inbox")
	t.Setenv("ERP_TOKEN", "tok-123")
	// Not allowed: serve refuses to start, naming the variable.
	code, _, errOut := runCLI(t, "serve", "--database-url", url, "--addr", freeAddr(t))
	if code != 1 || !strings.Contains(errOut, "ERP_TOKEN") || !strings.Contains(errOut, "--allow-secret-env") {
		t.Fatalf("serve with a secret env that is not allowed: exit %d %q", code, errOut)
	}
	addr, ops := freeAddr(t), freeAddr(t)
	p := startDbrelay(t, "serve", "--database-url", url, "--addr", addr, "--http", ops, "--allow-secret-env", "ERP_TOKEN", "--log-format", "text")
	status, body := post(t, "http://"+addr+"/inbox", "tok-123", `{"form": "请假单", "days": 2}`)
	if status != http.StatusAccepted || !strings.Contains(body, "inbound_id") {
		t.Fatalf("POST /inbox: %d %s", status, body)
	}
	if status, _ := post(t, "http://"+addr+"/inbox", "wrong", `{}`); status != http.StatusUnauthorized {
		t.Fatalf("wrong token: %d", status)
	}
	resp, err := http.Get("http://" + ops + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, s := range []string{`dbrelay_inbound_requests_total{endpoint="/inbox",outcome="ok"} 1`, `dbrelay_inbound_requests_total{endpoint="/inbox",outcome="unauthorized"} 1`} {
		if !strings.Contains(string(metrics), s) {
			t.Errorf("/metrics lacks %s", s)
		}
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t, 20*time.Second); code != 0 {
		t.Fatalf("serve exited %d after SIGTERM:\n%s", code, p.out.String())
	}
	db, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n := scalar(t, db, `SELECT count(*) FROM relay.inbound WHERE body->>'form' = '请假单' AND caller = 'erp'`); n != 1 {
		t.Fatalf("%d recorded requests", n)
	}
}

func TestServeRefusesPlainHTTPOnPublicAddress(t *testing.T) {
	url := pgtest.Migrated(t)
	code, _, errOut := runCLI(t, "serve", "--database-url", url, "--addr", "0.0.0.0:0")
	if code != 2 || !strings.Contains(errOut, "--tls-cert") || !strings.Contains(errOut, "--allow-plain-http") {
		t.Fatalf("serve on 0.0.0.0 without TLS: exit %d %q", code, errOut)
	}
	code, _, errOut = runCLI(t, "serve", "--database-url", url, "--tls-cert", "cert.pem")
	if code != 2 || !strings.Contains(errOut, "--tls-key") {
		t.Fatalf("--tls-cert without --tls-key: exit %d %q", code, errOut)
	}
}

// docs/postgres-roles.sql's relay_serve is enough to serve, and no more.
func TestServeRole(t *testing.T) {
	url := pgtest.Migrated(t)
	db, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() }) // after createRoles' cleanup, which needs it
	createRoles(t, db)
	if _, err := db.Exec(`ALTER ROLE relay_serve LOGIN`); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "endpoint", "add", "--database-url", url, "--auth", "bearer", "--caller", "erp", "--secret-env", "DBRELAY_SECRET_ERP", "/inbox")
	t.Setenv("DBRELAY_SECRET_ERP", "tok-456")
	as := strings.Replace(url, "postgres@", "relay_serve@", 1)
	addr := freeAddr(t)
	p := startDbrelay(t, "serve", "--database-url", as, "--addr", addr, "--log-format", "text")
	for i, c := range []struct {
		token string
		want  int
	}{{"tok-456", 202}, {"tok-456", 202}, {"bad", 401}} {
		if status, body := post(t, "http://"+addr+"/inbox", c.token, `{"i": 1}`); status != c.want {
			t.Fatalf("request %d as relay_serve: %d %s", i, status, body)
		}
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.wait(t, 20*time.Second)
	if n := scalar(t, db, `SELECT count(*) FROM relay.inbound`); n != 3 {
		t.Fatalf("%d rows in relay.inbound, want 3", n)
	}
	serveDB, err := sql.Open("postgres", as)
	if err != nil {
		t.Fatal(err)
	}
	defer serveDB.Close()
	for _, q := range []string{`SELECT count(*) FROM relay.message`, `SELECT count(*) FROM relay.channel`, `UPDATE relay.endpoint SET enabled = false`, `CALL relay.push('a', 'b', 'c', 'd')`} {
		if _, err := serveDB.Exec(q); err == nil {
			t.Errorf("relay_serve may run %s", q)
		}
	}
}
