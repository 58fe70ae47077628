package channel

import (
	"strings"
	"testing"
)

func TestRedactCredentials(t *testing.T) {
	for _, c := range []struct {
		in     string
		secret string // must be gone
		keep   string // must survive
	}{
		// An endpoint echoing the request's headers, as text and as JSON.
		{"POST /hook\r\nAuthorization: Bearer eyJhbGciOi.J9.sig\r\nX-Tenant: acme\r\n", "eyJhbGciOi", "X-Tenant: acme"},
		{`{"headers": {"Authorization": "Basic cmVsYXk6aHVudGVyMg==", "X-Tenant": "acme"}}`, "cmVsYXk6aHVudGVyMg", `"X-Tenant": "acme"`},
		{`{"headers":{"authorization":["Bearer tok-123456"],"accept":["*/*"]}}`, "tok-123456", `"accept":["*/*"]`},
		{`{"X-Api-Key": "k-0123456789", "ok": false}`, "k-0123456789", `"ok": false`},
		{"Cookie: session=abcdef123; theme=dark\nHost: x", "abcdef123", "Host: x"},
		{`{"error": "bad request", "echo": {"password": "p@ss w0rd!"}}`, "w0rd", `"error": "bad request"`},
		{"denied: token=tk_live_9876&user=bob", "tk_live_9876", "user=bob"},
		{`{"client_secret":"cs-42-xyz"}`, "cs-42-xyz", "client_secret"},
		// A credential quoted on its own, and one in a URL.
		{"invalid credentials Basic dXNlcjpodW50ZXIy for user", "dXNlcjpodW50ZXIy", "for user"},
		{"upstream https://svc:hunter2@internal.example/x failed", "hunter2", "internal.example/x failed"},
		// Harmless text is left alone.
		{"OK", "", "OK"},
		{`{"status": "accepted", "id": 42}`, "", `{"status": "accepted", "id": 42}`},
	} {
		got := RedactCredentials(c.in)
		if c.secret != "" && strings.Contains(got, c.secret) {
			t.Errorf("RedactCredentials(%q) = %q: %q survived", c.in, got, c.secret)
		}
		if c.secret != "" && !strings.Contains(got, Redacted) {
			t.Errorf("RedactCredentials(%q) = %q: no %s marker", c.in, got, Redacted)
		}
		if !strings.Contains(got, c.keep) {
			t.Errorf("RedactCredentials(%q) = %q: lost %q", c.in, got, c.keep)
		}
	}
}

func TestMaskValues(t *testing.T) {
	got := MaskValues("echo: s3cr3t and again s3cr3t, and k", []string{"", "s3cr3t"})
	if strings.Contains(got, "s3cr3t") || !strings.HasSuffix(got, "and k") {
		t.Fatalf("MaskValues = %q", got)
	}
}
