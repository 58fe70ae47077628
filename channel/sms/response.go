package sms

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dbrelay/dbrelay/channel"
)

// rule is config.response: where a gateway that answers 200 puts its
// result code, and which codes mean sent or try again.
type rule struct {
	paths     []path // the first one present is read; nil: the status decides
	success   []string
	transient []string
	messages  []path // the gateway's explanation
}

// path is a dot-separated location in a JSON answer, split.
type path []string

func (p path) String() string { return strings.Join(p, ".") }

var ruleKeys = []string{"message_path", "path", "success", "transient"}

func parseRule(raw json.RawMessage) (*rule, error) {
	top, err := channel.ConfigObject("config.response", raw, ruleKeys)
	if err != nil {
		return nil, err
	}
	r := &rule{}
	if r.paths, err = parsePaths("config.response.path", top["path"]); err != nil {
		return nil, err
	}
	if r.messages, err = parsePaths("config.response.message_path", top["message_path"]); err != nil {
		return nil, err
	}
	if r.success, err = parseCodes("config.response.success", top["success"]); err != nil {
		return nil, err
	}
	if r.transient, err = parseCodes("config.response.transient", top["transient"]); err != nil {
		return nil, err
	}
	switch {
	case r.paths != nil && r.success == nil:
		return nil, errors.New("config.response.path needs success: the value (or list of values) there that means the SMS was accepted")
	case r.paths == nil && (r.success != nil || r.transient != nil):
		return nil, errors.New("config.response.success and transient need path: where in the gateway's JSON answer the result code is")
	}
	return r, nil
}

// parsePaths accepts "a.b.0" or a list of such strings.
func parsePaths(where string, raw json.RawMessage) ([]path, error) {
	if channel.IsNull(raw) {
		return nil, nil
	}
	list, ok := channel.Strings(raw)
	if !ok {
		return nil, fmt.Errorf(`%s must be a dot-separated path ("Response.Error.Code") or a list of them`, where)
	}
	var out []path
	for _, s := range list {
		p := path(strings.Split(s, "."))
		if slices.Contains(p, "") {
			return nil, fmt.Errorf("%s %q has an empty step", where, s)
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s is an empty list", where)
	}
	return out, nil
}

// parseCodes accepts a JSON string or number, or a list of them, as text.
func parseCodes(where string, raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] != '[' {
		raw = append(append([]byte{'['}, raw...), ']')
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("%s must be a string or number, or a list of them", where)
	}
	out := make([]string, 0, len(list))
	for _, v := range list {
		s, ok := text(v)
		if !ok {
			return nil, fmt.Errorf("%s must be a string or number, or a list of them", where)
		}
		out = append(out, s)
	}
	return out, nil
}

// text renders a scalar JSON value for comparison: strings as they are,
// numbers and booleans as written. Objects and arrays are not scalars.
func text(v json.RawMessage) (string, bool) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || v[0] == '{' || v[0] == '[' {
		return "", false
	}
	if v[0] == '"' {
		var s string
		err := json.Unmarshal(v, &s)
		return s, err == nil
	}
	return string(v), true
}

// lookup returns the scalar at the first of paths present in doc.
func lookup(doc any, paths []path) (string, path, bool) {
	for _, p := range paths {
		v, ok := walk(doc, p)
		if !ok {
			continue
		}
		switch x := v.(type) {
		case string:
			return x, p, true
		case json.Number:
			return x.String(), p, true
		case bool:
			return strconv.FormatBool(x), p, true
		case nil:
			return "null", p, true
		}
	}
	return "", nil, false
}

func walk(v any, p path) (any, bool) {
	for _, step := range p {
		switch x := v.(type) {
		case map[string]any:
			next, ok := x[step]
			if !ok {
				return nil, false
			}
			v = next
		case []any:
			i, err := strconv.Atoi(step)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// maxMessage bounds the gateway's explanation quoted in last_error.
const maxMessage = 300

// apply reads the gateway's answer (res.Body, the first
// channel.MaxResponseBody bytes) as r says and settles the outcome the
// status gave. A transient status stays transient: the gateway is
// overloaded whatever its body says.
func (r *rule) apply(res channel.Result) channel.Result {
	var doc any
	dec := json.NewDecoder(strings.NewReader(res.Body))
	dec.UseNumber()
	parsed := dec.Decode(&doc) == nil
	var msg string
	if parsed {
		msg, _, _ = lookup(doc, r.messages)
		msg = clip(msg)
	}
	status := "HTTP " + strconv.Itoa(res.StatusCode)
	var code string
	var at path
	found := false
	if parsed && r.paths != nil {
		code, at, found = lookup(doc, r.paths)
	}
	sent := res.Outcome == channel.Sent
	switch {
	case r.paths == nil || res.Outcome == channel.Transient || (!found && !sent):
		// The status decides; quote the explanation when there is one.
		if !sent && msg != "" {
			res.Err += ": " + msg
		}
	case !found && !parsed:
		res.Outcome = channel.Permanent
		res.Err = status + " but the answer is not JSON, so config.response.path cannot be read: whether the gateway accepted the SMS is unknown (not resent, which could send it twice)"
	case !found:
		res.Outcome = channel.Permanent
		res.Err = fmt.Sprintf("%s but the answer has no %s: whether the gateway accepted the SMS is unknown (not resent, which could send it twice)", status, joinPaths(r.paths))
	case sent && slices.Contains(r.success, code):
		// accepted
	default:
		res.Outcome = channel.Permanent
		if slices.Contains(r.transient, code) {
			res.Outcome = channel.Transient
		}
		res.Err = fmt.Sprintf("%s, %s %s", status, at, strconv.Quote(code))
		if msg != "" {
			res.Err += ": " + msg
		}
	}
	return res
}

func joinPaths(ps []path) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, " or ")
}

// clip bounds s to maxMessage bytes of valid UTF-8 on one line.
func clip(s string) string {
	s = strings.Join(strings.Fields(strings.ToValidUTF8(s, "\uFFFD")), " ")
	if len(s) <= maxMessage {
		return s
	}
	s = s[:maxMessage]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}
