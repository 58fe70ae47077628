package secret

import (
	"errors"
	"strings"
	"testing"
)

func TestAllowList(t *testing.T) {
	env := FromMap(map[string]string{
		"DBRELAY_SECRET_CRM": "s3cret",
		"DATABASE_URL":       "postgres://u:pw@h/db",
		"CRM_PASSWORD":       "pw2",
		"DBRELAY_SECRET_":    "bare prefix",
		"DBRELAY_SECRET_NIL": "",
	}, "CRM_PASSWORD, OTHER")

	if v, err := env.Get("DBRELAY_SECRET_CRM"); err != nil || v != "s3cret" {
		t.Fatalf("prefixed name: %q, %v", v, err)
	}
	if v, err := env.Get("CRM_PASSWORD"); err != nil || v != "pw2" {
		t.Fatalf("listed name: %q, %v", v, err)
	}
	for _, name := range []string{"DATABASE_URL", "DBRELAY_SECRET_", "PATH", "bad-name", ""} {
		v, err := env.Get(name)
		if !errors.Is(err, ErrNotAllowed) || v != "" {
			t.Fatalf("%q: got %q, %v; want ErrNotAllowed", name, v, err)
		}
		if strings.Contains(err.Error(), "postgres://") {
			t.Fatalf("%q: the error shows a value: %v", name, err)
		}
	}
	_, err := env.Get("DATABASE_URL")
	for _, want := range []string{"DATABASE_URL", Prefix, "--allow-secret-env", "CRM_PASSWORD, OTHER"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if _, err := env.Get("DBRELAY_SECRET_NIL"); !errors.Is(err, ErrNotSet) {
		t.Fatalf("empty variable: %v, want ErrNotSet", err)
	}
	if _, err := env.Get("DBRELAY_SECRET_UNSET"); !errors.Is(err, ErrNotSet) {
		t.Fatalf("unset variable: %v, want ErrNotSet", err)
	}
	if _, err := New("NOT-A-NAME"); err == nil {
		t.Fatal("New accepted an invalid allowed name")
	}
}
