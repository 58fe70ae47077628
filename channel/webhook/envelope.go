package webhook

import (
	"encoding/json"
	"errors"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/dbrelay/dbrelay/channel"
)

// errInvalidPayload is returned by appendEnvelope when the message's payload
// is not a valid JSON value; sending it would hand the receiver a body it
// cannot parse, and no retry can fix that.
var errInvalidPayload = errors.New("payload is not valid UTF-8 JSON; not sending a broken envelope")

// appendEnvelope appends the JSON envelope of m to dst. It is hand-written
// because it runs once per message: encoding/json would reflect over a struct
// and HTML-escape strings, and the field set is small and fixed. On error dst
// is returned unchanged.
func appendEnvelope(dst []byte, m *channel.Message) ([]byte, error) {
	if len(m.Payload) > 0 && !(utf8.Valid(m.Payload) && json.Valid(m.Payload)) {
		return dst, errInvalidPayload
	}
	dst = append(dst, `{"id":`...)
	dst = strconv.AppendInt(dst, m.ID, 10)
	dst = append(dst, `,"key":`...)
	dst = appendJSONString(dst, m.Key)
	dst = append(dst, `,"event":`...)
	dst = appendJSONString(dst, m.Event)
	dst = append(dst, `,"sender":`...)
	dst = appendJSONString(dst, m.Sender)
	dst = append(dst, `,"receiver":`...)
	dst = appendJSONString(dst, m.Receiver)
	dst = append(dst, `,"address":`...)
	dst = appendJSONString(dst, m.Address)
	dst = append(dst, `,"channel":`...)
	dst = appendJSONString(dst, m.Channel)
	dst = append(dst, `,"title":`...)
	dst = appendJSONString(dst, m.Title)
	dst = append(dst, `,"body":`...)
	dst = appendJSONString(dst, m.Body)
	dst = append(dst, `,"payload":`...)
	if len(m.Payload) == 0 {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, m.Payload...)
	}
	dst = append(dst, `,"ref":`...)
	dst = appendJSONString(dst, m.Ref)
	dst = append(dst, `,"created_at":"`...)
	// RFC3339Nano output contains no character that needs escaping.
	dst = m.CreatedAt.UTC().AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","attempt":`...)
	dst = strconv.AppendInt(dst, int64(m.Attempt), 10)
	return append(dst, '}'), nil
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a quoted JSON string, following the rules of
// encoding/json with HTML escaping turned off: '"' and '\\' are escaped,
// control characters become \b, \f, \n, \r, \t or \u00XX, invalid UTF-8
// bytes become \ufffd, and U+2028/U+2029 are escaped because JavaScript
// parsers that predate ES2019 treat them as line ends. Everything else,
// including <, > and &, is copied as is.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	done := 0 // s[done:i] is pending, to be copied verbatim
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[done:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			done = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		var esc string
		switch {
		case r == utf8.RuneError && size == 1:
			esc = `\ufffd`
		case r == '\u2028':
			esc = `\u2028`
		case r == '\u2029':
			esc = `\u2029`
		default:
			i += size
			continue
		}
		dst = append(dst, s[done:i]...)
		dst = append(dst, esc...)
		i += size
		done = i
	}
	dst = append(dst, s[done:]...)
	return append(dst, '"')
}
