package webhook

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/dbrelay/dbrelay/channel"
)

// statusServer answers /status/<code> with that code and the Retry-After
// given in the query, and counts requests to /elsewhere (a redirect target
// that must never be requested).
func statusServer(t *testing.T) (srv *httptest.Server, elsewhere *atomic.Int32) {
	elsewhere = new(atomic.Int32)
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if r.URL.Path == "/elsewhere" {
			elsewhere.Add(1)
			return
		}
		code, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/status/"))
		if err != nil {
			t.Errorf("bad test path %q", r.URL.Path)
			return
		}
		if ra := r.URL.Query().Get("retry_after"); ra != "" {
			w.Header().Set("Retry-After", ra)
		}
		if code >= 300 && code < 400 {
			w.Header().Set("Location", "http://"+r.Host+"/elsewhere")
		}
		w.WriteHeader(code)
		fmt.Fprintf(w, "status %d", code)
	}))
	t.Cleanup(srv.Close)
	return srv, elsewhere
}

func TestClassification(t *testing.T) {
	srv, elsewhere := statusServer(t)
	cases := []struct {
		code    int
		outcome channel.Outcome
		err     string // substring of Result.Err
	}{
		{200, channel.Sent, ""},
		{201, channel.Sent, ""},
		{204, channel.Sent, ""},
		{400, channel.Permanent, "HTTP 400 Bad Request"},
		{401, channel.Permanent, "HTTP 401 Unauthorized"},
		{404, channel.Permanent, "HTTP 404 Not Found"},
		{410, channel.Permanent, "HTTP 410 Gone"},
		{422, channel.Permanent, "HTTP 422 Unprocessable Entity"},
		{301, channel.Permanent, "not followed; update the channel's target"},
		{302, channel.Permanent, "not followed; update the channel's target"},
		{307, channel.Permanent, "not followed"},
		{408, channel.Transient, "HTTP 408 Request Timeout"},
		{425, channel.Transient, "HTTP 425 Too Early"},
		{429, channel.Transient, "HTTP 429 Too Many Requests"},
		{500, channel.Transient, "HTTP 500 Internal Server Error"},
		{502, channel.Transient, "HTTP 502 Bad Gateway"},
		{503, channel.Transient, "HTTP 503 Service Unavailable"},
	}
	for _, tc := range cases {
		t.Run(strconv.Itoa(tc.code), func(t *testing.T) {
			s := mustSender(t, testChannel(fmt.Sprintf("%s/status/%d", srv.URL, tc.code)), nil)
			res := s.Send(context.Background(), testMessage())
			if res.Outcome != tc.outcome {
				t.Errorf("outcome %v, want %v (err %q)", res.Outcome, tc.outcome, res.Err)
			}
			if res.StatusCode != tc.code {
				t.Errorf("StatusCode %d, want %d", res.StatusCode, tc.code)
			}
			if tc.err == "" && res.Err != "" || !strings.Contains(res.Err, tc.err) {
				t.Errorf("Err %q, want it to contain %q", res.Err, tc.err)
			}
			if tc.code != 204 && res.Body != fmt.Sprintf("status %d", tc.code) {
				t.Errorf("Body %q", res.Body)
			}
		})
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("redirect target was requested %d times", n)
	}
}

// A caller-supplied client that would follow redirects still does not.
func TestRedirectNotFollowedWithCallerClient(t *testing.T) {
	srv, elsewhere := statusServer(t)
	client := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(client.CloseIdleConnections)
	s, err := NewFactory(client)(testChannel(srv.URL+"/status/302"), mapEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	res := s.Send(context.Background(), testMessage())
	if res.Outcome != channel.Permanent || res.StatusCode != 302 {
		t.Errorf("got %v %d %q, want permanent 302", res.Outcome, res.StatusCode, res.Err)
	}
	if !strings.Contains(res.Err, srv.URL+"/elsewhere") {
		t.Errorf("Err %q does not name the redirect target", res.Err)
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("redirect target was requested %d times", n)
	}
	if client.CheckRedirect != nil {
		t.Error("NewFactory modified the caller's client")
	}
}

func TestRetryAfterFromResponse(t *testing.T) {
	srv, _ := statusServer(t)
	date := time.Now().Add(2 * time.Minute).UTC().Format(http.TimeFormat)
	cases := []struct {
		name     string
		path     string
		min, max time.Duration
	}{
		{"seconds", "/status/503?retry_after=7", 7 * time.Second, 7 * time.Second},
		{"http-date", "/status/429?retry_after=" + strings.ReplaceAll(date, " ", "%20"), 118 * time.Second, 120 * time.Second},
		{"absent", "/status/503", 0, 0},
		{"garbage", "/status/503?retry_after=soon", 0, 0},
		{"not on permanent", "/status/404?retry_after=7", 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := mustSender(t, testChannel(srv.URL+tc.path), nil)
			res := s.Send(context.Background(), testMessage())
			if res.RetryAfter < tc.min || res.RetryAfter > tc.max {
				t.Errorf("RetryAfter %v, want in [%v, %v]", res.RetryAfter, tc.min, tc.max)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"120", 120 * time.Second},
		{" 5 ", 5 * time.Second},
		{"-5", 0},
		{"1.5", 0},
		{"soon", 0},
		{"86400", 24 * time.Hour},
		{"86401", 24 * time.Hour},
		{"99999999999999999999999", 24 * time.Hour},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{now.Add(72 * time.Hour).Format(http.TimeFormat), 24 * time.Hour},
		{"Sun, 01 Jun 2025 12:01:00 GMT", time.Minute},
		{"Sunday, 01-Jun-25 12:01:00 GMT", time.Minute}, // RFC 850, still allowed
	}
	for _, tc := range cases {
		if got := parseRetryAfter(tc.in, now); got != tc.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// blockingServer's handler waits until the client goes away (or the test
// ends) and reports each arrival on the returned channel.
func blockingServer(t *testing.T) (*httptest.Server, <-chan struct{}) {
	arrived := make(chan struct{}, 16)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)                 // runs second
	t.Cleanup(func() { close(release) }) // runs first, unblocking handlers
	return srv, arrived
}

func TestTimeout(t *testing.T) {
	srv, _ := blockingServer(t)
	ch := testChannel(srv.URL)
	ch.Timeout = 100 * time.Millisecond
	s := mustSender(t, ch, nil)

	res := s.Send(context.Background(), testMessage())
	if res.Outcome != channel.Transient {
		t.Errorf("outcome %v, want transient", res.Outcome)
	}
	if res.Err != "timeout after 100ms" {
		t.Errorf("Err %q, want %q", res.Err, "timeout after 100ms")
	}
	if res.StatusCode != 0 {
		t.Errorf("StatusCode %d, want 0", res.StatusCode)
	}
}

func TestInterruptedByCaller(t *testing.T) {
	srv, arrived := blockingServer(t)
	s := mustSender(t, testChannel(srv.URL), nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-arrived // the request is in flight: now shut down
		cancel()
	}()

	res := s.Send(ctx, testMessage())
	if res.Outcome != channel.Transient {
		t.Errorf("outcome %v, want transient", res.Outcome)
	}
	if !strings.Contains(res.Err, "interrupted") {
		t.Errorf("Err %q, want it to say the attempt was interrupted", res.Err)
	}
}

func TestConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	// The path is a secret token; it must not leak into the error.
	s := mustSender(t, testChannel("http://"+addr+"/hooks/T0KEN-s3cr3t"), nil)
	res := s.Send(context.Background(), testMessage())
	if res.Outcome != channel.Transient {
		t.Errorf("outcome %v, want transient", res.Outcome)
	}
	if res.Err != "connect: connection refused" {
		t.Errorf("Err %q, want %q", res.Err, "connect: connection refused")
	}
}

func TestConnectionClosedWithoutResponse(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Read the whole request first: closing with unread data would send
		// a reset instead of a clean end of stream.
		io.Copy(io.Discard, r.Body)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	t.Cleanup(srv.Close)
	s := mustSender(t, testChannel(srv.URL+"/hooks/T0KEN-s3cr3t"), nil)
	res := s.Send(context.Background(), testMessage())
	if res.Outcome != channel.Transient || !strings.Contains(res.Err, "EOF") {
		t.Errorf("got %v %q, want transient EOF", res.Outcome, res.Err)
	}
	if strings.Contains(res.Err, "T0KEN") {
		t.Errorf("Err leaks the target: %q", res.Err)
	}
}

// describeError on the error chains net/http produces: short, human, and
// without the `Post "<target>":` prefix.
func TestDescribeError(t *testing.T) {
	post := func(err error) error {
		return &url.Error{Op: "Post", URL: "https://example.com/hooks/T0KEN", Err: err}
	}
	op := func(op string, err error) error {
		return &net.OpError{Op: op, Net: "tcp", Err: err}
	}
	cases := []struct {
		err  error
		want string
	}{
		{post(op("dial", os.NewSyscallError("connect", syscall.ECONNREFUSED))), "connect: connection refused"},
		{post(op("read", os.NewSyscallError("read", syscall.ECONNRESET))), "connection reset by peer"},
		{post(op("readfrom", op("write", net.ErrClosed))), "connection closed by the endpoint while sending the request"},
		{post(op("write", os.NewSyscallError("write", syscall.EPIPE))), "connection closed by the endpoint while sending the request"},
		{post(io.EOF), "connection closed by the endpoint before a complete response (EOF)"},
		{post(fmt.Errorf("net/http: HTTP/1.x transport connection broken: %w", io.ErrUnexpectedEOF)), "connection closed by the endpoint before a complete response (EOF)"},
		{post(op("dial", &net.DNSError{Err: "no such host", Name: "example.invalid", IsNotFound: true})), "dns: lookup example.invalid: no such host"},
		{post(tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}), "tls: the endpoint did not answer with TLS (is it http rather than https?)"},
		{post(errors.New("something else")), "something else"},
	}
	for _, tc := range cases {
		got := describeError(tc.err)
		if got != tc.want {
			t.Errorf("describeError(%v)\n got %q\nwant %q", tc.err, got, tc.want)
		}
		if strings.Contains(got, "T0KEN") {
			t.Errorf("describeError leaks the target: %q", got)
		}
	}
}

func TestDNSErrorIsTransient(t *testing.T) {
	// .invalid never resolves (RFC 6761); the resolver answers locally or
	// fails, either way without a response.
	s := mustSender(t, testChannel("http://dbrelay-test.invalid/hook"), nil)
	res := s.Send(context.Background(), testMessage())
	if strings.HasPrefix(res.Err, "timeout") {
		t.Skipf("no usable resolver here: %s", res.Err)
	}
	if res.Outcome != channel.Transient || !strings.HasPrefix(res.Err, "dns: lookup dbrelay-test.invalid") {
		t.Errorf("got %v %q, want transient dns error", res.Outcome, res.Err)
	}
}

func TestTLSErrorIsTransient(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake error is expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	// NewClient does not trust the test server's self-signed certificate.
	s := mustSender(t, testChannel(srv.URL), nil)
	res := s.Send(context.Background(), testMessage())
	if res.Outcome != channel.Transient || !strings.HasPrefix(res.Err, "tls: ") {
		t.Errorf("got %v %q, want transient tls error", res.Outcome, res.Err)
	}
}

func TestResponseBodyTruncatedAndCleaned(t *testing.T) {
	cases := []struct {
		name string
		body string
		want string
	}{
		{
			name: "cut at the limit",
			body: strings.Repeat("x", 10000),
			want: strings.Repeat("x", channel.MaxResponseBody),
		},
		{
			// 中 is 3 bytes starting at 4095: the cut would split it.
			name: "no split character",
			body: strings.Repeat("a", channel.MaxResponseBody-1) + "中" + strings.Repeat("b", 100),
			want: strings.Repeat("a", channel.MaxResponseBody-1),
		},
		{
			// Removing the NUL leaves room, so only trimming (not the final
			// length cut) keeps the split 中 from becoming U+FFFD.
			name: "split character dropped, not replaced",
			body: "\x00" + strings.Repeat("a", channel.MaxResponseBody-3) + "中" + strings.Repeat("b", 100),
			want: strings.Repeat("a", channel.MaxResponseBody-3),
		},
		{
			name: "NUL removed, invalid UTF-8 replaced",
			body: "ok\x00 bad:\xff\xfe end 中",
			want: "ok bad:\uFFFD end 中",
		},
		{
			name: "cleaning never grows past the limit",
			body: strings.Repeat("a\xff", 3000),
			want: strings.Repeat("a\uFFFD", channel.MaxResponseBody/4),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := recordingServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(500)
				io.WriteString(w, tc.body)
			})
			s := mustSender(t, testChannel(srv.URL), nil)
			res := s.Send(context.Background(), testMessage())
			if res.Body != tc.want {
				t.Errorf("Body (%d bytes) = %.80q…, want (%d bytes) %.80q…", len(res.Body), res.Body, len(tc.want), tc.want)
			}
			if len(res.Body) > channel.MaxResponseBody || !utf8.ValidString(res.Body) || strings.Contains(res.Body, "\x00") {
				t.Errorf("Body breaks the contract: %d bytes, valid %v", len(res.Body), utf8.ValidString(res.Body))
			}
		})
	}
}

func TestCleanBody(t *testing.T) {
	cases := []struct {
		in        string
		truncated bool
		want      string
	}{
		{"ab\xe4\xb8", true, "ab"},          // cut inside 中: dropped
		{"ab\xe4\xb8", false, "ab\uFFFD"},   // body really ended there: replaced
		{"ab\xf0\x9f\x98", true, "ab"},      // cut inside 😀
		{"ab\xf0\x9f\x98\x80", true, "ab😀"}, // complete at the cut
		{"ab\xff", true, "ab\uFFFD"},        // invalid, not partial
		{"a\x00b\x00", false, "ab"},
		{"", false, ""},
	}
	for _, tc := range cases {
		if got := cleanBody([]byte(tc.in), tc.truncated); got != tc.want {
			t.Errorf("cleanBody(%q, %v) = %q, want %q", tc.in, tc.truncated, got, tc.want)
		}
	}
}

func TestConnectionReuse(t *testing.T) {
	var newConns atomic.Int32
	big := strings.Repeat("r", 20000) // beyond MaxResponseBody: must be drained
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if r.URL.Query().Has("big") {
			io.WriteString(w, big)
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			newConns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)

	for _, target := range []string{srv.URL + "/?small", srv.URL + "/?big"} {
		newConns.Store(0)
		ch := testChannel(target)
		ch.SecretEnv = "S"
		s := mustSender(t, ch, map[string]string{"S": testSecret})
		for i := range 100 {
			m := testMessage()
			m.ID = int64(i)
			if res := s.Send(context.Background(), m); res.Outcome != channel.Sent {
				t.Fatalf("send %d: %v %s", i, res.Outcome, res.Err)
			}
		}
		if n := newConns.Load(); n != 1 {
			t.Errorf("%s: 100 sequential sends opened %d connections, want 1", target, n)
		}
	}
}

// Many workers share one Sender; every request must carry its own body and
// a valid signature (this exercises the buffer pool under -race).
func TestConcurrentSends(t *testing.T) {
	srv, seen := recordingServer(t, nil)
	ch := testChannel(srv.URL)
	ch.SecretEnv = "S"
	s := mustSender(t, ch, map[string]string{"S": testSecret})

	const workers, each = 8, 40
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				m := testMessage()
				m.ID = int64(w*each + i)
				m.Key = fmt.Sprintf("key-%d", m.ID)
				m.Body = strings.Repeat("x", int(m.ID)%300)
				if res := s.Send(context.Background(), m); res.Outcome != channel.Sent {
					t.Errorf("send %d: %v %s", m.ID, res.Outcome, res.Err)
				}
			}
		})
	}
	wg.Wait()

	ids := map[string]bool{}
	for range workers * each {
		req := receive(t, seen)
		if err := verifyStandardWebhook(testSecret, req.header, req.body, time.Now()); err != nil {
			t.Fatalf("request %s: %v", req.header.Get("webhook-id"), err)
		}
		key := req.header.Get("webhook-id")
		if !strings.Contains(string(req.body), `"key":"`+key+`"`) {
			t.Fatalf("body of %s carries another message: %s", key, req.body)
		}
		ids[key] = true
	}
	if len(ids) != workers*each {
		t.Errorf("%d distinct messages arrived, want %d", len(ids), workers*each)
	}
}

// countingConn counts the writes a client makes on its connection.
type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// Headers and body go out in one write: net/http flushes the headers
// separately unless the body is an in-memory reader of a type it knows,
// which would cost a syscall and a TCP packet more per message on both ends.
func TestOneWritePerRequest(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.Copy(io.Discard, r.Body) }))
	defer srv.Close()
	var writes atomic.Int64
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		return countingConn{c, &writes}, err
	}}
	defer tr.CloseIdleConnections()
	f := NewFactory(&http.Client{Transport: tr})
	snd, err := f(channel.Channel{Code: "c", Kind: Kind, Target: srv.URL, Timeout: 5 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	const n = 20
	for i := 0; i < n; i++ {
		m := &channel.Message{ID: int64(i), Key: fmt.Sprintf("k-%d", i), Title: "t", Body: strings.Repeat("x", 1000)}
		if r := snd.Send(context.Background(), m); r.Outcome != channel.Sent {
			t.Fatalf("send %d: %+v", i, r)
		}
	}
	if got := writes.Load(); got != n {
		t.Fatalf("%d writes for %d requests, want one each", got, n)
	}
}

// bodyKeeper is a RoundTripper that keeps each request's GetBody, to read
// the body again long after Send returned (as a transport replaying the
// request on a new connection would).
type bodyKeeper struct {
	next   http.RoundTripper
	mu     sync.Mutex
	bodies map[string]func() (io.ReadCloser, error)
}

func (k *bodyKeeper) RoundTrip(r *http.Request) (*http.Response, error) {
	k.mu.Lock()
	k.bodies[r.Header.Get("webhook-id")] = r.GetBody
	k.mu.Unlock()
	return k.next.RoundTrip(r)
}

// A request's body stays its own after Send returns: later sends reuse
// scratch buffers, never the bytes a transport may still replay.
func TestBodyUnchangedByLaterSends(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.Copy(io.Discard, r.Body) }))
	defer srv.Close()
	keeper := &bodyKeeper{next: http.DefaultTransport, bodies: map[string]func() (io.ReadCloser, error){}}
	snd, err := NewFactory(&http.Client{Transport: keeper})(channel.Channel{Code: "c", Kind: Kind, Target: srv.URL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; i++ {
		m := &channel.Message{ID: int64(i), Key: fmt.Sprintf("k-%d", i), Title: fmt.Sprintf("title %d", i)}
		snd.Send(context.Background(), m)
	}
	for i := 0; i < 50; i++ {
		rc, err := keeper.bodies[fmt.Sprintf("k-%d", i)]()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		var env struct {
			ID    int64  `json:"id"`
			Title string `json:"title"`
		}
		if err := json.Unmarshal(b, &env); err != nil || env.ID != int64(i) || env.Title != fmt.Sprintf("title %d", i) {
			t.Fatalf("body of message %d read after later sends: %q (%v)", i, b, err)
		}
	}
}
