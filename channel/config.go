package channel

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// ConfigObject parses raw, a JSON object at where in a channel's config
// ("config", "config.oauth2"), into its members, rejecting keys not in
// known so that a typo fails when the channel is built instead of silently
// doing nothing. Empty or null raw is an empty object.
func ConfigObject(where string, raw json.RawMessage, known []string) (map[string]json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return map[string]json.RawMessage{}, nil
	}
	if raw[0] != '{' {
		return nil, fmt.Errorf("%s must be a JSON object", where)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, fmt.Errorf("%s is not valid JSON: %v", where, err)
	}
	for _, k := range slices.Sorted(maps.Keys(top)) {
		if !slices.Contains(known, k) {
			return nil, fmt.Errorf("%s has unknown key %q (known keys: %s)", where, k, strings.Join(known, ", "))
		}
	}
	return top, nil
}

// IsNull reports whether a config member is absent or JSON null.
func IsNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

// Strings parses a config member that is one string or a list of strings
// (a path or several, an address or several); ok is false for any other
// JSON.
func Strings(raw json.RawMessage) (list []string, ok bool) {
	if json.Unmarshal(raw, &list) == nil {
		return list, true
	}
	var one string
	if json.Unmarshal(raw, &one) != nil {
		return nil, false
	}
	return []string{one}, true
}
