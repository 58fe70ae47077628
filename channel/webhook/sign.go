package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"hash"
	"strconv"
	"strings"
)

// secretPrefix marks a Standard Webhooks secret; the reference libraries
// accept the secret with or without it, and so do we.
const secretPrefix = "whsec_"

// decodeSecret turns the value of a channel's secret env var into the HMAC
// key. Only standard, padded base64 is accepted, like the reference libraries
// do: accepting more would let the relay sign with a key the receiver's
// library refuses to load. Errors never contain the value.
func decodeSecret(v string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(v, secretPrefix))
	if err != nil {
		return nil, err
	}
	if len(key) == 0 {
		return nil, errors.New("it decodes to an empty key")
	}
	return key, nil
}

// appendSignedPrefix appends "id.timestamp." to dst: the part of the
// Standard Webhooks signed content that precedes the body. Send builds it in
// front of the envelope in the same buffer so the HMAC runs over one
// contiguous slice.
func appendSignedPrefix(dst []byte, id string, timestamp int64) []byte {
	dst = append(dst, id...)
	dst = append(dst, '.')
	dst = strconv.AppendInt(dst, timestamp, 10)
	return append(dst, '.')
}

// appendSignature appends the webhook-signature value for content
// ("id.timestamp.body") to dst: "v1," and the padded standard base64 of
// HMAC-SHA256(content). mac must be an HMAC-SHA256 keyed with the secret; it
// is reset first, so pooled instances can be reused.
func appendSignature(dst []byte, mac hash.Hash, content []byte) []byte {
	mac.Reset()
	mac.Write(content)
	n := len(dst)
	dst = mac.Sum(dst)
	var sum [sha256.Size]byte
	copy(sum[:], dst[n:])
	dst = append(dst[:n], "v1,"...)
	return base64.StdEncoding.AppendEncode(dst, sum[:])
}

// sign returns the webhook-signature value for one request. Send does the
// same through the two append helpers with a pooled HMAC; this form exists
// so the Standard Webhooks test vector can be checked against the exact code
// that Send uses.
func sign(secret []byte, id string, timestamp int64, body []byte) string {
	content := append(appendSignedPrefix(nil, id, timestamp), body...)
	return string(appendSignature(nil, hmac.New(sha256.New, secret), content))
}
