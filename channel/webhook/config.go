package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// configKeys are the keys a webhook channel's config may have. The
// database checks the same shape when a channel row is written
// (triggers/<dialect>/channel_validate.sql): keep them in step.
var configKeys = []string{"headers", "basic_auth"}

// config is a webhook channel's parsed relay.channel.config.
type config struct {
	headers   map[string]headerValue
	basicAuth *basicAuth
}

// headerValue is one value of config.headers: a literal string, or
// {"value_from_env": "NAME"} for a value read from the listener's
// environment (a bearer token, an API key), so that it stays out of the
// table.
type headerValue struct {
	literal string
	fromEnv string
}

type basicAuth struct {
	username    string
	passwordEnv string
}

// parseConfig parses raw, rejecting unknown keys so that a typo such as
// "header" fails at start-up instead of silently sending without it.
func parseConfig(raw json.RawMessage) (config, error) {
	var cfg config
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return cfg, nil
	}
	if raw[0] != '{' {
		return cfg, errors.New("config must be a JSON object")
	}
	var top map[string]json.RawMessage
	err := json.Unmarshal(raw, &top)
	if err != nil {
		return cfg, fmt.Errorf("config is not valid JSON: %v", err)
	}
	for _, k := range slices.Sorted(maps.Keys(top)) {
		if !slices.Contains(configKeys, k) {
			return cfg, fmt.Errorf("config has unknown key %q (known keys: %s)", k, strings.Join(configKeys, ", "))
		}
	}
	if v, ok := top["headers"]; ok && string(v) != "null" {
		if cfg.headers, err = parseHeaders(v); err != nil {
			return cfg, err
		}
	}
	if v, ok := top["basic_auth"]; ok && string(v) != "null" {
		var ba map[string]json.RawMessage
		if err := json.Unmarshal(v, &ba); err != nil {
			return cfg, fmt.Errorf(`config.basic_auth must be an object {"username": …, "password_env": …}: %v`, err)
		}
		cfg.basicAuth = &basicAuth{}
		for _, k := range slices.Sorted(maps.Keys(ba)) {
			var dst *string
			switch k {
			case "username":
				dst = &cfg.basicAuth.username
			case "password_env":
				dst = &cfg.basicAuth.passwordEnv
			default:
				return cfg, fmt.Errorf("config.basic_auth has unknown key %q (known keys: username, password_env)", k)
			}
			if err := json.Unmarshal(ba[k], dst); err != nil {
				return cfg, fmt.Errorf("config.basic_auth.%s must be a string: %v", k, err)
			}
		}
	}
	return cfg, nil
}

// parseHeaders parses config.headers: an object whose values are strings
// or {"value_from_env": "NAME"}.
func parseHeaders(raw json.RawMessage) (map[string]headerValue, error) {
	const shape = `config.headers must be an object of header names to string values or {"value_from_env": "NAME"}`
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%s: %v", shape, err)
	}
	out := make(map[string]headerValue, len(m))
	for _, name := range slices.Sorted(maps.Keys(m)) {
		v := bytes.TrimSpace(m[name])
		var hv headerValue
		switch {
		case len(v) > 0 && v[0] == '"':
			if err := json.Unmarshal(v, &hv.literal); err != nil {
				return nil, fmt.Errorf("%s: %s: %v", shape, name, err)
			}
		case len(v) > 0 && v[0] == '{':
			var obj map[string]json.RawMessage
			if err := json.Unmarshal(v, &obj); err != nil {
				return nil, fmt.Errorf("%s: %s: %v", shape, name, err)
			}
			for k := range obj {
				if k != "value_from_env" {
					return nil, fmt.Errorf(`config.headers.%s has unknown key %q (known keys: value_from_env)`, name, k)
				}
			}
			if err := json.Unmarshal(obj["value_from_env"], &hv.fromEnv); err != nil || hv.fromEnv == "" {
				return nil, fmt.Errorf(`config.headers.%s.value_from_env must be the name of an environment variable`, name)
			}
		default:
			return nil, fmt.Errorf("%s: the value of %s is %s", shape, name, jsonKind(v))
		}
		out[name] = hv
	}
	return out, nil
}

// jsonKind names the kind of a JSON value for an error message, without
// quoting it.
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
