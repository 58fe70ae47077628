package channel

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
)

// maxJSONDepth bounds the nesting of a stored JSON answer: SQL Server's
// JSON functions stop at 128 levels, and a receiver has no use for more.
const maxJSONDepth = 64

// CleanJSON returns b re-encoded as JSON that PostgreSQL's jsonb and SQL
// Server's ISJSON both accept, or "" when b is not one: b must be a JSON
// object or array (SQL Server 2016's ISJSON refuses a bare scalar) of at
// most MaxJSONResponse bytes, nested at most 64 deep, whose strings hold no
// NUL (jsonb refuses \u0000) and whose numbers fit a float64 (jsonb's
// numeric refuses some larger ones). Re-encoding turns invalid UTF-8 and
// lone surrogate escapes, which jsonb refuses too, into U+FFFD. A "" keeps
// the write-back from failing on an answer the database would refuse.
func CleanJSON(b []byte) string {
	v, ok := decodeJSON(b)
	if !ok {
		return ""
	}
	return encodeJSON(v)
}

// RedactJSON is RedactCredentials for a JSON document as CleanJSON returns
// them, keeping it JSON: the value of every member named like a credential
// (authorization, password, token, …) becomes Redacted, and every other
// string is passed through RedactCredentials. "" when js is not such a
// document.
func RedactJSON(js string) string {
	if js == "" || !mayHoldCredential(js) {
		return js
	}
	v, ok := decodeJSON([]byte(js))
	if !ok {
		return ""
	}
	return encodeJSON(redactValue(v))
}

// credentialName is a whole member name that names a credential.
var credentialName = regexp.MustCompile(`(?i)^(?:` + credentialNames + `)$`)

func redactValue(v any) any {
	switch x := v.(type) {
	case string:
		return RedactCredentials(x)
	case []any:
		for i, e := range x {
			x[i] = redactValue(e)
		}
	case map[string]any:
		for k, e := range x {
			if credentialName.MatchString(k) {
				x[k] = Redacted
			} else {
				x[k] = redactValue(e)
			}
		}
	}
	return v
}

func decodeJSON(b []byte) (any, bool) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || len(b) > MaxJSONResponse || (b[0] != '{' && b[0] != '[') {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.InputOffset() != int64(len(b)) || !storable(v, 0) {
		return nil, false
	}
	return v, true
}

// encodeJSON encodes a decoded value; "" when the result is over
// MaxJSONResponse (U+FFFD replacing bad bytes can grow it).
func encodeJSON(v any) string {
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return ""
	}
	s := strings.TrimSuffix(out.String(), "\n")
	if len(s) > MaxJSONResponse {
		return ""
	}
	return s
}

// storable checks a decoded JSON value for what the databases refuse.
func storable(v any, depth int) bool {
	if depth > maxJSONDepth {
		return false
	}
	switch x := v.(type) {
	case string:
		return strings.IndexByte(x, 0) < 0
	case json.Number:
		_, err := strconv.ParseFloat(string(x), 64)
		return err == nil
	case []any:
		for _, e := range x {
			if !storable(e, depth+1) {
				return false
			}
		}
	case map[string]any:
		for k, e := range x {
			if strings.IndexByte(k, 0) >= 0 || !storable(e, depth+1) {
				return false
			}
		}
	}
	return true
}
