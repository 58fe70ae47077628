package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/channel"
)

// BenchmarkEnvelope measures encoding alone, into a reused buffer as Send
// does with its pool.
func BenchmarkEnvelope(b *testing.B) {
	m := testMessage()
	buf := make([]byte, 0, 2048)
	var err error
	b.ReportAllocs()
	for b.Loop() {
		buf, err = appendEnvelope(buf[:0], m)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

// BenchmarkSign measures the signature alone, with a reused HMAC as Send
// gets from its pool.
func BenchmarkSign(b *testing.B) {
	key, err := decodeSecret(testSecret)
	if err != nil {
		b.Fatal(err)
	}
	mac := hmac.New(sha256.New, key)
	content := appendSignedPrefix(nil, "order-42-paid", 1700000000)
	content, _ = appendEnvelope(content, testMessage())
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		buf = appendSignature(buf[:0], mac, content)
	}
}

func benchServer(b *testing.B) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// BenchmarkSend is one signed delivery end to end against a local server
// (the server's own work is included in the numbers).
func BenchmarkSend(b *testing.B) {
	srv := benchServer(b)
	ch := testChannel(srv.URL + "/hook")
	ch.SecretEnv = "S"
	ch.Config = []byte(`{"headers": {"X-Tenant": "acme"}}`)
	s := mustSender(b, ch, map[string]string{"S": testSecret})
	m := testMessage()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if res := s.Send(ctx, m); res.Outcome != channel.Sent {
			b.Fatalf("%v %s", res.Outcome, res.Err)
		}
	}
}

// BenchmarkSendParallel is BenchmarkSend with GOMAXPROCS workers sharing
// one Sender, as the listener's workers do.
func BenchmarkSendParallel(b *testing.B) {
	srv := benchServer(b)
	ch := testChannel(srv.URL + "/hook")
	ch.SecretEnv = "S"
	s := mustSender(b, ch, map[string]string{"S": testSecret})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		m := testMessage()
		ctx := context.Background()
		for pb.Next() {
			if res := s.Send(ctx, m); res.Outcome != channel.Sent {
				b.Errorf("%v %s", res.Outcome, res.Err)
				return
			}
		}
	})
}

// BenchmarkEnvelopeEncodingJSON is the encoding/json equivalent of
// BenchmarkEnvelope, kept as the yardstick the hand-written encoder must
// beat to be worth its code.
func BenchmarkEnvelopeEncodingJSON(b *testing.B) {
	m := testMessage()
	type envelope struct {
		ID        int64           `json:"id"`
		Key       string          `json:"key"`
		Event     string          `json:"event"`
		Sender    string          `json:"sender"`
		Receiver  string          `json:"receiver"`
		Address   string          `json:"address"`
		Channel   string          `json:"channel"`
		Title     string          `json:"title"`
		Body      string          `json:"body"`
		Payload   json.RawMessage `json:"payload"`
		Ref       string          `json:"ref"`
		CreatedAt time.Time       `json:"created_at"`
		Attempt   int             `json:"attempt"`
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		err := enc.Encode(envelope{m.ID, m.Key, m.Event, m.Sender, m.Receiver, m.Address, m.Channel,
			m.Title, m.Body, m.Payload, m.Ref, m.CreatedAt.UTC(), m.Attempt})
		if err != nil {
			b.Fatal(err)
		}
	}
}
