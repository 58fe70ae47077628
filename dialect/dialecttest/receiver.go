package dialecttest

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Receiver is a real HTTP endpoint on 127.0.0.1 that records every request
// and answers as each path's script says.
type Receiver struct {
	URL string

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every request
	calls   map[string][]Call
	scripts map[string]func(n int) Reply
	srv     *http.Server
}

// Call is one recorded request.
type Call struct {
	Header   http.Header
	Query    url.Values
	Body     []byte
	Envelope map[string]any
	At       time.Time
}

// Reply is what the receiver answers: a status, an optional Retry-After
// and Location, Hold, which when set blocks the answer until the request is
// cancelled (a slow endpoint), and Echo, which answers with the request's
// headers as the body (an endpoint that echoes what it got). Body, when
// set, is the answer's body (a gateway's or robot's JSON verdict) instead
// of the status text. Delay, when set, answers that much later (an endpoint
// that is slow but answers).
type Reply struct {
	Status     int
	RetryAfter string
	Location   string
	Hold       bool
	Echo       bool
	Body       string
	Delay      time.Duration
}

// NewReceiver starts a receiver; it stops when t ends.
func NewReceiver(t testing.TB) *Receiver {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &Receiver{URL: "http://" + ln.Addr().String(), changed: make(chan struct{}),
		calls: map[string][]Call{}, scripts: map[string]func(int) Reply{}}
	r.srv = &http.Server{Handler: r}
	go r.srv.Serve(ln)
	t.Cleanup(func() { r.srv.Close() })
	return r
}

// Script sets how path answers its n-th call (n from 1); the default is 200.
func (r *Receiver) Script(path string, f func(n int) Reply) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.scripts[path] = f
}

func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	c := Call{Header: req.Header.Clone(), Query: req.URL.Query(), Body: body, At: time.Now()}
	json.Unmarshal(body, &c.Envelope)
	r.mu.Lock()
	r.calls[req.URL.Path] = append(r.calls[req.URL.Path], c)
	n := len(r.calls[req.URL.Path])
	script := r.scripts[req.URL.Path]
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
	reply := Reply{Status: 200}
	if script != nil {
		reply = script(n)
	}
	if reply.Hold {
		<-req.Context().Done()
		return
	}
	if reply.Delay > 0 {
		t := time.NewTimer(reply.Delay)
		select {
		case <-req.Context().Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
	if reply.RetryAfter != "" {
		w.Header().Set("Retry-After", reply.RetryAfter)
	}
	if reply.Location != "" {
		w.Header().Set("Location", reply.Location)
	}
	w.WriteHeader(reply.Status)
	if reply.Echo {
		req.Header.Write(w)
		return
	}
	if reply.Body != "" {
		io.WriteString(w, reply.Body)
		return
	}
	io.WriteString(w, http.StatusText(reply.Status))
}

// Calls returns the calls to path so far.
func (r *Receiver) Calls(path string) []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Call(nil), r.calls[path]...)
}

// Total counts calls to every path.
func (r *Receiver) Total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.calls {
		n += len(c)
	}
	return n
}

// WaitCalls waits until path has had at least n calls, failing the test
// after timeout.
func (r *Receiver) WaitCalls(t testing.TB, path string, n int, timeout time.Duration) []Call {
	t.Helper()
	deadline := time.After(timeout)
	for {
		r.mu.Lock()
		calls, changed := r.calls[path], r.changed
		r.mu.Unlock()
		if len(calls) >= n {
			return r.Calls(path)
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("%s: %d calls after %v, want %d", path, len(calls), timeout, n)
		}
	}
}

// KeysSeen counts how often each webhook-id arrived on every path.
func (r *Receiver) KeysSeen() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := map[string]int{}
	for _, calls := range r.calls {
		for _, c := range calls {
			seen[strings.TrimSpace(c.Header.Get("webhook-id"))]++
		}
	}
	return seen
}
