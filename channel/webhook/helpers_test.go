package webhook

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/channel"
	"github.com/dbrelay/dbrelay/secret"
)

// testSecret is a whsec_ secret used by tests (the base64 of 32 fixed bytes).
const testSecret = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

// request is what a test server saw.
type request struct {
	method string
	path   string
	header http.Header
	body   []byte
}

// recordingServer starts a server that records each request on the returned
// channel (buffered, so handlers never block) and answers with respond.
func recordingServer(t testing.TB, respond http.HandlerFunc) (*httptest.Server, <-chan request) {
	t.Helper()
	seen := make(chan request, 1024)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("server: reading body: %v", err)
		}
		seen <- request{method: r.Method, path: r.URL.Path, header: r.Header.Clone(), body: body}
		if respond != nil {
			respond(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, seen
}

// mustSender builds a sender through the public factory with a client of
// its own, whose idle connections are closed at the end of the test.
func mustSender(t testing.TB, ch channel.Channel, env map[string]string) channel.Sender {
	t.Helper()
	client := NewClient(8)
	t.Cleanup(client.CloseIdleConnections)
	s, err := NewFactory(client)(ch, mapEnv(env))
	if err != nil {
		t.Fatalf("factory: %v", err)
	}
	return s
}

// mapEnv reads m, every name in it allowed.
func mapEnv(m map[string]string) *secret.Env {
	return secret.FromMap(m, slices.Collect(maps.Keys(m))...)
}

func testChannel(target string) channel.Channel {
	return channel.Channel{
		Code:        "crm-webhook",
		Kind:        Kind,
		Target:      target,
		Enabled:     true,
		MaxAttempts: 5,
		Timeout:     5 * time.Second,
	}
}

func testMessage() *channel.Message {
	return &channel.Message{
		ID:        42,
		Key:       "order-42-paid",
		Event:     "order.paid",
		Sender:    "shop",
		Receiver:  "crm",
		Address:   "ops@example.com",
		Channel:   "crm-webhook",
		Title:     "订单已支付 <b>&amp;",
		Body:      "你好，世界 😀 \u2028 \"quoted\" \\ tab\there\nnew line",
		Payload:   json.RawMessage(`{"order": 42, "items": ["书", "<pen>"], "total": 12.50}`),
		Ref:       "ORD-42",
		CreatedAt: time.Date(2025, 1, 2, 11, 4, 5, 123456789, time.FixedZone("CST", 8*3600)),
		Attempt:   3,
	}
}

// receive returns the next request a server recorded, failing the test if
// none was recorded (Send has already returned, so it must be there).
func receive(t testing.TB, seen <-chan request) request {
	t.Helper()
	select {
	case r := <-seen:
		return r
	default:
		t.Fatal("the server saw no request")
		return request{}
	}
}
