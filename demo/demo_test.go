package demo

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
)

// The demo on its own private PostgreSQL, as `make demo` runs it: every
// message reaches a final state, one retry succeeds and one dead letter
// shows, and the server is removed afterwards.
func TestDemoOnPrivatePostgres(t *testing.T) {
	var out bytes.Buffer
	if err := Run(context.Background(), Options{Out: &out}); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	text := out.String()
	for _, want := range []string{
		"== dbrelay migrate up",
		"demo-sms (attempt 1): HTTP 503 Service Unavailable → retry in",
		"demo-sms (attempt 2): HTTP 200, sent in",
		"demo-erp (attempt 3): gave up after 3 attempts",
		"dead letter",
		"delivered to the internal inbox",
		"== stopped PostgreSQL and removed",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	// The outbox table: five sent, one dead.
	if n := len(regexp.MustCompile(`(?m)^\s+\d+\s+demo-\S+\s+demo-\S+\s+sent\s`).FindAllString(text, -1)); n != 5 {
		t.Errorf("%d sent rows in the printed outbox, want 5\n%s", n, text)
	}
	if n := len(regexp.MustCompile(`(?m)^\s+\d+\s+demo-lisi\s+demo-erp\s+dead\s+3\s`).FindAllString(text, -1)); n != 1 {
		t.Errorf("the dead letter is not in the printed outbox\n%s", text)
	}
}
