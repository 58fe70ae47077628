package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/secret"
)

const (
	testSecret = "s3cr3t-client-secret"
	secretEnv  = "DBRELAY_SECRET_CRM_CLIENT"
)

// idp is a token endpoint on 127.0.0.1: it checks the client credentials
// and hands out numbered tokens ("tok-1", "tok-2", …).
type idp struct {
	*httptest.Server
	fetches   atomic.Int32
	expiresIn atomic.Int32 // 0: no expires_in
	status    atomic.Int32 // when set, answer this status with {"error": errorCode}
	errorCode atomic.Value // string
	form      atomic.Value // the last request's form
}

func newIDP(t *testing.T) *idp {
	t.Helper()
	p := &idp{}
	p.expiresIn.Store(3600)
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Errorf("idp: %v", err)
		}
		p.form.Store(r.PostForm)
		id, pw, ok := r.BasicAuth()
		if !ok { // client_secret_post
			id, pw = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		}
		w.Header().Set("Content-Type", "application/json")
		if s := p.status.Load(); s != 0 {
			w.WriteHeader(int(s))
			fmt.Fprintf(w, `{"error": %q, "error_description": "told to fail"}`, p.errorCode.Load())
			return
		}
		if id != "dbrelay" || pw != testSecret || r.PostForm.Get("grant_type") != "client_credentials" {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error": "invalid_client", "error_description": "Client authentication failed"}`)
			return
		}
		n := p.fetches.Add(1)
		tok := map[string]any{"access_token": fmt.Sprintf("tok-%d", n), "token_type": "bearer"}
		if e := p.expiresIn.Load(); e != 0 {
			tok["expires_in"] = e
		}
		json.NewEncoder(w).Encode(tok)
	}))
	t.Cleanup(p.Close)
	return p
}

func testConfig(tokenURL string) *Config {
	return &Config{TokenURL: tokenURL, ClientID: "dbrelay", ClientSecretEnv: secretEnv, Scope: "crm.write crm.read",
		Params: map[string]string{"audience": "https://crm.example"}}
}

func mustTokens(t *testing.T, c *Config, secretValue string) *Tokens {
	t.Helper()
	env := secret.FromMap(map[string]string{secretEnv: secretValue})
	tk, err := New(c, env, &http.Client{})
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// One fetch serves every worker: the token is requested once however many
// ask for it at the same time, with the configured id, secret, scope and
// extra parameters.
func TestTokenFetchedOnceAndShared(t *testing.T) {
	p := newIDP(t)
	tk := mustTokens(t, testConfig(p.URL), testSecret)
	var wg sync.WaitGroup
	got := make([]string, 16)
	for i := range got {
		wg.Go(func() {
			tok, err := tk.Token(context.Background())
			if err != nil {
				t.Error(err)
				return
			}
			got[i] = tok.AccessToken
		})
	}
	wg.Wait()
	for i, g := range got {
		if g != "tok-1" {
			t.Errorf("worker %d got %q, want tok-1", i, g)
		}
	}
	if n := p.fetches.Load(); n != 1 {
		t.Errorf("%d token requests, want 1", n)
	}
	form := p.form.Load().(url.Values)
	if s := form["scope"]; len(s) != 1 || s[0] != "crm.write crm.read" {
		t.Errorf("scope %q", s)
	}
	if a := form["audience"]; len(a) != 1 || a[0] != "https://crm.example" {
		t.Errorf("audience %q", a)
	}
}

// The token is replaced shortly before it expires, not after; a short one
// after three quarters of its life; one without expires_in only on a 401.
func TestTokenRefreshedBeforeExpiry(t *testing.T) {
	for _, c := range []struct {
		expiresIn          int32
		keptUntil, renewAt time.Duration
	}{
		{3600, 3569 * time.Second, 3570 * time.Second},
		{20, 14 * time.Second, 15 * time.Second},
		{0, 1000 * time.Hour, -1},
	} {
		p := newIDP(t)
		p.expiresIn.Store(c.expiresIn)
		tk := mustTokens(t, testConfig(p.URL), testSecret)
		start := time.Now()
		clock := start
		tk.now = func() time.Time { return clock }
		token := func() string {
			tok, err := tk.Token(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			return tok.AccessToken
		}
		if got := token(); got != "tok-1" {
			t.Fatalf("first token %q", got)
		}
		clock = start.Add(c.keptUntil)
		if got := token(); got != "tok-1" {
			t.Errorf("expires_in %d: at +%v got %q, want the cached tok-1", c.expiresIn, c.keptUntil, got)
		}
		if c.renewAt < 0 {
			continue
		}
		clock = start.Add(c.renewAt)
		if got := token(); got != "tok-2" {
			t.Errorf("expires_in %d: at +%v got %q, want a fresh tok-2", c.expiresIn, c.renewAt, got)
		}
		if n := p.fetches.Load(); n != 2 {
			t.Errorf("expires_in %d: %d fetches, want 2", c.expiresIn, n)
		}
	}
}

// resource is an API that accepts only the token named by *valid, and
// records each request's Authorization and body.
func resource(t *testing.T, valid *atomic.Value) (*httptest.Server, *[]string) {
	t.Helper()
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization")+" | "+string(body))
		mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+valid.Load().(string) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return srv, &seen
}

func post(t *testing.T, client *http.Client, url, body string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	return resp, err
}

// A 401 to a cached token (revoked early) drops it, fetches a new one and
// sends the same request once more.
func TestUnauthorizedRefreshesOnce(t *testing.T) {
	p := newIDP(t)
	tk := mustTokens(t, testConfig(p.URL), testSecret)
	var valid atomic.Value
	valid.Store("tok-1")
	srv, seen := resource(t, &valid)
	client := &http.Client{Transport: tk.Transport(nil)}

	if resp, err := post(t, client, srv.URL, "first"); err != nil || resp.StatusCode != 204 {
		t.Fatalf("first request: %v %v", resp, err)
	}
	valid.Store("tok-2") // the API revokes tok-1
	resp, err := post(t, client, srv.URL, "second")
	if err != nil || resp.StatusCode != 204 {
		t.Fatalf("after revocation: %v %v, want 204 after one refresh", resp, err)
	}
	want := []string{"Bearer tok-1 | first", "Bearer tok-1 | second", "Bearer tok-2 | second"}
	if fmt.Sprint(*seen) != fmt.Sprint(want) {
		t.Errorf("the API saw %q, want %q", *seen, want)
	}
	if n := p.fetches.Load(); n != 2 {
		t.Errorf("%d token fetches, want 2", n)
	}

	// An API that rejects every token gets exactly one retry, and its 401
	// is the answer.
	valid.Store("never")
	*seen = nil
	resp, err = post(t, client, srv.URL, "third")
	if err != nil || resp.StatusCode != 401 {
		t.Fatalf("got %v %v, want the API's 401", resp, err)
	}
	if len(*seen) != 2 || p.fetches.Load() != 3 {
		t.Errorf("the API saw %d requests and the IdP %d fetches; want 2 and 3", len(*seen), p.fetches.Load())
	}
}

// A wrong secret is permanent, says which settings to check, and never
// shows the secret.
func TestWrongSecretIsPermanent(t *testing.T) {
	p := newIDP(t)
	for _, method := range []string{"", "client_secret_basic", "client_secret_post"} {
		c := testConfig(p.URL)
		c.AuthMethod = method
		tk := mustTokens(t, c, "not-the-secret")
		_, err := tk.Token(context.Background())
		var e *Error
		if !errors.As(err, &e) || e.Transient {
			t.Fatalf("%q: got %v, want a permanent *Error", method, err)
		}
		for _, want := range []string{"refused the client credentials", "invalid_client", "client_id", secretEnv} {
			if !strings.Contains(e.Error(), want) {
				t.Errorf("%q: %q does not mention %q", method, e.Error(), want)
			}
		}
		if strings.Contains(e.Error(), "not-the-secret") {
			t.Errorf("the error shows the secret: %q", e.Error())
		}
	}
	if p.fetches.Load() != 0 {
		t.Error("a token was issued for a wrong secret")
	}
}

// The endpoint's answers decide: overloaded is transient, a refused scope
// or a missing endpoint permanent, garbage permanent.
func TestTokenEndpointAnswers(t *testing.T) {
	p := newIDP(t)
	tk := mustTokens(t, testConfig(p.URL), testSecret)
	for _, c := range []struct {
		status    int32
		code      string
		transient bool
		want      string
	}{
		{503, "temporarily_unavailable", true, "HTTP 503 temporarily_unavailable: told to fail"},
		{429, "slow_down", true, "HTTP 429"},
		{400, "invalid_scope", false, "config.oauth2.scope"},
		{404, "not_found", false, "HTTP 404"},
	} {
		p.status.Store(c.status)
		p.errorCode.Store(c.code)
		_, err := tk.Token(context.Background())
		var e *Error
		if !errors.As(err, &e) || e.Transient != c.transient || !strings.Contains(e.Error(), c.want) {
			t.Errorf("HTTP %d %s: got %v (transient %v), want transient=%v mentioning %q", c.status, c.code, err, e != nil && e.Transient, c.transient, c.want)
		}
	}

	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"token": "where access_token should be"}`)
	}))
	defer garbage.Close()
	_, err := mustTokens(t, testConfig(garbage.URL), testSecret).Token(context.Background())
	var e *Error
	if !errors.As(err, &e) || e.Transient || !strings.Contains(e.Error(), "token_url") {
		t.Errorf("an answer without access_token: %v, want permanent naming token_url", err)
	}
}

// An unreachable token endpoint is transient, and so is an attempt that
// ends while waiting for another worker's fetch.
func TestUnreachableTokenEndpointIsTransient(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there any more
	tk := mustTokens(t, testConfig("http://"+addr+"/token"), testSecret)
	_, err = tk.Token(context.Background())
	var e *Error
	if !errors.As(err, &e) || !e.Transient || !strings.Contains(e.Error(), "cannot be reached") {
		t.Fatalf("got %v, want a transient *Error", err)
	}

	// Through the transport, the client's *url.Error wraps it.
	client := &http.Client{Transport: tk.Transport(nil)}
	_, err = post(t, client, "http://"+addr+"/api", "x")
	if !errors.As(err, &e) || !e.Transient {
		t.Errorf("through the transport: %v, want the *Error inside", err)
	}

	tk.fetching <- struct{}{} // a fetch that never ends
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = tk.Token(ctx)
	if !errors.As(err, &e) || !e.Transient {
		t.Errorf("cancelled while waiting: %v, want transient", err)
	}
}

func TestParseConfig(t *testing.T) {
	ok := `{"token_url": "https://login.example/token", "client_id": "c", "client_secret_env": "DBRELAY_SECRET_X"}`
	if _, err := ParseConfig([]byte(ok)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ cfg, want string }{
		{`[]`, "must be a JSON object"},
		{`null`, "must be an object {"},
		{`{"token_url": "https://x/t", "client_id": "c", "client_secret_env": "E", "scopes": "a"}`, `unknown key "scopes"`},
		{`{"client_id": "c", "client_secret_env": "E"}`, "token_url is missing"},
		{`{"token_url": "ftp://x/t", "client_id": "c", "client_secret_env": "E"}`, "absolute http or https URL"},
		{`{"token_url": "https://u:pw@x/t", "client_id": "c", "client_secret_env": "E"}`, "user:password@"},
		{`{"token_url": "https://x/t", "client_secret_env": "E"}`, "client_id is missing"},
		{`{"token_url": "https://x/t", "client_id": "c"}`, "client_secret_env is missing"},
		{`{"token_url": "https://x/t", "client_id": "c", "client_secret_env": "E", "params": {"grant_type": "password"}}`, `may not set "grant_type"`},
		{`{"token_url": "https://x/t", "client_id": "c", "client_secret_env": "E", "params": {"a": 1}}`, "params an object of strings"},
		{`{"token_url": "https://x/t", "client_id": "c", "client_secret_env": "E", "auth_method": "jwt"}`, "client_secret_basic, client_secret_post"},
	} {
		_, err := ParseConfig([]byte(c.cfg))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.cfg, err, c.want)
		}
	}
	// The secret must be allowed and set.
	c, _ := ParseConfig([]byte(ok))
	if _, err := New(c, secret.FromMap(nil), nil); !errors.Is(err, secret.ErrNotSet) && (err == nil || !strings.Contains(err.Error(), "not set")) {
		t.Errorf("unset secret: %v", err)
	}
	c.ClientSecretEnv = "HOME"
	if _, err := New(c, secret.FromMap(map[string]string{"HOME": "/root"}), nil); !errors.Is(err, secret.ErrNotAllowed) {
		t.Errorf("a variable not allowed: %v, want ErrNotAllowed", err)
	}
}
