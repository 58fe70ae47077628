package tmpl

import (
	"errors"
	"strings"
	"testing"

	"github.com/dbrelay/dbrelay/channel"
	"github.com/dbrelay/dbrelay/secret"
)

func TestValue(t *testing.T) {
	env := secret.FromMap(map[string]string{"DBRELAY_SECRET_KEY": "k-{{.Title}}", "HOME": "/root"})
	m := &channel.Message{Title: "请审批", Ref: "R-1"}
	for _, c := range []struct {
		raw, want, secret string
		static            bool
	}{
		{`"acme"`, "acme", "", true},
		{`"ref {{.Ref}}"`, "ref R-1", "", false},
		// A secret is sent as it is, never run as a template.
		{`{"value_from_env": "DBRELAY_SECRET_KEY"}`, "k-{{.Title}}", "k-{{.Title}}", true},
	} {
		v, err := ParseValue("config.headers.X", []byte(c.raw))
		if err != nil {
			t.Fatalf("%s: %v", c.raw, err)
		}
		if err := v.Resolve(env); err != nil {
			t.Fatalf("%s: %v", c.raw, err)
		}
		got, err := v.Render(m)
		if err != nil || got != c.want {
			t.Errorf("%s: rendered %q, %v; want %q", c.raw, got, err, c.want)
		}
		if _, static := v.Static(); static != c.static || v.Secret() != c.secret {
			t.Errorf("%s: static %v secret %q", c.raw, static, v.Secret())
		}
	}
	for _, c := range []struct{ raw, want string }{
		{`3`, "must be a string (a template) or {\"value_from_env\": \"NAME\"}, not a number"},
		{`["x"]`, "not an array"},
		{`{"value_from_file": "/etc/x"}`, `unknown key "value_from_file"`},
		{`{"value_from_env": ""}`, "value_from_env must be the name"},
		{`"{{.Nope}}"`, "config.headers.X"},
	} {
		if _, err := ParseValue("config.headers.X", []byte(c.raw)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.raw, err, c.want)
		}
	}
	v, _ := ParseValue("config.headers.X", []byte(`{"value_from_env": "HOME"}`))
	if err := v.Resolve(env); !errors.Is(err, secret.ErrNotAllowed) || strings.Contains(err.Error(), "/root") {
		t.Errorf("a variable not allowed: %v", err)
	}
}

// A secret that is allowed but not set is reported as secret.ErrNotSet, so
// the listener can store "not set" as the reason rather than "unusable
// config"; one that is not allowed stays secret.ErrNotAllowed.
func TestReadSecretErrors(t *testing.T) {
	env := secret.FromMap(map[string]string{"HOME": "/root"})
	_, err := ReadSecret(env, "secret_env", "DBRELAY_SECRET_MISSING", "the key")
	if !errors.Is(err, secret.ErrNotSet) || !strings.Contains(err.Error(), "set DBRELAY_SECRET_MISSING") {
		t.Errorf("unset secret: %v, want secret.ErrNotSet saying what to set", err)
	}
	_, err = ReadSecret(env, "secret_env", "HOME", "the key")
	if !errors.Is(err, secret.ErrNotAllowed) || errors.Is(err, secret.ErrNotSet) {
		t.Errorf("secret not allowed: %v, want secret.ErrNotAllowed only", err)
	}
}
