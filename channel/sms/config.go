package sms

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/dbrelay/dbrelay/channel"
	"github.com/dbrelay/dbrelay/channel/tmpl"
	"github.com/dbrelay/dbrelay/channel/webhook"
)

// configKeys are the keys an sms channel's config may have; others are
// rejected so that a typo ("header") fails when the channel is built.
var configKeys = []string{"basic_auth", "bearer_token_env", "form", "headers", "json", "method", "query", "response"}

// config is a parsed sms channel config. It holds no secret yet: values
// from the environment are resolved by the factory.
type config struct {
	method    string
	query     []field
	form      []field
	json      *node // nil: no JSON body
	headers   []field
	basicAuth *basicAuth
	bearerEnv string
	response  *rule // nil: the status alone decides
}

// field is one named value: a query parameter, a form field or a header.
type field struct {
	name  string
	value *tmpl.Value
}

type basicAuth struct{ username, passwordEnv string }

// reservedHeaders are set by the sender itself.
var reservedHeaders = map[string]string{
	"Content-Type":      "it follows from form or json",
	"Content-Length":    "it is computed from the body",
	"Transfer-Encoding": "it is chosen by the HTTP client",
	"Host":              "it comes from the target URL",
}

// parseConfig parses and checks raw; templates are parsed and tried here.
func parseConfig(raw json.RawMessage) (*config, error) {
	c := &config{method: http.MethodPost}
	top, err := channel.ConfigObject("config", raw, configKeys)
	if err != nil {
		return nil, err
	}
	if v, ok := top["method"]; ok {
		if err := json.Unmarshal(v, &c.method); err != nil {
			return nil, errors.New("config.method must be a string: POST, PUT, PATCH or GET")
		}
		c.method = strings.ToUpper(c.method)
		if !slices.Contains([]string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodGet}, c.method) {
			return nil, fmt.Errorf("config.method %q is not one of POST, PUT, PATCH, GET", c.method)
		}
	}
	if c.query, err = parseFields("config.query", top["query"]); err != nil {
		return nil, err
	}
	if c.form, err = parseFields("config.form", top["form"]); err != nil {
		return nil, err
	}
	if v := top["json"]; !channel.IsNull(v) {
		if c.json, err = parseNode("config.json", v); err != nil {
			return nil, err
		}
	}
	switch {
	case c.form != nil && c.json != nil:
		return nil, errors.New("config has both form and json; a request has one body, keep one of them")
	case c.method == http.MethodGet && (c.form != nil || c.json != nil):
		return nil, errors.New("config.method GET sends no body; put the values in config.query, or use POST")
	}
	if c.headers, err = parseHeaders(top["headers"]); err != nil {
		return nil, err
	}
	if c.basicAuth, c.bearerEnv, err = parseAuth(top["basic_auth"], top["bearer_token_env"]); err != nil {
		return nil, err
	}
	if (c.basicAuth != nil || c.bearerEnv != "") && slices.ContainsFunc(c.headers, func(f field) bool { return f.name == "Authorization" }) {
		return nil, errors.New("config.headers may not set Authorization together with basic_auth or bearer_token_env; keep one of them")
	}
	if v := top["response"]; !channel.IsNull(v) {
		if c.response, err = parseRule(v); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// parseFields parses an object of names to values (templates or
// {"value_from_env"}), sorted by name so requests are reproducible.
func parseFields(where string, raw json.RawMessage) ([]field, error) {
	if channel.IsNull(raw) {
		return nil, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf(`%s must be an object of names to templates or {"value_from_env": "NAME"}: %v`, where, err)
	}
	out := make([]field, 0, len(m))
	for _, name := range slices.Sorted(maps.Keys(m)) {
		if name == "" {
			return nil, fmt.Errorf("%s has an empty name", where)
		}
		v, err := tmpl.ParseValue(where+"."+name, m[name])
		if err != nil {
			return nil, err
		}
		out = append(out, field{name: name, value: v})
	}
	return out, nil
}

func parseHeaders(raw json.RawMessage) ([]field, error) {
	fields, err := parseFields("config.headers", raw)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for i, f := range fields {
		if !webhook.ValidHeaderName(f.name) {
			return nil, fmt.Errorf("config.headers: %q is not a valid header name", f.name)
		}
		canon := http.CanonicalHeaderKey(f.name)
		if why, ok := reservedHeaders[canon]; ok {
			return nil, fmt.Errorf("config.headers may not set %s: %s", canon, why)
		}
		if seen[canon] {
			return nil, fmt.Errorf("config.headers sets %s twice (header names are case-insensitive)", canon)
		}
		seen[canon] = true
		fields[i].name = canon
	}
	return fields, nil
}

func parseAuth(basic, bearer json.RawMessage) (*basicAuth, string, error) {
	var ba *basicAuth
	if !channel.IsNull(basic) {
		var m map[string]string
		if err := json.Unmarshal(basic, &m); err != nil {
			return nil, "", fmt.Errorf(`config.basic_auth must be an object {"username": …, "password_env": …} of strings: %v`, err)
		}
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if k != "username" && k != "password_env" {
				return nil, "", fmt.Errorf("config.basic_auth has unknown key %q (known keys: username, password_env)", k)
			}
		}
		ba = &basicAuth{username: m["username"], passwordEnv: m["password_env"]}
		if ba.username == "" || strings.Contains(ba.username, ":") || !webhook.ValidHeaderValue(ba.username) {
			return nil, "", errors.New("config.basic_auth.username must be non-empty, without ':' or control characters")
		}
		if ba.passwordEnv == "" {
			return nil, "", errors.New("config.basic_auth.password_env is missing; set it to the name of the environment variable holding the password")
		}
	}
	var env string
	if !channel.IsNull(bearer) {
		if err := json.Unmarshal(bearer, &env); err != nil || env == "" {
			return nil, "", errors.New("config.bearer_token_env must be the name of the environment variable holding the token")
		}
	}
	if ba != nil && env != "" {
		return nil, "", errors.New("config has both basic_auth and bearer_token_env; a request carries one Authorization, keep one of them")
	}
	return ba, env, nil
}
