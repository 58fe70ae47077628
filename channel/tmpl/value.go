package tmpl

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/dbrelay/dbrelay/channel"
	"github.com/dbrelay/dbrelay/secret"
)

// Value is one value of a channel's config that a sender fills in per
// message: a header, a form field, a query parameter, a string in a JSON
// body. In the config it is either
//
//   - a string, a template over Fields ("{{.Address}}"); a string without
//     "{{" is sent as it is, so static values cost nothing per message; or
//   - {"value_from_env": "NAME"}, a secret (an API key, a token) read once
//     from the listener's environment when the channel is built, through
//     the operator's allow-list, and sent as it is, never as a template.
//
// Every kind takes the same shape, so an integrator learns it once.
type Value struct {
	name    string    // where it is in the config, for errors: config.form.To
	tmpl    *Template // nil unless the string holds "{{"
	text    string    // the literal, or the secret once resolved
	fromEnv string    // the variable named by value_from_env
}

// ParseValue parses one config value; name says where it is in the config
// (e.g. `config.headers.X-Ref`) in errors. A template is parsed and tried on
// a sample message here, so its mistakes surface when the channel is built.
func ParseValue(name string, raw json.RawMessage) (*Value, error) {
	raw = bytes.TrimSpace(raw)
	v := &Value{name: name}
	switch {
	case len(raw) > 0 && raw[0] == '"':
		if err := json.Unmarshal(raw, &v.text); err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		if strings.Contains(v.text, "{{") {
			t, err := Parse(name, v.text)
			if err != nil {
				return nil, err
			}
			v.tmpl = t
		}
	case len(raw) > 0 && raw[0] == '{':
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			if k != "value_from_env" {
				return nil, fmt.Errorf("%s has unknown key %q (known keys: value_from_env)", name, k)
			}
		}
		if err := json.Unmarshal(obj["value_from_env"], &v.fromEnv); err != nil || v.fromEnv == "" {
			return nil, fmt.Errorf("%s.value_from_env must be the name of an environment variable", name)
		}
	default:
		return nil, fmt.Errorf(`%s must be a string (a template) or {"value_from_env": "NAME"}, not %s`, name, jsonKind(raw))
	}
	return v, nil
}

// Resolve reads the secret a value_from_env value names; other values need
// nothing. The error names the variable and what to do, never its value.
func (v *Value) Resolve(env *secret.Env) error {
	if v.fromEnv == "" {
		return nil
	}
	s, err := ReadSecret(env, v.name+".value_from_env", v.fromEnv, "the value to send")
	if err != nil {
		return err
	}
	v.text = s
	return nil
}

// Static returns the value and true when it does not depend on the message
// (a literal or a resolved secret).
func (v *Value) Static() (string, bool) { return v.text, v.tmpl == nil }

// Secret returns the secret a value_from_env value sent, "" otherwise, so a
// sender can mask it wherever an endpoint echoes it back.
func (v *Value) Secret() string {
	if v.fromEnv == "" {
		return ""
	}
	return v.text
}

// Name returns where the value is in the config.
func (v *Value) Name() string { return v.name }

// Render returns the value for m.
func (v *Value) Render(m *channel.Message) (string, error) {
	if v.tmpl == nil {
		return v.text, nil
	}
	return v.tmpl.Render(m)
}

// ReadSecret reads the variable name that the config field names, with an
// error saying what to do: allow the name (the error lists the allowed
// names) or set it to what (e.g. "the gateway's password"). Errors never
// contain a value.
func ReadSecret(env *secret.Env, field, name, what string) (string, error) {
	if env == nil {
		return "", fmt.Errorf("%s %s: no secret environment given", field, name)
	}
	v, err := env.Get(name)
	switch {
	case errors.Is(err, secret.ErrNotSet):
		// Wrapped, so that the listener's stored reason can say "not set"
		// (listener.storedReason) rather than "unusable config".
		return "", fmt.Errorf("%w: %s %s is not set or empty; set %s in the listener's environment to %s", secret.ErrNotSet, field, name, name, what)
	case err != nil:
		return "", fmt.Errorf("%s: %w", field, err)
	}
	return v, nil
}

// jsonKind names the kind of a JSON value for an error message, without
// quoting it (it may be a secret pasted in the wrong place).
func jsonKind(v []byte) string {
	switch {
	case len(v) == 0:
		return "empty"
	case v[0] == '[':
		return "an array"
	case v[0] == 'n':
		return "null"
	case v[0] == 't' || v[0] == 'f':
		return "a boolean"
	}
	return "a number"
}
