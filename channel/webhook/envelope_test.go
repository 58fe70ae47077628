package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/dbrelay/dbrelay/channel"
)

func TestEnvelopeFields(t *testing.T) {
	srv, seen := recordingServer(t, nil)
	s := mustSender(t, testChannel(srv.URL+"/hook"), nil)
	m := testMessage()

	res := s.Send(context.Background(), m)
	if res.Outcome != channel.Sent {
		t.Fatalf("outcome %v (%s), want sent", res.Outcome, res.Err)
	}
	req := receive(t, seen)
	if req.method != "POST" || req.path != "/hook" {
		t.Errorf("request %s %s, want POST /hook", req.method, req.path)
	}
	if got := req.header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type %q, want application/json", got)
	}

	var raw map[string]json.RawMessage
	if err := json.Unmarshal(req.body, &raw); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, req.body)
	}
	want := map[string]string{ // field -> exact JSON text
		"id":         `42`,
		"key":        `"order-42-paid"`,
		"event":      `"order.paid"`,
		"sender":     `"shop"`,
		"receiver":   `"crm"`,
		"address":    `"ops@example.com"`,
		"channel":    `"crm-webhook"`,
		"title":      `"订单已支付 <b>&amp;"`,
		"body":       `"你好，世界 😀 \u2028 \"quoted\" \\ tab\there\nnew line"`,
		"payload":    `{"order": 42, "items": ["书", "<pen>"], "total": 12.50}`,
		"ref":        `"ORD-42"`,
		"created_at": `"2025-01-02T03:04:05.123456789Z"`,
		"attempt":    `3`,
	}
	for k, w := range want {
		got, ok := raw[k]
		if !ok {
			t.Errorf("field %q missing", k)
			continue
		}
		if string(got) != w {
			t.Errorf("field %q = %s, want %s", k, got, w)
		}
	}
	for k := range raw {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected field %q", k)
		}
	}

	// Decoded values round-trip to the message's strings, byte for byte.
	var env struct{ Title, Body string }
	if err := json.Unmarshal(req.body, &env); err != nil {
		t.Fatal(err)
	}
	if env.Title != m.Title || env.Body != m.Body {
		t.Errorf("title/body changed in transit:\n%q\n%q", env.Title, env.Body)
	}
	// The exact UTF-8 bytes are on the wire, neither \u-escaped nor
	// HTML-escaped.
	if !bytes.Contains(req.body, []byte(`"title":"订单已支付 <b>&amp;"`)) {
		t.Errorf("title is not passed byte for byte: %s", req.body)
	}
	if !bytes.Contains(req.body, []byte("你好，世界 😀 ")) {
		t.Errorf("body is not passed byte for byte: %s", req.body)
	}
}

func TestEnvelopeNullPayloadAndEmptyStrings(t *testing.T) {
	srv, seen := recordingServer(t, nil)
	s := mustSender(t, testChannel(srv.URL), nil)
	m := &channel.Message{ID: 1, Key: "k", Attempt: 1}

	if res := s.Send(context.Background(), m); res.Outcome != channel.Sent {
		t.Fatalf("outcome %v (%s)", res.Outcome, res.Err)
	}
	req := receive(t, seen)
	const want = `{"id":1,"key":"k","event":"","sender":"","receiver":"","address":"","channel":"","title":"","body":"","payload":null,"ref":"","created_at":"0001-01-01T00:00:00Z","attempt":1}`
	if string(req.body) != want {
		t.Errorf("body\n got %s\nwant %s", req.body, want)
	}
}

func TestEnvelopeInvalidPayloadIsPermanent(t *testing.T) {
	srv, seen := recordingServer(t, nil)
	s := mustSender(t, testChannel(srv.URL), nil)
	for _, payload := range []string{`{"a":`, `{"a":1} x`, "\"\xff\"", `   `} {
		m := testMessage()
		m.Payload = json.RawMessage(payload)
		res := s.Send(context.Background(), m)
		if res.Outcome != channel.Permanent || !strings.Contains(res.Err, "payload") {
			t.Errorf("payload %q: got %v %q, want permanent mentioning the payload", payload, res.Outcome, res.Err)
		}
	}
	if len(seen) != 0 {
		t.Errorf("a broken envelope reached the server")
	}
}

func TestEnvelopeMissingKeyIsPermanent(t *testing.T) {
	srv, seen := recordingServer(t, nil)
	s := mustSender(t, testChannel(srv.URL), nil)
	for _, key := range []string{"", "a\nb"} {
		m := testMessage()
		m.Key = key
		if res := s.Send(context.Background(), m); res.Outcome != channel.Permanent {
			t.Errorf("key %q: outcome %v, want permanent", key, res.Outcome)
		}
	}
	if len(seen) != 0 {
		t.Errorf("a message without a usable key reached the server")
	}
}

// stdlibString is the reference: encoding/json without HTML escaping.
func stdlibString(t testing.TB, s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	var all strings.Builder
	for c := 0; c < utf8.RuneSelf; c++ {
		all.WriteByte(byte(c))
	}
	cases := []string{
		"", "plain", all.String(), "<script>&amp;</script>", "中文 😀 é",
		"\u2028\u2029", "a\u2028b\u2029c", "\xff", "a\xffb", "\xe4\xb8", "中\xe4\xb8",
		"\x00\x01\x1f\x7f", "\"\\/", "\ufffd", "\U0010ffff",
	}
	for _, s := range cases {
		got := string(appendJSONString(nil, s))
		if want := stdlibString(t, s); got != want {
			t.Errorf("appendJSONString(%q)\n got %s\nwant %s", s, got, want)
		}
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "abc", "中文", "\x00\"\\", "\u2028", "\xff\xfe", "<&>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := appendJSONString([]byte("prefix"), s)
		if want := "prefix" + stdlibString(t, s); string(got) != want {
			t.Errorf("appendJSONString(%q)\n got %s\nwant %s", s, got, want)
		}
		if !json.Valid(got[len("prefix"):]) {
			t.Errorf("not valid JSON: %s", got)
		}
	})
}
