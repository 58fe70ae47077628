package main

import (
	"strings"
	"testing"
)

// The payload is "about 300 bytes" by the definition.
func TestPayloadSize(t *testing.T) {
	p := appendPayload(nil, 12345, 1700000000123456789)
	if n := len(p); n < 280 || n > 320 {
		t.Fatalf("payload is %d bytes, want about 300: %s", n, p)
	}
}

// The sink must find "t" in every form a system delivers it.
func TestInsertTime(t *testing.T) {
	const want = 1700000000123456789
	raw := string(appendPayload(nil, 1, want))
	bodies := map[string]string{
		"raw (River, HTTP ceiling)": raw,
		"jsonb in an envelope":      `{"id":1,"title":"order","payload":{"t": 1700000000123456789, "seq": 1},"ref":""}`,
		"escaped in a string body":  `{"id":1,"body":"` + strings.ReplaceAll(raw, `"`, `\"`) + `","payload":null}`,
	}
	for name, body := range bodies {
		got, ok := insertTime([]byte(body))
		if !ok || got != want {
			t.Errorf("%s: insertTime = %d, %v; want %d", name, got, ok, want)
		}
	}
	if _, ok := insertTime([]byte(`{"title":"no time here"}`)); ok {
		t.Error("found a time in a body without one")
	}
}
