package webhooksig

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strconv"
	"testing"
	"time"
)

// The fixed vector the Standard Webhooks reference libraries test against
// (repository standard-webhooks/standard-webhooks, libraries/go/webhook_test.go).
const (
	vectorSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTimestamp = 1614265330
	vectorPayload   = `{"test": 2432232314}`
	vectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestVerifyReferenceVector(t *testing.T) {
	key, err := DecodeSecret(vectorSecret)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Unix(vectorTimestamp, 0)
	ts := strconv.Itoa(vectorTimestamp)
	if err := Verify(key, vectorID, ts, vectorSignature, []byte(vectorPayload), at, DefaultTolerance); err != nil {
		t.Fatalf("reference vector rejected: %v", err)
	}
	// Key rotation: an unknown version and a stale key beside the good one.
	if err := Verify(key, vectorID, ts, "v2,abc v1,AAAA "+vectorSignature, []byte(vectorPayload), at, DefaultTolerance); err != nil {
		t.Fatalf("rotated signatures rejected: %v", err)
	}
	if got := Sign(key, vectorID, vectorTimestamp, []byte(vectorPayload)); got != vectorSignature {
		t.Fatalf("Sign = %s, want %s", got, vectorSignature)
	}
}

func TestVerifyRejects(t *testing.T) {
	key := make([]byte, 32)
	rand.Read(key)
	other := make([]byte, 32)
	rand.Read(other)
	now := time.Unix(1_700_000_000, 0)
	body := []byte(`{"a":1}`)
	ts := strconv.FormatInt(now.Unix(), 10)
	good := Sign(key, "id1", now.Unix(), body)
	cases := []struct {
		name         string
		key          []byte
		id, ts, sigs string
		body         []byte
		at           time.Time
		want         error
	}{
		{"tampered body", key, "id1", ts, good, []byte(`{"a":2}`), now, ErrNoMatch},
		{"other id", key, "id2", ts, good, body, now, ErrNoMatch},
		{"other key", other, "id1", ts, good, body, now, ErrNoMatch},
		{"no signature", key, "id1", ts, "", body, now, ErrMissing},
		{"unknown version only", key, "id1", ts, "v2," + good[3:], body, now, ErrNoMatch},
		{"timestamp not a number", key, "id1", "soon", good, body, now, ErrNoMatch},
		{"older than tolerance", key, "id1", ts, good, body, now.Add(DefaultTolerance + time.Second), ErrStale},
		{"newer than tolerance", key, "id1", ts, good, body, now.Add(-DefaultTolerance - time.Second), ErrStale},
	}
	for _, c := range cases {
		err := Verify(c.key, c.id, c.ts, c.sigs, c.body, c.at, DefaultTolerance)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: Verify = %v, want %v", c.name, err, c.want)
		}
	}
	// Inside the tolerance, either way, it passes.
	for _, at := range []time.Time{now.Add(DefaultTolerance), now.Add(-DefaultTolerance)} {
		if err := Verify(key, "id1", ts, good, body, at, DefaultTolerance); err != nil {
			t.Errorf("at %v: %v", at.Sub(now), err)
		}
	}
}

func TestDecodeSecret(t *testing.T) {
	raw := []byte("0123456789abcdef0123456789")
	enc := base64.StdEncoding.EncodeToString(raw)
	for _, s := range []string{enc, "whsec_" + enc} {
		k, err := DecodeSecret(s)
		if err != nil || string(k) != string(raw) {
			t.Errorf("DecodeSecret(%q) = %q, %v", s, k, err)
		}
	}
	for _, bad := range []string{"whsec_", "not base64!", base64.RawStdEncoding.EncodeToString(raw)} {
		if _, err := DecodeSecret(bad); err == nil {
			t.Errorf("DecodeSecret(%q) accepted", bad)
		}
	}
}
