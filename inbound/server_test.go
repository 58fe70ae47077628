package inbound

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/dialect"
	"github.com/dbrelay/dbrelay/secret"
)

// The default procedure accepts and answers 202 with the request's id;
// the request stays in relay.inbound with its headers, minus credentials.
func TestDefaultProcedure(t *testing.T) {
	e := testEndpoint("/inbox", dialect.AuthBearer)
	e.Procedure = dialect.DefaultProcedure
	f := serve(t, Config{}, e)
	h := bearer(bearerToken)
	h.Set("X-Request-Source", "erp")
	h.Set("Cookie", "session=secret-cookie")
	r := f.do("POST", "/inbox", []byte(`{"form": "报销单", "amount": 1234.5}`), h)
	want(t, "default procedure", r, http.StatusAccepted, `"inbound_id"`)
	id := r.json(t)["inbound_id"].(float64)
	a := f.lastAudit()
	if float64(a.ID) != id || a.Outcome != "ok" || a.Status != 202 || a.Caller.String != "crm" || !strings.Contains(a.Body.String, "报销单") {
		t.Fatalf("audit row %+v for answer %s", a, r.body)
	}
	if !strings.Contains(a.Headers.String, `"x-request-source": "erp"`) || strings.Contains(a.Headers.String, "secret-cookie") ||
		strings.Contains(a.Headers.String, bearerToken) {
		t.Fatalf("recorded headers: %s", a.Headers.String)
	}
}

// An endpoint whose secret is not set, or whose procedure does not have
// the contract's signature, stops serve from starting, with its name.
func TestBrokenEndpointRefusesStart(t *testing.T) {
	conn, _ := newDB(t) // it has app.wrong, with another signature
	noSecret := testEndpoint("/a", dialect.AuthBasic)
	noSecret.SecretEnv = "DBRELAY_SECRET_MISSING"
	missing := testEndpoint("/b", dialect.AuthBasic)
	missing.Procedure = "app.nothing"
	wrong := testEndpoint("/c", dialect.AuthBasic)
	wrong.Procedure = "app.wrong"
	notAllowed := testEndpoint("/d", dialect.AuthBasic)
	notAllowed.SecretEnv = "DATABASE_URL"
	addEndpoints(t, conn, noSecret, missing, wrong, notAllowed)
	env := map[string]string{"DATABASE_URL": "postgres://x:pw@h/db"}
	for k, v := range testEnv {
		env[k] = v
	}
	_, err := New(context.Background(), conn, Config{Secrets: secret.FromMap(env)})
	if err == nil {
		t.Fatal("serve started with broken endpoints")
	}
	for _, s := range []string{"/a", "DBRELAY_SECRET_MISSING", "/b", "app.nothing", "/c", "app.wrong", "OUT integer", "/d", "DATABASE_URL may not be read", "endpoint disable"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error lacks %q: %v", s, err)
		}
	}
	if strings.Contains(err.Error(), "pw@h") {
		t.Errorf("error shows a variable's value: %v", err)
	}
}

// Endpoints added or disabled while serve runs are picked up at the next
// reload.
func TestReload(t *testing.T) {
	f := serve(t, Config{Reload: 100 * time.Millisecond}, testEndpoint("/orders", dialect.AuthBasic))
	addEndpoints(t, f.conn, testEndpoint("/later", dialect.AuthBearer))
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := f.do("POST", "/later", []byte(`{}`), bearer(bearerToken))
		if r.status == http.StatusCreated {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the new endpoint still answers %d after 20s", r.status)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// A procedure dropped and created again is prepared again.
	if _, err := f.db.Exec(`DROP FUNCTION app.on_order; CREATE FUNCTION app.on_order(a bigint, b text, c text, d jsonb,
		OUT status integer, OUT response jsonb) LANGUAGE sql AS $$ SELECT 200, '"v2"'::jsonb $$`); err != nil {
		t.Fatal(err)
	}
	for {
		r := f.do("POST", "/orders", []byte(`{}`), basic("crm", basicPassword))
		if r.status == http.StatusOK && r.body == `"v2"` {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the recreated procedure is not called: %d %s", r.status, r.body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Shutdown lets a request in flight finish and commit.
func TestGracefulShutdown(t *testing.T) {
	f := serve(t, Config{}, testEndpoint("/orders", dialect.AuthBasic))
	var wg sync.WaitGroup
	var slow response
	wg.Add(1)
	go func() {
		defer wg.Done()
		slow = f.do("POST", "/orders", []byte(`{"sleep": 1}`), basic("crm", basicPassword))
	}()
	// Wait until the request is inside its transaction: its procedure
	// sleeps in pg_sleep. (The procedure is called through a prepared
	// statement whose text does not name it, so matching the query text
	// only ever matched this query itself.)
	deadline := time.Now().Add(20 * time.Second)
	for f.count(`SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'`) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the slow request never reached the database")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := f.stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}
	wg.Wait()
	want(t, "request in flight at shutdown", slow, http.StatusCreated)
	if n := f.count(`SELECT count(*) FROM app.orders`); n != 1 {
		t.Fatalf("%d orders, want 1", n)
	}
	if _, err := http.Post(f.url+"/orders", "application/json", strings.NewReader(`{}`)); err == nil {
		t.Fatal("serve still accepts connections after shutdown")
	}
}

// Plain HTTP only on loopback, unless allowed; HTTPS from PEM files.
func TestTLSAndPlainHTTP(t *testing.T) {
	conn, db := newDB(t)
	addEndpoints(t, conn, testEndpoint("/orders", dialect.AuthBasic))
	srv, err := New(context.Background(), conn, Config{Secrets: secret.FromMap(testEnv)})
	if err != nil {
		t.Fatal(err)
	}
	// A listener that says it is on a public address (without binding one).
	err = srv.Serve(context.Background(), fakeListener{addr: &net.TCPAddr{IP: net.ParseIP("192.0.2.10"), Port: 8080}})
	if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "--tls-cert") {
		t.Fatalf("plain HTTP on a public address: %v", err)
	}
	srv2, err := New(context.Background(), conn, Config{Secrets: secret.FromMap(testEnv), Addr: "0.0.0.0:0"})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv2.Run(context.Background()); !errors.Is(err, ErrConfig) {
		t.Fatalf("Run on 0.0.0.0 without TLS: %v", err)
	}

	certFile, keyFile, pool := selfSigned(t)
	f := serveOn(t, conn, db, Config{TLSCert: certFile, TLSKey: keyFile})
	f.url = strings.Replace(f.url, "http://", "https://", 1)
	f.client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	want(t, "HTTPS", f.do("POST", "/orders", []byte(`{}`), basic("crm", basicPassword)), http.StatusCreated)
	// Plain HTTP to the TLS port does not reach an endpoint.
	resp, err := http.Post(strings.Replace(f.url, "https://", "http://", 1)+"/orders", "application/json", strings.NewReader(`{}`))
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("plain HTTP to the TLS port: %d", resp.StatusCode)
		}
	}
	if _, err := New(context.Background(), conn, Config{TLSCert: certFile, TLSKey: filepath.Join(t.TempDir(), "none.pem")}); !errors.Is(err, ErrConfig) {
		t.Fatalf("missing key file: %v", err)
	}
	if n := f.count(`SELECT count(*) FROM app.orders`); n != 1 {
		t.Fatalf("%d orders, want 1", n)
	}
}

type fakeListener struct{ addr net.Addr }

func (l fakeListener) Accept() (net.Conn, error) { return nil, errors.New("fake") }
func (l fakeListener) Close() error              { return nil }
func (l fakeListener) Addr() net.Addr            { return l.addr }

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns
// a pool trusting it.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "dbrelay test"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestMetrics(t *testing.T) {
	f := serve(t, Config{}, testEndpoint("/orders", dialect.AuthBasic))
	f.do("POST", "/orders", []byte(`{}`), basic("crm", basicPassword))
	f.do("POST", "/orders", []byte(`{}`), basic("crm", basicPassword))
	f.do("POST", "/orders", []byte(`{"fail": "x"}`), basic("crm", basicPassword))
	f.do("POST", "/orders", []byte(`{}`), nil)
	f.do("POST", "/nowhere", []byte(`{}`), basic("crm", basicPassword))
	for _, c := range []struct {
		endpoint, outcome string
		n                 float64
	}{{"/orders", "ok", 2}, {"/orders", "failed", 1}, {"/orders", "unauthorized", 1}, {"", "not_found", 1}} {
		if got := f.metric("dbrelay_inbound_requests_total", c.endpoint, c.outcome); got != c.n {
			t.Errorf("dbrelay_inbound_requests_total{endpoint=%q,outcome=%q} = %v, want %v", c.endpoint, c.outcome, got, c.n)
		}
	}
	if got := f.metric("dbrelay_inbound_request_duration_seconds", "/orders", ""); got != 4 {
		t.Errorf("duration observations for /orders: %v, want 4", got)
	}
}

// metric reads a counter (or a histogram's count) from the fixture's
// registry by its endpoint and outcome labels ("" outcome: none).
func (f *fixture) metric(name, endpoint, outcome string) float64 {
	f.t.Helper()
	families, err := f.reg.Gather()
	if err != nil {
		f.t.Fatal(err)
	}
	for _, mf := range families {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["endpoint"] != endpoint || labels["outcome"] != outcome {
				continue next
			}
			if h := m.GetHistogram(); h != nil {
				return float64(h.GetSampleCount())
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

func TestConfigValidation(t *testing.T) {
	for _, c := range []Config{
		{TLSCert: "a.pem"},
		{Tolerance: time.Minute, KeepSeen: 30 * time.Second},
		{Realm: `a"b`},
		{Grace: -time.Second},
	} {
		if _, err := c.withDefaults(); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: %v, want a config error", c, err)
		}
	}
	if d := Defaults(); d.Addr != "127.0.0.1:8080" || d.Tolerance != 5*time.Minute || d.KeepSeen != 24*time.Hour {
		t.Errorf("defaults %+v", d)
	}
}
