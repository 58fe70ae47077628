package inbound

import (
	"context"
	"github.com/dbrelay/dbrelay/secret"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/channel"
	"github.com/dbrelay/dbrelay/channel/webhook"
	"github.com/dbrelay/dbrelay/dialect"
	"github.com/dbrelay/dbrelay/webhooksig"
)

// signed returns Standard Webhooks headers for body, signed age ago with
// the fixture's secret.
func signed(t *testing.T, id string, body []byte, age time.Duration) http.Header {
	t.Helper()
	key, err := webhooksig.DecodeSecret(webhookSecret)
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Now().Add(-age).Unix()
	return http.Header{
		webhooksig.HeaderID:        {id},
		webhooksig.HeaderTimestamp: {strconv.FormatInt(ts, 10)},
		webhooksig.HeaderSignature: {webhooksig.Sign(key, id, ts, body)},
	}
}

func TestWebhookAuth(t *testing.T) {
	f := serve(t, Config{}, testEndpoint("/hooks/crm", dialect.AuthWebhook))
	body := []byte(`{"type": "order.created", "id": 7}`)
	unknown := f.do("POST", "/nowhere", body, nil)

	tampered := signed(t, "msg_a", body, 0)
	wrongKey := signed(t, "msg_a", body, 0)
	wrongKey.Set(webhooksig.HeaderSignature, webhooksig.Sign([]byte("another key, 32 bytes long......"), "msg_a", time.Now().Unix(), body))
	otherID := signed(t, "msg_a", body, 0)
	otherID.Set(webhooksig.HeaderID, "msg_b")
	for name, c := range map[string]struct {
		h    http.Header
		body []byte
	}{
		"unsigned":          {nil, body},
		"tampered body":     {tampered, []byte(`{"type": "order.created", "id": 8}`)},
		"wrong key":         {wrongKey, body},
		"id not signed":     {otherID, body},
		"outside tolerance": {signed(t, "msg_c", body, webhooksig.DefaultTolerance+30*time.Second), body},
		"from the future":   {signed(t, "msg_d", body, -webhooksig.DefaultTolerance-30*time.Second), body},
	} {
		checkUnauthorized(t, name, f.do("POST", "/hooks/crm", c.body, c.h), unknown)
	}
	if n := f.count(`SELECT count(*) FROM app.orders`); n != 0 {
		t.Fatalf("%d orders after refused webhooks", n)
	}
	if n := f.count(`SELECT count(*) FROM relay.inbound WHERE outcome = 'unauthorized' AND error LIKE '%tolerance%'`); n != 2 {
		t.Fatalf("%d audit rows say the timestamp was outside the tolerance, want 2", n)
	}

	// Signed four minutes ago: inside the tolerance. Sent again (a replay
	// inside the tolerance): the first answer, and the procedure does not
	// run again.
	h := signed(t, "msg_ok", body, 4*time.Minute)
	first := f.do("POST", "/hooks/crm", body, h)
	want(t, "signed webhook", first, http.StatusCreated, `"order"`)
	again := f.do("POST", "/hooks/crm", body, h)
	want(t, "replay inside the tolerance", again, http.StatusCreated)
	if again.body != first.body || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay answered %s (replayed %q), first answer %s", again.body, again.header.Get("Idempotent-Replayed"), first.body)
	}
	if n := f.count(`SELECT count(*) FROM app.orders`); n != 1 {
		t.Fatalf("%d orders after a webhook and its replay, want 1", n)
	}
	a := f.lastAudit()
	if a.Outcome != "replayed" || !a.ReplayOf.Valid || a.Key.String != "msg_ok" {
		t.Fatalf("audit row of the replay: %+v", a)
	}
	// The same id signed now but past the tolerance is what a replay of
	// the captured request later looks like: refused before anything runs.
	checkUnauthorized(t, "replay outside the tolerance", f.do("POST", "/hooks/crm", body, signed(t, "msg_ok", body, webhooksig.DefaultTolerance+time.Second)), unknown)
	if n := f.count(`SELECT count(*) FROM app.orders`); n != 1 {
		t.Fatalf("%d orders, want 1", n)
	}
}

// Two dbrelay installations talk: a webhook channel of one (the
// listener's sender, signing with the same secret) calls a webhook
// endpoint of another. A redelivery of the same message (same key, new
// timestamp and signature) is answered from the first delivery.
func TestWebhookChannelToEndpoint(t *testing.T) {
	f := serve(t, Config{}, testEndpoint("/hooks/relay", dialect.AuthWebhook))
	ch := channel.Channel{Code: "peer", Kind: "webhook", Target: f.url + "/hooks/relay", SecretEnv: "PEER_SECRET",
		Enabled: true, MaxAttempts: 3, Timeout: 10 * time.Second}
	sender, err := webhook.NewFactory(nil)(ch, secret.FromMap(map[string]string{"PEER_SECRET": webhookSecret}, "PEER_SECRET"))
	if err != nil {
		t.Fatal(err)
	}
	m := &channel.Message{ID: 42, Key: "6f1c5f0e-2a1d-4a43-9c55-0d9d6f6f2a11", Event: "MESSAGE", Sender: "王经理",
		Receiver: "zhangsan", Channel: "peer", Title: "请审批", Body: "报销单 #42", CreatedAt: time.Now(), Attempt: 1}
	for attempt := 1; attempt <= 2; attempt++ {
		m.Attempt = attempt
		res := sender.Send(context.Background(), m)
		if res.Outcome != channel.Sent || res.StatusCode != http.StatusCreated {
			t.Fatalf("attempt %d: %v %d %s", attempt, res.Outcome, res.StatusCode, res.Err)
		}
	}
	if n := f.count(`SELECT count(*) FROM app.orders WHERE body->>'title' = '请审批' AND body->>'key' = $1`, m.Key); n != 1 {
		t.Fatalf("%d orders from two deliveries of one message, want 1", n)
	}
	if n := f.count(`SELECT count(*) FROM relay.inbound WHERE idempotency_key = $1 AND outcome = 'replayed'`, m.Key); n != 1 {
		t.Fatalf("the redelivery was not answered as a replay (%d rows)", n)
	}
}
