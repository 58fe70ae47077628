package sms

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/dbrelay/dbrelay/channel"
	"github.com/dbrelay/dbrelay/channel/tmpl"
	"github.com/dbrelay/dbrelay/secret"
)

// node is one value of config.json: a string (a template or a secret,
// rendered per message), a literal (number, true, false, null), an object
// (members in the config's order) or an array.
type node struct {
	value   *tmpl.Value // strings and {"value_from_env": …}
	literal []byte      // numbers, booleans, null
	object  bool
	keys    []string // object members' names
	items   []*node  // object members' or array items' values
}

// parseNode parses config.json, keeping the order of object members so the
// gateway receives them as written.
func parseNode(where string, raw json.RawMessage) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	n, err := readNode(dec, where)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%s is not one JSON value", where)
	}
	return n, nil
}

func readNode(dec *json.Decoder, where string) (*node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("%s is not valid JSON: %v", where, err)
	}
	switch t := tok.(type) {
	case string:
		v, err := tmpl.ParseValue(where, quote(t))
		return &node{value: v}, err
	case json.Number:
		return &node{literal: []byte(t.String())}, nil
	case bool:
		return &node{literal: []byte(strconv.FormatBool(t))}, nil
	case nil:
		return &node{literal: []byte("null")}, nil
	case json.Delim:
		n := &node{object: t == '{'}
		for i := 0; dec.More(); i++ {
			at := where + "." + strconv.Itoa(i)
			if n.object {
				k, err := dec.Token()
				if err != nil {
					return nil, fmt.Errorf("%s is not valid JSON: %v", where, err)
				}
				n.keys = append(n.keys, k.(string))
				at = where + "." + k.(string)
			}
			item, err := readNode(dec, at)
			if err != nil {
				return nil, err
			}
			n.items = append(n.items, item)
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return nil, fmt.Errorf("%s is not valid JSON: %v", where, err)
		}
		// {"value_from_env": "NAME"} is a secret, not an object to send.
		if n.object && len(n.keys) == 1 && n.keys[0] == "value_from_env" {
			var name string
			if v := n.items[0].value; v != nil {
				name, _ = v.Static()
			}
			if name == "" {
				return nil, fmt.Errorf("%s.value_from_env must be the name of an environment variable", where)
			}
			v, err := tmpl.ParseValue(where, []byte(`{"value_from_env":`+string(quote(name))+`}`))
			return &node{value: v}, err
		}
		return n, nil
	}
	return nil, fmt.Errorf("%s is not valid JSON", where)
}

// resolve reads the secrets the tree names, collecting them for masking.
func (n *node) resolve(env *secret.Env, secrets *[]string) error {
	if n.value != nil {
		if err := n.value.Resolve(env); err != nil {
			return err
		}
		if s := n.value.Secret(); s != "" {
			*secrets = append(*secrets, s)
		}
	}
	for _, item := range n.items {
		if err := item.resolve(env, secrets); err != nil {
			return err
		}
	}
	return nil
}

// errNotRendered is wrapped by render errors so Send can call them
// permanent: the same message would fail the same way again.
var errNotRendered = errors.New("cannot build the request")

// appendJSON appends the tree rendered for m to dst.
func (n *node) appendJSON(dst []byte, m *channel.Message) ([]byte, error) {
	switch {
	case n.value != nil:
		s, err := n.value.Render(m)
		if err != nil {
			return dst, fmt.Errorf("%w: %v", errNotRendered, err)
		}
		return append(dst, quote(s)...), nil
	case n.literal != nil:
		return append(dst, n.literal...), nil
	}
	open, end := byte('['), byte(']')
	if n.object {
		open, end = '{', '}'
	}
	dst = append(dst, open)
	for i, item := range n.items {
		if i > 0 {
			dst = append(dst, ',')
		}
		if n.object {
			dst = append(append(dst, quote(n.keys[i])...), ':')
		}
		var err error
		if dst, err = item.appendJSON(dst, m); err != nil {
			return dst, err
		}
	}
	return append(dst, end), nil
}

// quote encodes s as a JSON string without HTML escaping, so <, > and &
// reach the gateway as they are.
func quote(s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // a string always encodes
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
