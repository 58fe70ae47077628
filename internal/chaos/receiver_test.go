package chaos

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func post(t *testing.T, c *http.Client, url, key, body string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("webhook-id", key)
	return c.Do(req)
}

// The receiver records key, id and attempt of every request and answers as
// its channel's behaviour says.
func TestReceiverRecordsAndBehaves(t *testing.T) {
	r, err := StartReceiver()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	r.Set("fail", Behaviour{Fail503: 1})
	r.Set("hang", Behaviour{Hang: 1})
	c := &http.Client{Timeout: 10 * time.Second}

	resp, err := post(t, c, r.URL("ok"), "k1", `{"id":7,"attempt":2,"title":"x"}`)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("ok channel: %v %v", resp, err)
	}
	resp.Body.Close()
	resp, err = post(t, c, r.URL("fail"), "k2", `{"id":8,"attempt":1}`)
	if err != nil || resp.StatusCode != 503 {
		t.Fatalf("failing channel: %v %v", resp, err)
	}
	resp.Body.Close()
	hc := &http.Client{Timeout: 200 * time.Millisecond}
	if resp, err := post(t, hc, r.URL("hang"), "k3", `{"id":9,"attempt":1}`); err == nil {
		resp.Body.Close()
		t.Fatalf("hanging channel answered %d", resp.StatusCode)
	}

	if n := r.AcceptedCount(); n != 1 {
		t.Fatalf("accepted %d, want 1", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := poll(ctx, 10*time.Second, 10*time.Millisecond, func() (bool, error) {
		reqs := r.Requests()
		return len(reqs) == 3 && !reqs[2].Done.IsZero(), nil
	}); err != nil {
		t.Fatalf("the hung request was not recorded as over: %v (%+v)", err, r.Requests())
	}
	got := r.Requests()
	want := []Request{{Channel: "ok", Key: "k1", ID: 7, Attempt: 2, Code: 200},
		{Channel: "fail", Key: "k2", ID: 8, Attempt: 1, Code: 503}, {Channel: "hang", Key: "k3", ID: 9, Attempt: 1, Code: 0}}
	for i, w := range want {
		g := got[i]
		if g.Channel != w.Channel || g.Key != w.Key || g.ID != w.ID || g.Attempt != w.Attempt || g.Code != w.Code || g.At.IsZero() {
			t.Errorf("request %d: got %+v, want %+v", i, g, w)
		}
	}
	r.Reset()
	if len(r.Requests()) != 0 || r.AcceptedCount() != 0 {
		t.Fatal("Reset kept records")
	}
}

// The stalled endpoint takes the connection and never answers.
func TestStallNeverAnswers(t *testing.T) {
	s, err := StartStall()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	conn, err := net.Dial("tcp", strings.TrimSuffix(strings.TrimPrefix(s.URL(), "http://"), "/stall"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("POST /stall HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	buf := make([]byte, 1)
	if n, err := conn.Read(buf); n > 0 || err == nil {
		t.Fatalf("the stalled endpoint answered (%d bytes, %v)", n, err)
	} else if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
		t.Fatalf("want a read timeout, got %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := poll(ctx, 10*time.Second, 10*time.Millisecond, func() (bool, error) { return s.Accepted() == 1, nil }); err != nil {
		t.Fatalf("accepted %d connections, want 1", s.Accepted())
	}
}
