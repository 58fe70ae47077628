package postgres

import (
	"net/url"
	"testing"
)

func TestListenerDSN(t *testing.T) {
	got, err := listenerDSN("postgres://u:p@h:5432/db?sslmode=prefer&options=-c%20statement_timeout%3D5s")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(got)
	q := u.Query()
	if q.Get("options") != "-c statement_timeout=5s -c synchronous_commit=off" {
		t.Errorf("options = %q: the user's options must be kept and synchronous_commit=off added", q.Get("options"))
	}
	if q.Get("application_name") != "dbrelay-listener" || q.Get("sslmode") != "prefer" || u.User.String() != "u:p" {
		t.Errorf("listenerDSN = %s", got)
	}
	got, _ = listenerDSN("postgres://h/db?application_name=mine")
	if u, _ := url.Parse(got); u.Query().Get("application_name") != "mine" {
		t.Errorf("a user's application_name was replaced: %s", got)
	}
}

func TestWakeDSN(t *testing.T) {
	u, _ := url.Parse(wakeDSN("postgres://u:p@h:5432/db?sslmode=prefer"))
	if got := u.Query().Get("application_name"); got != "dbrelay-listener-wake" {
		t.Fatalf("application_name = %q, want dbrelay-listener-wake", got)
	}
	u, _ = url.Parse(wakeDSN("postgres://u:p@h:5432/db?application_name=mine"))
	if got := u.Query().Get("application_name"); got != "mine" {
		t.Fatalf("application_name = %q, want the URL's own", got)
	}
	if got := wakeDSN("host=h dbname=db"); got != "host=h dbname=db" {
		t.Fatalf("a keyword DSN was changed: %q", got)
	}
}
