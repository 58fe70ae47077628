package inbound

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/dbrelay/dbrelay/dialect"
	"golang.org/x/crypto/bcrypt"
)

var nonceRe = regexp.MustCompile(`nonce="[^"]*"`)

// The answer to wrong credentials is the same whatever the path: status,
// challenges and body, so it says nothing about which endpoints exist.
func checkUnauthorized(t *testing.T, what string, r response, reference response) {
	t.Helper()
	want(t, what, r, http.StatusUnauthorized, "unauthorized")
	// Digest nonces are fresh in every challenge: compare the rest.
	norm := func(v []string) string { return nonceRe.ReplaceAllString(strings.Join(v, "|"), `nonce="…"`) }
	if got, ref := r.header.Values("Www-Authenticate"), reference.header.Values("Www-Authenticate"); len(got) == 0 || norm(got) != norm(ref) {
		t.Fatalf("%s: WWW-Authenticate %q differs from an unknown path's %q", what, got, ref)
	}
	if strings.Contains(r.body, "/orders") || strings.Contains(r.body, "endpoint") {
		t.Fatalf("%s: the 401 body %s names the endpoint", what, r.body)
	}
}

func TestBasicAuth(t *testing.T) {
	f := serve(t, Config{}, testEndpoint("/orders", dialect.AuthBasic))
	body := []byte(`{"item": "pen"}`)
	unknown := f.do("POST", "/nowhere", body, nil)
	want(t, "unknown path without credentials", unknown, http.StatusUnauthorized)

	for name, h := range map[string]http.Header{
		"no credentials": nil,
		"wrong password": basic("crm", "wrong"),
		"wrong user":     basic("erp", basicPassword),
		"empty password": basic("crm", ""),
		"password case":  basic("crm", strings.ToUpper(basicPassword)),
		"bearer instead": bearer(basicPassword),
	} {
		checkUnauthorized(t, name, f.do("POST", "/orders", body, h), unknown)
	}
	if n := f.count(`SELECT count(*) FROM app.orders`); n != 0 {
		t.Fatalf("%d orders after refused requests", n)
	}
	// Every refused request left its audit row, and nothing else.
	rows := f.audits()
	if len(rows) != 6 {
		t.Fatalf("%d audit rows for 6 refused requests on /orders (the unknown path leaves none): %+v", len(rows), rows)
	}
	for _, a := range rows {
		if a.Outcome != "unauthorized" || a.Status != 401 || a.Caller.Valid || a.Body.Valid || !a.Error.Valid {
			t.Fatalf("audit row of a refused request: %+v", a)
		}
		if strings.Contains(a.Headers.String, "authorization") || strings.Contains(a.Headers.String, basicPassword) {
			t.Fatalf("credentials recorded in relay.inbound.headers: %s", a.Headers.String)
		}
	}

	r := f.do("POST", "/orders", body, basic("crm", basicPassword))
	want(t, "right credentials", r, http.StatusCreated, `"caller": "crm"`)
	if n := f.count(`SELECT count(*) FROM app.orders WHERE caller = 'crm' AND body = '{"item": "pen"}'`); n != 1 {
		t.Fatalf("%d orders from the accepted request", n)
	}
	a := f.lastAudit()
	if a.Outcome != "ok" || a.Status != 201 || a.Caller.String != "crm" || a.Body.String != `{"item": "pen"}` || r.header.Get("Dbrelay-Inbound-Id") == "" {
		t.Fatalf("audit row of the accepted request: %+v (header id %q)", a, r.header.Get("Dbrelay-Inbound-Id"))
	}
}

// A bcrypt hash in the table instead of an environment variable.
func TestBasicAuthWithHash(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("hashed-pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	e := testEndpoint("/orders", dialect.AuthBasic)
	e.SecretEnv, e.SecretHash = "", string(hash)
	f := serve(t, Config{}, e)
	unknown := f.do("POST", "/nowhere", []byte(`{}`), nil)
	checkUnauthorized(t, "wrong password", f.do("POST", "/orders", []byte(`{}`), basic("crm", "hashed-pw2")), unknown)
	// Twice: the second takes the cached path.
	for i := 0; i < 2; i++ {
		want(t, "hashed password", f.do("POST", "/orders", []byte(`{}`), basic("crm", "hashed-pw")), http.StatusCreated)
	}
	checkUnauthorized(t, "wrong password after a right one", f.do("POST", "/orders", []byte(`{}`), basic("crm", "hashed-pw ")), unknown)
	if n := f.count(`SELECT count(*) FROM app.orders`); n != 2 {
		t.Fatalf("%d orders, want 2", n)
	}
}

func TestBearerAuth(t *testing.T) {
	f := serve(t, Config{}, testEndpoint("/orders", dialect.AuthBearer))
	unknown := f.do("POST", "/nowhere", []byte(`{}`), nil)
	for name, h := range map[string]http.Header{
		"no token":      nil,
		"wrong token":   bearer("tok_wrong"),
		"token prefix":  bearer(bearerToken[:len(bearerToken)-1]),
		"basic instead": basic("crm", bearerToken),
	} {
		checkUnauthorized(t, name, f.do("POST", "/orders", []byte(`{}`), h), unknown)
	}
	want(t, "right token", f.do("POST", "/orders", []byte(`{"n": 1}`), bearer(bearerToken)), http.StatusCreated)
	want(t, "scheme is case-insensitive", f.do("POST", "/orders", []byte(`{"n": 2}`), http.Header{"Authorization": {"bearer " + bearerToken}}), http.StatusCreated)
	if n := f.count(`SELECT count(*) FROM app.orders`); n != 2 {
		t.Fatalf("%d orders, want 2", n)
	}
}

// A mistyped path with good credentials gets 404; a probe gets the 401
// every wrong password gets.
func TestUnknownPath(t *testing.T) {
	f := serve(t, Config{}, testEndpoint("/orders", dialect.AuthBasic), testEndpoint("/hooks/crm", dialect.AuthWebhook))
	want(t, "mistyped path", f.do("POST", "/order", []byte(`{}`), basic("crm", basicPassword)), http.StatusNotFound, "no endpoint")
	want(t, "trailing slash", f.do("POST", "/orders/", []byte(`{}`), basic("crm", basicPassword)), http.StatusNotFound)
	want(t, "escaped form of the path", f.do("POST", "/%6Frders", []byte(`{}`), basic("crm", basicPassword)), http.StatusNotFound)
	want(t, "probe", f.do("POST", "/order", []byte(`{}`), basic("crm", "guess")), http.StatusUnauthorized)
	// A signed webhook to a mistyped path: 404 too.
	body := []byte(`{"event": "x"}`)
	want(t, "signed webhook, mistyped path", f.do("POST", "/hooks/cr", body, signed(t, "msg_1", body, 0)), http.StatusNotFound)
	if n := len(f.audits()); n != 0 {
		t.Fatalf("requests to unknown paths left %d rows", n)
	}
}
