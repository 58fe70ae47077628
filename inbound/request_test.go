package inbound

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/dialect"
)

// Paths and bodies that look like SQL injection are only ever values: the
// paths match nothing, the body is stored as it came, and every table is
// still there.
func TestInjectionLookingInput(t *testing.T) {
	f := serve(t, Config{}, testEndpoint("/orders", dialect.AuthBasic))
	creds := basic("crm", basicPassword)
	for _, p := range []string{
		"/orders';DROP%20TABLE%20relay.inbound;--",
		"/orders%27%29%3B%20DELETE%20FROM%20app.orders%3B--",
		"/relay.on_inbound",
		"/orders/../relay",
		"/app.on_order(1,'x','y','{}')",
	} {
		r := f.do("POST", p, []byte(`{}`), creds)
		if r.status != http.StatusNotFound {
			t.Errorf("path %s: status %d, want 404", p, r.status)
		}
	}
	evil := `{"name": "x'); DROP TABLE app.orders; --", "proc": "relay.push", "q": "1; SELECT pg_sleep(10)", "$1": "\\"}`
	r := f.do("POST", "/orders", []byte(evil), creds)
	want(t, "injection-looking body", r, http.StatusCreated)
	if n := f.count(`SELECT count(*) FROM app.orders WHERE body = $1::jsonb`, evil); n != 1 {
		t.Fatalf("the body was not stored as sent (%d matching orders)", n)
	}
	// Headers and the idempotency key are values too.
	h := basic("crm", basicPassword)
	h.Set("Idempotency-Key", "k');DELETE_FROM_relay.inbound;--")
	h.Set("X-Note", "'; DROP TABLE relay.endpoint; --")
	want(t, "injection-looking headers", f.do("POST", "/orders", []byte(`{"n": 2}`), h), http.StatusCreated)
	for _, table := range []string{"relay.inbound", "relay.endpoint", "relay.inbound_seen", "app.orders"} {
		f.count(`SELECT count(*) FROM ` + table) // fails the test if the table is gone
	}
	if n := f.count(`SELECT count(*) FROM relay.inbound WHERE headers->>'x-note' = $1 AND idempotency_key = $2`,
		"'; DROP TABLE relay.endpoint; --", "k');DELETE_FROM_relay.inbound;--"); n != 1 {
		t.Fatalf("headers or key not recorded as sent (%d rows)", n)
	}
}

func TestOversizedBody(t *testing.T) {
	f := serve(t, Config{}, testEndpoint("/orders", dialect.AuthBasic))
	big := []byte(`{"pad": "` + strings.Repeat("x", 2000) + `"}`) // the limit is 1024
	want(t, "declared length over the limit", f.do("POST", "/orders", big, basic("crm", basicPassword)), http.StatusRequestEntityTooLarge, "1024 bytes")
	// Chunked, without Content-Length: cut at the limit while reading.
	req, err := http.NewRequest("POST", f.url+"/orders", io.MultiReader(bytes.NewReader(big)))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("crm", basicPassword)
	if r := f.send(req); r.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("chunked body over the limit: %d %s", r.status, r.body)
	}
	// Exactly at the limit is fine.
	exact := []byte(`{"pad": "` + strings.Repeat("y", 1024-len(`{"pad": ""}`)) + `"}`)
	want(t, "body at the limit", f.do("POST", "/orders", exact, basic("crm", basicPassword)), http.StatusCreated)
	// Unauthenticated oversized bodies get 401: the size of nothing is
	// told to someone who cannot call.
	want(t, "oversized, no credentials", f.do("POST", "/orders", big, nil), http.StatusUnauthorized)

	if n := f.count(`SELECT count(*) FROM app.orders`); n != 1 {
		t.Fatalf("%d orders, want 1", n)
	}
	if n := f.count(`SELECT count(*) FROM relay.inbound WHERE outcome = 'too_large' AND status = 413 AND body IS NULL AND caller = 'crm'`); n != 2 {
		t.Fatalf("%d too_large audit rows, want 2", n)
	}
}

func TestBadJSON(t *testing.T) {
	f := serve(t, Config{}, testEndpoint("/orders", dialect.AuthBasic))
	creds := basic("crm", basicPassword)
	for _, c := range []struct{ body, says string }{
		{`{"a": 1,}`, "invalid JSON at byte"},
		{`{"a": 1} {"b": 2}`, "invalid JSON"},
		{``, "empty"},
		{`"just a string"`, "object or array"},
		{`42`, "object or array"},
		{"{\"a\": \"\xff\"}", "UTF-8"},
		{`{"a": "\u0000"}`, `\u0000`}, // PostgreSQL's jsonb refuses it
		{`{"a": "\ud800"}`, "surrogate"},
	} {
		r := f.do("POST", "/orders", []byte(c.body), creds)
		want(t, "body "+strconv.Quote(c.body), r, http.StatusBadRequest, c.says)
		a := f.lastAudit()
		if a.Outcome != "bad_request" || a.Body.Valid || !strings.Contains(a.Error.String, c.says) {
			t.Fatalf("audit row of body %q: %+v", c.body, a)
		}
	}
	want(t, "an array", f.do("POST", "/orders", []byte(` [1, {"b": null}] `), creds), http.StatusCreated)
	if n := f.count(`SELECT count(*) FROM app.orders`); n != 1 {
		t.Fatalf("%d orders, want 1", n)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	f := serve(t, Config{}, testEndpoint("/orders", dialect.AuthBasic))
	r := f.do("GET", "/orders", nil, basic("crm", basicPassword))
	want(t, "GET", r, http.StatusMethodNotAllowed, "POST")
	if r.header.Get("Allow") != "POST" {
		t.Fatalf("Allow: %q", r.header.Get("Allow"))
	}
	want(t, "GET without credentials", f.do("GET", "/orders", nil, nil), http.StatusUnauthorized)
}

func TestRateLimit(t *testing.T) {
	e := testEndpoint("/orders", dialect.AuthBasic)
	e.RatePerMinute = 1
	f := serve(t, Config{}, e)
	creds := basic("crm", basicPassword)
	want(t, "first", f.do("POST", "/orders", []byte(`{"n": 1}`), creds), http.StatusCreated)
	r := f.do("POST", "/orders", []byte(`{"n": 2}`), creds)
	want(t, "second within the minute", r, http.StatusTooManyRequests, "1 requests per minute")
	if s, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || s < 1 || s > 60 {
		t.Fatalf("Retry-After %q, want 1-60 seconds", r.header.Get("Retry-After"))
	}
	// Wrong credentials do not use up the caller's rate.
	want(t, "wrong password", f.do("POST", "/orders", []byte(`{}`), basic("crm", "x")), http.StatusUnauthorized)
	if n := f.count(`SELECT count(*) FROM app.orders`); n != 1 {
		t.Fatalf("%d orders, want 1", n)
	}
	// A 429 costs the database nothing: no row.
	if n := f.count(`SELECT count(*) FROM relay.inbound WHERE status = 429`); n != 0 {
		t.Fatalf("%d rows for rate-limited requests", n)
	}
}

// A procedure that raises: 422 with its message, its work rolled back,
// and the failure recorded on its own.
func TestProcedureRaises(t *testing.T) {
	f := serve(t, Config{}, testEndpoint("/orders", dialect.AuthBasic))
	h := basic("crm", basicPassword)
	h.Set("Idempotency-Key", "order-1")
	r := f.do("POST", "/orders", []byte(`{"fail": "out of stock"}`), h)
	want(t, "raising procedure", r, http.StatusUnprocessableEntity, "order refused: out of stock")
	if n := f.count(`SELECT count(*) FROM app.orders`); n != 0 {
		t.Fatalf("%d orders after a failed call", n)
	}
	rows := f.audits()
	if len(rows) != 1 || rows[0].Outcome != "failed" || rows[0].Status != 422 || rows[0].Body.String != `{"fail": "out of stock"}` ||
		!strings.Contains(rows[0].Error.String, "out of stock") || rows[0].Key.String != "order-1" {
		t.Fatalf("audit rows after a failed call: %+v", rows)
	}
	if n := f.count(`SELECT count(*) FROM relay.inbound_seen`); n != 0 {
		t.Fatalf("a failed call used up its idempotency key (%d seen)", n)
	}
	// So the caller's retry with the same key runs.
	want(t, "retry with the same key", f.do("POST", "/orders", []byte(`{"item": "pen"}`), h), http.StatusCreated)
	if n := f.count(`SELECT count(*) FROM app.orders`); n != 1 {
		t.Fatalf("%d orders after the retry, want 1", n)
	}
}

// A procedure that answers 4xx refuses the request: what it wrote is
// rolled back, its answer is sent, and the request is recorded.
func TestProcedureRefuses(t *testing.T) {
	f := serve(t, Config{}, testEndpoint("/orders", dialect.AuthBasic))
	r := f.do("POST", "/orders", []byte(`{"refuse": true}`), basic("crm", basicPassword))
	want(t, "refusing procedure", r, http.StatusConflict, "duplicate order")
	if n := f.count(`SELECT count(*) FROM app.orders`); n != 0 {
		t.Fatalf("a refused request left %d orders", n)
	}
	a := f.lastAudit()
	if a.Outcome != "refused" || a.Status != 409 || !strings.Contains(a.Response.String, "duplicate order") {
		t.Fatalf("audit row: %+v", a)
	}
}

// Concurrent requests with one idempotency key: the procedure runs once,
// every caller gets its answer.
func TestConcurrentIdempotency(t *testing.T) {
	f := serve(t, Config{}, testEndpoint("/orders", dialect.AuthBasic))
	const n = 12
	var wg sync.WaitGroup
	answers := make([]response, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := basic("crm", basicPassword)
			h.Set("Idempotency-Key", "same-key")
			<-start
			// The first one holds its transaction open a while, so the
			// others arrive while it runs.
			answers[i] = f.do("POST", "/orders", []byte(`{"sleep": 0.3}`), h)
		}()
	}
	close(start)
	wg.Wait()
	for i, a := range answers {
		if a.status != http.StatusCreated || a.body != answers[0].body {
			t.Fatalf("answer %d: %d %s; answer 0: %s", i, a.status, a.body, answers[0].body)
		}
	}
	if c := f.count(`SELECT count(*) FROM app.orders`); c != 1 {
		t.Fatalf("the procedure ran %d times for one idempotency key", c)
	}
	if c := f.count(`SELECT count(*) FROM relay.inbound WHERE outcome = 'replayed'`); c != n-1 {
		t.Fatalf("%d replayed rows, want %d", c, n-1)
	}
	// Another key runs again; the same key on another endpoint would too.
	h := basic("crm", basicPassword)
	h.Set("Idempotency-Key", "other-key")
	want(t, "other key", f.do("POST", "/orders", []byte(`{}`), h), http.StatusCreated)
	if c := f.count(`SELECT count(*) FROM app.orders`); c != 2 {
		t.Fatalf("%d orders, want 2", c)
	}
	h.Set("Idempotency-Key", "bad key with spaces")
	want(t, "malformed key", f.do("POST", "/orders", []byte(`{}`), h), http.StatusBadRequest, "Idempotency-Key")
}

// Disabling an endpoint refuses its next request at once, before serve
// reloads its table; after the reload its callers still hear it is
// disabled (404), and others still get 401.
func TestDisabledEndpoint(t *testing.T) {
	for _, reload := range []time.Duration{10 * time.Minute, 100 * time.Millisecond} {
		f := serve(t, Config{Reload: reload}, testEndpoint("/orders", dialect.AuthBasic))
		in, _ := dialect.InboundOf(f.conn)
		if ok, err := in.SetEndpointEnabled(context.Background(), f.db, "/orders", false); err != nil || !ok {
			t.Fatalf("disable: %v %v", ok, err)
		}
		says := "disabled or removed" // found by the request's transaction
		if reload < time.Second {
			says = "is disabled" // found in serve's table, reloaded
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			r := f.do("POST", "/orders", []byte(`{}`), basic("crm", basicPassword))
			if r.status == http.StatusNotFound && strings.Contains(r.body, says) {
				break
			}
			if r.status != http.StatusNotFound || time.Now().After(deadline) {
				t.Fatalf("reload %v: disabled endpoint answered %d %s, want 404 saying %q", reload, r.status, r.body, says)
			}
			time.Sleep(20 * time.Millisecond)
		}
		want(t, "disabled endpoint, wrong password", f.do("POST", "/orders", []byte(`{}`), basic("crm", "x")), http.StatusUnauthorized)
		if n := f.count(`SELECT count(*) FROM app.orders`) + f.count(`SELECT count(*) FROM relay.inbound WHERE outcome <> 'unauthorized'`); n != 0 {
			t.Fatalf("requests to a disabled endpoint left %d rows", n)
		}
	}
}
