package webhook

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"

	"github.com/dbrelay/dbrelay/channel"
	"github.com/dbrelay/dbrelay/channel/oauth"
	"github.com/dbrelay/dbrelay/channel/tmpl"
)

// configKeys are the keys a webhook channel's config may have. The
// database checks the same shape when a channel row is written
// (triggers/<dialect>/channel_validate.sql): keep them in step. A config
// with "preset" is a chat robot's (package channel/robot), which the
// listener's webhook factory hands to that package instead.
var configKeys = []string{"basic_auth", "headers", "oauth2"}

// config is a webhook channel's parsed relay.channel.config.
type config struct {
	headers   []header // in name order
	basicAuth *basicAuth
	oauth2    *oauth.Config
}

// header is one entry of config.headers: a template (a plain string is a
// template without actions) or {"value_from_env": "NAME"} for a value read
// from the listener's environment (a bearer token, an API key), so that it
// stays out of the table.
type header struct {
	name  string // canonical
	value *tmpl.Value
}

type basicAuth struct {
	username    string
	passwordEnv string
}

// parseConfig parses raw, rejecting unknown keys so that a typo such as
// "header" fails at start-up instead of silently sending without it. Header
// templates are parsed and tried on a sample message here.
func parseConfig(raw json.RawMessage) (config, error) {
	var cfg config
	top, err := channel.ConfigObject("config", raw, configKeys)
	if err != nil {
		return cfg, err
	}
	if v := top["headers"]; !channel.IsNull(v) {
		if cfg.headers, err = parseHeaders(v); err != nil {
			return cfg, err
		}
	}
	if v := top["basic_auth"]; !channel.IsNull(v) {
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
	if v := top["oauth2"]; !channel.IsNull(v) {
		if cfg.oauth2, err = oauth.ParseConfig(v); err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

// parseHeaders parses config.headers: an object whose values are templates
// or {"value_from_env": "NAME"}. Names are checked by newSender.
func parseHeaders(raw json.RawMessage) ([]header, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf(`config.headers must be an object of header names to string values or {"value_from_env": "NAME"}: %v`, err)
	}
	out := make([]header, 0, len(m))
	for _, name := range slices.Sorted(maps.Keys(m)) {
		if !validHeaderName(name) {
			return nil, fmt.Errorf("config.headers: %q is not a valid header name", name)
		}
		canon := http.CanonicalHeaderKey(name)
		v, err := tmpl.ParseValue("config.headers."+canon, m[name])
		if err != nil {
			return nil, err
		}
		out = append(out, header{name: canon, value: v})
	}
	return out, nil
}
