// Package webhooksig signs and verifies Standard Webhooks signatures
// (standardwebhooks.com): the header webhook-signature holds "v1," and the
// padded standard base64 of HMAC-SHA256 over "webhook-id.webhook-timestamp.body",
// keyed with the base64-decoded part of a "whsec_…" secret, and may carry
// several space-separated signatures (key rotation).
//
// Both directions use this one implementation: channel/webhook signs what
// the listener sends, and inbound verifies what `dbrelay serve` receives,
// so one dbrelay installation's webhook channel can call another's
// endpoint.
package webhooksig

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"
	"time"
)

// The headers of the scheme, in their canonical form.
const (
	HeaderID        = "Webhook-Id"
	HeaderTimestamp = "Webhook-Timestamp"
	HeaderSignature = "Webhook-Signature"
)

// DefaultTolerance is how far a webhook-timestamp may be from the receiver's
// clock, either way, as the reference libraries have it.
const DefaultTolerance = 5 * time.Minute

// secretPrefix marks a Standard Webhooks secret; the reference libraries
// accept the secret with or without it, and so do we.
const secretPrefix = "whsec_"

// Errors of Verify, for callers that tell a stale request from a forged one.
var (
	ErrMissing = errors.New("webhook-id, webhook-timestamp and webhook-signature are required")
	ErrStale   = errors.New("webhook-timestamp is outside the tolerance")
	ErrNoMatch = errors.New("no webhook-signature matches")
)

// DecodeSecret turns a secret (whsec_ and base64, or base64 alone) into the
// HMAC key. Only standard, padded base64 is accepted, as the reference
// libraries do: accepting more would let one side use a key the other
// side's library refuses to load. Errors never contain the value.
func DecodeSecret(v string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(v, secretPrefix))
	if err != nil {
		return nil, err
	}
	if len(key) == 0 {
		return nil, errors.New("it decodes to an empty key")
	}
	return key, nil
}

// AppendSignedPrefix appends "id.timestamp." to dst: the part of the signed
// content that precedes the body. A sender can build it in front of the
// body in one buffer so the HMAC runs over one contiguous slice.
func AppendSignedPrefix(dst []byte, id string, timestamp int64) []byte {
	dst = append(dst, id...)
	dst = append(dst, '.')
	dst = strconv.AppendInt(dst, timestamp, 10)
	return append(dst, '.')
}

// AppendSignature appends the webhook-signature value for content
// ("id.timestamp.body") to dst: "v1," and the padded standard base64 of
// HMAC-SHA256(content). mac must be an HMAC-SHA256 keyed with the secret; it
// is reset first, so pooled instances can be reused.
func AppendSignature(dst []byte, mac hash.Hash, content []byte) []byte {
	mac.Reset()
	mac.Write(content)
	n := len(dst)
	dst = mac.Sum(dst)
	var sum [sha256.Size]byte
	copy(sum[:], dst[n:])
	dst = append(dst[:n], "v1,"...)
	return base64.StdEncoding.AppendEncode(dst, sum[:])
}

// Sign returns the webhook-signature value for one request.
func Sign(key []byte, id string, timestamp int64, body []byte) string {
	content := append(AppendSignedPrefix(nil, id, timestamp), body...)
	return string(AppendSignature(nil, hmac.New(sha256.New, key), content))
}

// Verify checks a request's webhook-id, webhook-timestamp and
// webhook-signature header values against its body: the timestamp must be
// within tolerance of now (ErrStale), and one of the space-separated "v1,"
// signatures must be the HMAC of the content under key, compared in
// constant time (ErrNoMatch). Signatures of other versions are ignored, as
// the specification says.
func Verify(key []byte, id, timestamp, signatures string, body []byte, now time.Time, tolerance time.Duration) error {
	if id == "" || timestamp == "" || signatures == "" {
		return ErrMissing
	}
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: webhook-timestamp %q is not Unix seconds", ErrNoMatch, truncate(timestamp))
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w (%s, %s away from the receiver's clock; allowed: %s)", ErrStale, timestamp, d.Round(time.Second).Abs(), tolerance)
	}
	mac := hmac.New(sha256.New, key)
	// The content is signed with the header's own text, not a re-encoding
	// of the number.
	content := make([]byte, 0, len(id)+len(timestamp)+2+len(body))
	content = append(append(append(append(append(content, id...), '.'), timestamp...), '.'), body...)
	want := AppendSignature(nil, mac, content)
	for _, sig := range strings.Fields(signatures) {
		if hmac.Equal([]byte(sig), want) {
			return nil
		}
	}
	return ErrNoMatch
}

func truncate(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}
