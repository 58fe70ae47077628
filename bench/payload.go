package main

import (
	"bytes"
	"strconv"
)

// Every system carries the same message: a JSON object of about 300 bytes
// whose first field "t" is the moment the host inserted it (Unix
// nanoseconds). The sink subtracts "t" from the arrival time, so latency is
// measured end to end, across processes, without any system's help.

// payloadPad brings the payload to about 300 bytes; it is filler that a JSON
// encoder has to copy but not escape.
const payloadPad = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo"

// appendPayload appends the payload of message seq inserted at t (Unix ns).
func appendPayload(dst []byte, seq int, t int64) []byte {
	dst = append(dst, `{"t":`...)
	dst = strconv.AppendInt(dst, t, 10)
	dst = append(dst, `,"seq":`...)
	dst = strconv.AppendInt(dst, int64(seq), 10)
	dst = append(dst, `,"customer":"customer-`...)
	dst = strconv.AppendInt(dst, int64(seq%9973), 10)
	dst = append(dst, `","note":"`...)
	dst = append(dst, payloadPad...)
	return append(dst, `"}`...)
}

// payloadSQL is appendPayload as a PostgreSQL expression over g (the
// generate_series column) and $1 (t), for inserting a backlog in one
// statement. jsonb stores it as the same object.
const payloadSQL = `jsonb_build_object('t', $1::bigint, 'seq', g, 'customer', 'customer-' || (g % 9973), 'note', '` + payloadPad + `')`

// Where "t" can stand in a body the sink receives: a raw payload (River, the
// HTTP ceiling), a jsonb rendering of it (`"t": 123`, inside dbrelay's
// envelope under "payload"), or a JSON string holding the payload (the
// envelope's "body" when the payload went through relay.push's context
// argument, which escapes the quotes).
var (
	keyPlain   = []byte(`"t":`)
	keyEscaped = []byte(`\"t\":`)
)

// insertTime finds the payload's "t" in a request body.
func insertTime(body []byte) (int64, bool) {
	i := bytes.Index(body, keyPlain)
	if i >= 0 {
		i += len(keyPlain)
	} else if i = bytes.Index(body, keyEscaped); i >= 0 {
		i += len(keyEscaped)
	} else {
		return 0, false
	}
	for i < len(body) && body[i] == ' ' {
		i++
	}
	var t int64
	start := i
	for ; i < len(body) && body[i] >= '0' && body[i] <= '9'; i++ {
		t = t*10 + int64(body[i]-'0')
	}
	return t, i > start
}
