package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/channel"
)

// verifyStandardWebhook is a receiver-side check written from the Standard
// Webhooks specification, independently of the package's signing code:
// strip whsec_, base64-decode the key, HMAC-SHA256 over
// "webhook-id.webhook-timestamp.body", compare (in constant time) with every
// space-separated "v1,<base64>" entry, and reject timestamps more than five
// minutes away.
func verifyStandardWebhook(secret string, h http.Header, body []byte, now time.Time) error {
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return errors.New("missing webhook-id, webhook-timestamp or webhook-signature")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("bad timestamp %q", ts)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return fmt.Errorf("timestamp %s outside tolerance", ts)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	expected := mac.Sum(nil)
	for _, sig := range strings.Split(sigs, " ") {
		version, encoded, ok := strings.Cut(sig, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(encoded)
		if err == nil && hmac.Equal(got, expected) {
			return nil
		}
	}
	return errors.New("no matching signature")
}

// TestSignReferenceVector checks the fixed vector that the Standard Webhooks
// reference libraries test against. Source: repository
// standard-webhooks/standard-webhooks, libraries/go/webhook_test.go
// (TestWebhookSign) and libraries/python/tests/test_webhooks.py
// (test_sign_function).
func TestSignReferenceVector(t *testing.T) {
	const (
		secret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
		msgID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
		timestamp = 1614265330
		payload   = `{"test": 2432232314}`
		expected  = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	)
	for _, s := range []string{secret, strings.TrimPrefix(secret, "whsec_")} {
		key, err := decodeSecret(s)
		if err != nil {
			t.Fatalf("decodeSecret(%q): %v", s, err)
		}
		if got := sign(key, msgID, timestamp, []byte(payload)); got != expected {
			t.Errorf("sign with %q = %s, want %s", s, got, expected)
		}
	}
	// The independent verifier agrees (ignoring its clock check).
	h := http.Header{}
	h.Set("webhook-id", msgID)
	h.Set("webhook-timestamp", strconv.Itoa(timestamp))
	h.Set("webhook-signature", expected)
	if err := verifyStandardWebhook(secret, h, []byte(payload), time.Unix(timestamp, 0)); err != nil {
		t.Errorf("independent verifier rejects the reference vector: %v", err)
	}
}

func TestSignedRequestVerifies(t *testing.T) {
	for _, secret := range []string{testSecret, strings.TrimPrefix(testSecret, "whsec_")} {
		srv, seen := recordingServer(t, nil)
		ch := testChannel(srv.URL)
		ch.SecretEnv = "CRM_WEBHOOK_SECRET"
		s := mustSender(t, ch, map[string]string{"CRM_WEBHOOK_SECRET": secret})
		m := testMessage()

		before := time.Now().Unix()
		res := s.Send(context.Background(), m)
		after := time.Now().Unix()
		if res.Outcome != channel.Sent {
			t.Fatalf("outcome %v (%s)", res.Outcome, res.Err)
		}
		req := receive(t, seen)
		if err := verifyStandardWebhook(testSecret, req.header, req.body, time.Now()); err != nil {
			t.Errorf("secret %q: signature does not verify: %v", secret, err)
		}
		if got := req.header.Get("webhook-id"); got != m.Key {
			t.Errorf("webhook-id %q, want the message key %q", got, m.Key)
		}
		ts, err := strconv.ParseInt(req.header.Get("webhook-timestamp"), 10, 64)
		if err != nil || ts < before || ts > after {
			t.Errorf("webhook-timestamp %q, want Unix seconds in [%d, %d]", req.header.Get("webhook-timestamp"), before, after)
		}
		// Tampering is detected, so the verifier is not vacuous.
		tampered := append([]byte(nil), req.body...)
		tampered[len(tampered)-2] ^= 1
		if verifyStandardWebhook(testSecret, req.header, tampered, time.Now()) == nil {
			t.Error("verifier accepted a tampered body")
		}
	}
}

func TestUnsignedRequestHasOnlyWebhookID(t *testing.T) {
	srv, seen := recordingServer(t, nil)
	s := mustSender(t, testChannel(srv.URL), nil)
	m := testMessage()
	if res := s.Send(context.Background(), m); res.Outcome != channel.Sent {
		t.Fatalf("outcome %v (%s)", res.Outcome, res.Err)
	}
	req := receive(t, seen)
	if got := req.header.Get("webhook-id"); got != m.Key {
		t.Errorf("webhook-id %q, want %q", got, m.Key)
	}
	for _, h := range []string{"webhook-timestamp", "webhook-signature"} {
		if v, ok := req.header[http.CanonicalHeaderKey(h)]; ok {
			t.Errorf("unsigned request carries %s: %q", h, v)
		}
	}
	// The Idempotency-Key marker used for transport retries is not sent.
	if v, ok := req.header["Idempotency-Key"]; ok {
		t.Errorf("Idempotency-Key reached the wire: %q", v)
	}
}
