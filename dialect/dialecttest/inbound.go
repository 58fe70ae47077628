package dialecttest

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/dialect"
)

// runInboundSuite runs `dbrelay serve`'s database side (dialect.Inbound)
// against the dialect: endpoints, the procedure contract, one transaction
// per request, idempotency keys, the audit trail.
func runInboundSuite(t *testing.T, h Harness) {
	t.Run("InboundEndpoints", func(t *testing.T) { testInboundEndpoints(t, h) })
	t.Run("InboundEndpointChecks", func(t *testing.T) { testInboundEndpointChecks(t, h) })
	t.Run("InboundResolve", func(t *testing.T) { testInboundResolve(t, h) })
	t.Run("InboundHandle", func(t *testing.T) { testInboundHandle(t, h) })
	t.Run("InboundReplay", func(t *testing.T) { testInboundReplay(t, h) })
	t.Run("InboundConcurrentKey", func(t *testing.T) { testInboundConcurrentKey(t, h) })
	t.Run("InboundRecordAndForget", func(t *testing.T) { testInboundRecordAndForget(t, h) })
}

// AppSchema is an integrator's schema for endpoint tests, per dialect name
// (each string one batch, to run without placeholders: ? is a jsonb
// operator): a table app.orders and a procedure app.on_order with the
// endpoint contract that inserts one row per request and answers 201 with
// {"order": id, "caller": caller}. The body steers it: {"fail": msg}
// raises "order refused: msg"; {"refuse": true} inserts, then answers 409
// (so the insert must be rolled back); {"sleep": seconds} waits first.
// app.wrong has another signature.
func AppSchema(dialectName string) []string { return appSchema[dialectName] }

var appSchema = map[string][]string{
	"postgres": {`
CREATE SCHEMA app;
CREATE TABLE app.orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, inbound_id bigint NOT NULL,
                         endpoint text NOT NULL, caller text NOT NULL, body jsonb NOT NULL);
CREATE FUNCTION app.on_order(inbound_id bigint, endpoint text, caller text, body jsonb,
                             OUT status integer, OUT response jsonb)
LANGUAGE plpgsql AS $$
DECLARE
    new_id bigint;
BEGIN
    IF body ? 'fail' THEN
        RAISE EXCEPTION 'order refused: %', body->>'fail';
    END IF;
    IF body ? 'sleep' THEN
        PERFORM pg_sleep((body->>'sleep')::float8);
    END IF;
    INSERT INTO app.orders (inbound_id, endpoint, caller, body)
    VALUES (on_order.inbound_id, on_order.endpoint, on_order.caller, on_order.body)
    RETURNING id INTO new_id;
    IF body ? 'refuse' THEN
        status := 409;
        response := '{"error": "duplicate order"}';
        RETURN;
    END IF;
    status := 201;
    response := jsonb_build_object('order', new_id, 'caller', on_order.caller);
END
$$;
CREATE FUNCTION app.wrong(a bigint, b text, c text, d jsonb) RETURNS jsonb LANGUAGE sql AS 'SELECT d';`},
	"sqlserver": {
		`CREATE SCHEMA app`,
		`CREATE TABLE app.orders (id bigint IDENTITY (1, 1) PRIMARY KEY, inbound_id bigint NOT NULL,
			endpoint nvarchar(200) NOT NULL, caller nvarchar(200) NOT NULL, body nvarchar(max) NOT NULL)`,
		`CREATE PROCEDURE app.on_order
    @inbound_id bigint, @endpoint nvarchar(200), @caller nvarchar(200), @body nvarchar(max),
    @status int OUTPUT, @response nvarchar(max) OUTPUT
AS
BEGIN
    SET NOCOUNT ON;
    DECLARE @msg nvarchar(2048);
    DECLARE @id bigint;
    DECLARE @delay datetime;
    IF JSON_VALUE(@body, '$.fail') IS NOT NULL
    BEGIN
        SET @msg = N'order refused: ' + JSON_VALUE(@body, '$.fail');
        THROW 50100, @msg, 1;
    END;
    IF JSON_VALUE(@body, '$.sleep') IS NOT NULL
    BEGIN
        SET @delay = DATEADD(millisecond, CONVERT(int, 1000 * CONVERT(float, JSON_VALUE(@body, '$.sleep'))), CONVERT(datetime, 0));
        WAITFOR DELAY @delay;
    END;
    INSERT INTO app.orders (inbound_id, endpoint, caller, body) VALUES (@inbound_id, @endpoint, @caller, @body);
    SET @id = CONVERT(bigint, SCOPE_IDENTITY());
    IF JSON_VALUE(@body, '$.refuse') IS NOT NULL
    BEGIN
        SET @status = 409;
        SET @response = N'{"error": "duplicate order"}';
        RETURN;
    END;
    SET @status = 201;
    SET @response = N'{"order": ' + CONVERT(nvarchar(20), @id) + N', "caller": "' + STRING_ESCAPE(@caller, 'json') + N'"}';
END`,
		`CREATE PROCEDURE app.wrong @a bigint, @b nvarchar(200) AS SELECT @a`,
	},
}

// inboundDB is a fresh database with the app procedure, an endpoint /orders
// running it and /inbox running the default, and serve's statements.
type inboundDB struct {
	*db
	in    *dialect.Inbound
	stmts dialect.InboundStatements
	order *dialect.Procedure
}

func freshInbound(t *testing.T, h Harness) *inboundDB {
	t.Helper()
	d := fresh(t, h)
	for _, batch := range AppSchema(d.Dialect.Name()) {
		if _, err := d.DB.Exec(batch); err != nil { // not rebound: ? is a jsonb operator
			t.Fatalf("%s: %v", batch, err)
		}
	}
	in, err := dialect.InboundOf(d.Conn)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, e := range []dialect.Endpoint{
		{Path: "/orders", Procedure: "app.on_order", Auth: dialect.AuthBasic, Caller: "crm", SecretEnv: "DBRELAY_SECRET_X", MaxBodyBytes: 1 << 20, Enabled: true},
		{Path: "/inbox", Procedure: dialect.DefaultProcedure, Auth: dialect.AuthWebhook, Caller: "peer", SecretEnv: "DBRELAY_SECRET_Y", MaxBodyBytes: 1 << 20, Enabled: true},
	} {
		if err := in.AddEndpoint(ctx, d.DB, e); err != nil {
			t.Fatalf("add %s: %v", e.Path, err)
		}
	}
	stmts, err := in.PrepareInbound(ctx, d.DB)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stmts.Close() })
	order, err := stmts.Resolve(ctx, "app.on_order", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { order.Close() })
	return &inboundDB{db: d, in: in, stmts: stmts, order: order}
}

func request(endpoint, body, key string) *dialect.InboundRequest {
	return &dialect.InboundRequest{Endpoint: endpoint, Caller: "crm", RemoteAddr: "127.0.0.1:5555",
		Headers: `{"user-agent": "test"}`, Body: body, IdempotencyKey: key, Started: time.Now()}
}

func (d *inboundDB) handle(p *dialect.Procedure, req *dialect.InboundRequest) (dialect.InboundAnswer, error) {
	return d.stmts.Handle(context.Background(), p, req)
}

func testInboundEndpoints(t *testing.T, h Harness) {
	d := freshInbound(t, h)
	ctx := context.Background()
	got, err := d.in.Endpoints(ctx, d.DB)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Path != "/inbox" || got[1].Path != "/orders" {
		t.Fatalf("endpoints %+v", got)
	}
	o := got[1]
	if o.Procedure != "app.on_order" || o.Auth != "basic" || o.Caller != "crm" || o.SecretEnv != "DBRELAY_SECRET_X" ||
		o.SecretHash != "" || o.MaxBodyBytes != 1<<20 || o.RatePerMinute != 0 || !o.Enabled || o.CreatedAt.IsZero() {
		t.Fatalf("/orders read back as %+v", o)
	}
	dup := o
	dup.Procedure = dialect.DefaultProcedure
	if err := d.in.AddEndpoint(ctx, d.DB, dup); !errors.Is(err, dialect.ErrEndpointExists) {
		t.Fatalf("second /orders: %v, want ErrEndpointExists", err)
	}
	// Paths are compared exactly, case included.
	upper := o
	upper.Path, upper.RatePerMinute, upper.SecretEnv = "/Orders", 600, ""
	upper.SecretHash = "$2b$10$" + strings.Repeat("a", 53)
	if err := d.in.AddEndpoint(ctx, d.DB, upper); err != nil {
		t.Fatalf("/Orders beside /orders: %v", err)
	}
	for _, c := range []struct {
		enabled bool
		path    string
		found   bool
	}{{false, "/orders", true}, {true, "/orders", true}, {false, "/nope", false}} {
		found, err := d.in.SetEndpointEnabled(ctx, d.DB, c.path, c.enabled)
		if err != nil || found != c.found {
			t.Fatalf("enable(%s, %v) = %v, %v", c.path, c.enabled, found, err)
		}
	}
	if n := d.count(`SELECT count(*) FROM relay.endpoint WHERE enabled = ?`, true); n != 3 {
		t.Fatalf("%d enabled endpoints, want 3", n)
	}
}

// Rows written by hand are held to the same rules as `dbrelay endpoint add`.
func testInboundEndpointChecks(t *testing.T, h Harness) {
	d := fresh(t, h)
	insert := `INSERT INTO relay.endpoint (path, procedure_name, auth, caller, secret_env, secret_hash) VALUES (?, ?, ?, ?, ?, ?)`
	hash := "$2b$10$" + strings.Repeat("a", 53)
	good := []any{"/a/b-c_d.e~f", "relay.on_inbound", "basic", "crm", "DBRELAY_SECRET_X", nil}
	d.exec(insert, good...)
	for name, row := range map[string][]any{
		"quote in path":           {"/a'b", "relay.on_inbound", "basic", "crm", "E", nil},
		"dot-dot segment":         {"/a/../b", "relay.on_inbound", "basic", "crm", "E", nil},
		"trailing slash":          {"/a/", "relay.on_inbound", "basic", "crm", "E", nil},
		"no leading slash":        {"a", "relay.on_inbound", "basic", "crm", "E", nil},
		"statement in procedure":  {"/p1", "relay.x; DROP TABLE relay.inbound", "basic", "crm", "E", nil},
		"unqualified procedure":   {"/p2", "on_inbound", "basic", "crm", "E", nil},
		"quoted procedure":        {"/p3", `relay."x"`, "basic", "crm", "E", nil},
		"unknown auth":            {"/p4", "relay.on_inbound", "none", "crm", "E", nil},
		"colon in caller":         {"/p5", "relay.on_inbound", "basic", "a:b", "E", nil},
		"no secret":               {"/p6", "relay.on_inbound", "basic", "crm", nil, nil},
		"two secrets":             {"/p7", "relay.on_inbound", "basic", "crm", "E", hash},
		"hash for webhook":        {"/p8", "relay.on_inbound", "webhook", "crm", nil, hash},
		"not a bcrypt hash":       {"/p9", "relay.on_inbound", "basic", "crm", nil, "plain-text-password"},
		"env name with a space":   {"/p10", "relay.on_inbound", "basic", "crm", "A B", nil},
		"upper-case auth keyword": {"/p11", "relay.on_inbound", "BASIC", "crm", "E", nil},
	} {
		if _, err := d.DB.Exec(d.rebind(insert), row...); err == nil {
			t.Errorf("%s: relay.endpoint accepted %v", name, row)
		}
	}
	if n := d.count(`SELECT count(*) FROM relay.endpoint`); n != 1 {
		t.Fatalf("%d endpoints, want only the good one", n)
	}
}

func testInboundResolve(t *testing.T, h Harness) {
	d := freshInbound(t, h)
	ctx := context.Background()
	def, err := d.stmts.Resolve(ctx, dialect.DefaultProcedure, nil)
	if err != nil {
		t.Fatalf("the default procedure does not have the contract's signature: %v", err)
	}
	defer def.Close()
	if again, err := d.stmts.Resolve(ctx, dialect.DefaultProcedure, def); err != nil || again != def {
		t.Fatalf("resolving an unchanged procedure again gave %v, %v; want the same one", again, err)
	}
	for name, says := range map[string]string{"app.missing": "app.missing", "app.wrong": "app.wrong"} {
		if _, err := d.stmts.Resolve(ctx, name, nil); err == nil || !strings.Contains(err.Error(), says) {
			t.Errorf("Resolve(%s) = %v", name, err)
		}
	}
}

func testInboundHandle(t *testing.T, h Harness) {
	d := freshInbound(t, h)
	ctx := context.Background()
	body := `{"item": "钢笔", "qty": 2}`
	a, err := d.handle(d.order, request("/orders", body, ""))
	if err != nil || !a.Committed || a.Status != 201 || a.ID == 0 {
		t.Fatalf("handle: %+v, %v", a, err)
	}
	var resp map[string]any
	if err := json.Unmarshal([]byte(a.Response), &resp); err != nil || resp["order"] == nil {
		t.Fatalf("response %q: %v", a.Response, err)
	}
	if n := d.count(`SELECT count(*) FROM app.orders WHERE inbound_id = ? AND caller = ? AND endpoint = ?`, a.ID, "crm", "/orders"); n != 1 {
		t.Fatalf("the procedure's row is missing (%d)", n)
	}
	if n := d.count(`SELECT count(*) FROM relay.inbound WHERE id = ? AND status = 201 AND outcome = 'ok' AND caller = 'crm' AND remote_addr = '127.0.0.1:5555' AND duration_ms >= 0`, a.ID); n != 1 {
		t.Fatal("relay.inbound does not record the answered request")
	}

	// The default procedure: 202 and the request's id.
	def, err := d.stmts.Resolve(ctx, dialect.DefaultProcedure, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer def.Close()
	a, err = d.handle(def, request("/inbox", `[1, 2, 3]`, ""))
	if err != nil || !a.Committed || a.Status != 202 || !strings.Contains(strings.ReplaceAll(a.Response, " ", ""), `"inbound_id":`) {
		t.Fatalf("default procedure: %+v, %v", a, err)
	}

	// Refused (409 after an insert) and raised: nothing is left behind.
	before := d.count(`SELECT count(*) FROM relay.inbound`)
	a, err = d.handle(d.order, request("/orders", `{"refuse": true}`, "k-refused"))
	if err != nil || a.Committed || a.Status != 409 || !strings.Contains(a.Response, "duplicate order") {
		t.Fatalf("refusing procedure: %+v, %v", a, err)
	}
	_, err = d.handle(d.order, request("/orders", `{"fail": "没有库存"}`, "k-failed"))
	var pe *dialect.ProcedureError
	if !errors.As(err, &pe) || !strings.Contains(pe.Message, "order refused: 没有库存") {
		t.Fatalf("raising procedure: %v (%T), want a ProcedureError with its message", err, err)
	}
	if n := d.count(`SELECT count(*) FROM app.orders`); n != 1 {
		t.Fatalf("%d orders: a refused or failed request left its insert", n)
	}
	if n := d.count(`SELECT count(*) FROM relay.inbound`); n != before {
		t.Fatalf("refused and failed requests left %d rows in relay.inbound (the caller records them)", n-before)
	}
	if n := d.count(`SELECT count(*) FROM relay.inbound_seen`); n != 0 {
		t.Fatalf("refused and failed requests used up %d idempotency keys", n)
	}

	// A disabled endpoint is refused by the transaction itself.
	if _, err := d.in.SetEndpointEnabled(ctx, d.DB, "/orders", false); err != nil {
		t.Fatal(err)
	}
	if _, err := d.handle(d.order, request("/orders", `{}`, "")); !errors.Is(err, dialect.ErrEndpointGone) {
		t.Fatalf("disabled endpoint: %v, want ErrEndpointGone", err)
	}
}

func testInboundReplay(t *testing.T, h Harness) {
	d := freshInbound(t, h)
	first, err := d.handle(d.order, request("/orders", `{"n": 1}`, "evt_1"))
	if err != nil || !first.Committed {
		t.Fatalf("first: %+v, %v", first, err)
	}
	again, err := d.handle(d.order, request("/orders", `{"n": 1}`, "evt_1"))
	if err != nil || again.Committed || again.ReplayOf != first.ID || again.Status != first.Status || again.Response != first.Response {
		t.Fatalf("replay: %+v, %v; first %+v", again, err, first)
	}
	// Keys are per endpoint, and case matters.
	for _, c := range []struct{ endpoint, key string }{{"/inbox", "evt_1"}, {"/orders", "EVT_1"}} {
		p := d.order
		if c.endpoint == "/inbox" {
			if p, err = d.stmts.Resolve(context.Background(), dialect.DefaultProcedure, nil); err != nil {
				t.Fatal(err)
			}
			defer p.Close()
		}
		a, err := d.handle(p, request(c.endpoint, `{"n": 2}`, c.key))
		if err != nil || !a.Committed {
			t.Fatalf("key %s on %s: %+v, %v", c.key, c.endpoint, a, err)
		}
	}
	// A failed request does not use up its key.
	if _, err := d.handle(d.order, request("/orders", `{"fail": "x"}`, "evt_2")); err == nil {
		t.Fatal("the failing call succeeded")
	}
	if a, err := d.handle(d.order, request("/orders", `{"n": 3}`, "evt_2")); err != nil || !a.Committed {
		t.Fatalf("retry after a failure: %+v, %v", a, err)
	}
	if n := d.count(`SELECT count(*) FROM app.orders`); n != 3 {
		t.Fatalf("%d orders, want 3", n)
	}
}

// Concurrent requests with one key: the procedure runs once; the others
// wait for its transaction and get its answer.
func testInboundConcurrentKey(t *testing.T, h Harness) {
	d := freshInbound(t, h)
	const n = 8
	answers := make([]dialect.InboundAnswer, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			answers[i], errs[i] = d.handle(d.order, request("/orders", `{"sleep": 0.3}`, "same"))
		}()
	}
	close(start)
	wg.Wait()
	committed := 0
	var id int64
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("request %d: %v", i, errs[i])
		}
		if answers[i].Committed {
			committed++
			id = answers[i].ID
		}
	}
	if committed != 1 {
		t.Fatalf("%d of %d concurrent requests with one key ran the procedure, want 1", committed, n)
	}
	for i, a := range answers {
		if !a.Committed && (a.ReplayOf != id || a.Status != 201) {
			t.Fatalf("answer %d: %+v, want a replay of %d", i, a, id)
		}
	}
	if c := d.count(`SELECT count(*) FROM app.orders`); c != 1 {
		t.Fatalf("%d orders, want 1", c)
	}
}

func testInboundRecordAndForget(t *testing.T, h Harness) {
	d := freshInbound(t, h)
	ctx := context.Background()
	id, err := d.in.Record(ctx, d.DB, &dialect.InboundRecord{Endpoint: "/orders", RemoteAddr: "10.0.0.1:1",
		Headers: `{"x-a": "1"}`, Status: 401, Outcome: dialect.OutcomeUnauthorized, Error: "wrong password", Duration: 3 * time.Millisecond})
	if err != nil || id == 0 {
		t.Fatalf("record: %d, %v", id, err)
	}
	if n := d.count(`SELECT count(*) FROM relay.inbound WHERE id = ? AND caller IS NULL AND body IS NULL AND idempotency_key IS NULL
		AND response IS NULL AND replay_of IS NULL AND error = 'wrong password' AND status = 401 AND duration_ms = 3`, id); n != 1 {
		t.Fatal("the recorded row differs from what was recorded")
	}
	id2, err := d.in.Record(ctx, d.DB, &dialect.InboundRecord{Endpoint: "/orders", Caller: "crm", Headers: `{}`,
		Body: `{"a": "钢笔"}`, IdempotencyKey: "k", Status: 201, Outcome: dialect.OutcomeReplayed, Response: `{"order": 1}`, ReplayOf: id})
	if err != nil {
		t.Fatal(err)
	}
	if n := d.count(`SELECT count(*) FROM relay.inbound WHERE id = ? AND caller = 'crm' AND replay_of = ? AND idempotency_key = 'k'`, id2, id); n != 1 {
		t.Fatal("the replay's row differs from what was recorded")
	}

	for _, key := range []string{"a", "b"} {
		if _, err := d.handle(d.order, request("/orders", `{}`, key)); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := d.in.ForgetSeen(ctx, d.DB, time.Hour); err != nil || n != 0 {
		t.Fatalf("forgetting keys older than an hour: %d, %v", n, err)
	}
	d.exec(`UPDATE relay.inbound_seen SET seen_at = ? WHERE idempotency_key = 'a'`, time.Now().Add(-48*time.Hour).UTC())
	if n, err := d.in.ForgetSeen(ctx, d.DB, 24*time.Hour); err != nil || n != 1 {
		t.Fatalf("forgetting keys older than a day: %d, %v, want 1", n, err)
	}
	if a, err := d.handle(d.order, request("/orders", `{}`, "a")); err != nil || !a.Committed {
		t.Fatalf("a forgotten key runs again: %+v, %v", a, err)
	}
	if a, err := d.handle(d.order, request("/orders", `{}`, "b")); err != nil || a.ReplayOf == 0 {
		t.Fatalf("a remembered key is a replay: %+v, %v", a, err)
	}
}
