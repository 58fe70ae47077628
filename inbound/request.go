package inbound

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/dbrelay/dbrelay/webhooksig"
)

// errTooLarge: the body is over the endpoint's limit.
var errTooLarge = errors.New("body too large")

// readBody reads at most limit bytes of the body; errTooLarge when there
// is more (a Content-Length over the limit is refused without reading).
func readBody(r *http.Request, limit int) ([]byte, error) {
	if r.ContentLength > int64(limit) {
		return nil, errTooLarge
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("reading the body: %w", err)
	}
	if len(b) > limit {
		return nil, errTooLarge
	}
	return b, nil
}

// checkJSON accepts a body that is one JSON object or array in UTF-8, and
// otherwise says what is wrong with it, where.
func checkJSON(b []byte) error {
	if !utf8.Valid(b) {
		return errors.New("the body is not valid UTF-8; send JSON in UTF-8")
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return errors.New("the body is empty; send a JSON object or array")
	}
	var raw json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return fmt.Errorf("invalid JSON at byte %d: %v", se.Offset, err)
		}
		return fmt.Errorf("invalid JSON: %v", err)
	}
	if c := raw[0]; c != '{' && c != '[' {
		return errors.New("the body must be a JSON object or array, not a bare value")
	}
	return nil
}

// credentialHeaders are left out of relay.inbound.headers.
var credentialHeaders = map[string]bool{
	"authorization":       true,
	"proxy-authorization": true,
	"cookie":              true,
	"webhook-signature":   true,
}

// headersJSON renders the request's headers as a JSON object with
// lower-case names (several values joined by ", "), without credentials.
func headersJSON(h http.Header) string {
	m := make(map[string]string, len(h))
	for name, values := range h {
		n := strings.ToLower(name)
		if credentialHeaders[n] {
			continue
		}
		m[n] = strings.Join(values, ", ")
	}
	b, _ := json.Marshal(m) // a map of strings cannot fail
	return string(b)
}

// idempotencyKey is the request's key: webhook-id for webhook auth (the
// signature covers it), otherwise the Idempotency-Key header, if any.
func idempotencyKey(h http.Header, webhook bool) (string, error) {
	name := "Idempotency-Key"
	if webhook {
		name = webhooksig.HeaderID
	}
	k := h.Get(name)
	if k == "" && !webhook {
		return "", nil
	}
	if len(k) == 0 || len(k) > maxKeyLength || strings.ContainsFunc(k, func(r rune) bool { return r <= ' ' || r > '~' }) {
		return "", fmt.Errorf("%s must be 1 to %d visible ASCII characters", name, maxKeyLength)
	}
	return k, nil
}
