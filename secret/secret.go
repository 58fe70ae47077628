// Package secret reads the secrets dbrelay's channels and inbound endpoints
// name, from the environment of the dbrelay process, and only those the
// operator allowed.
//
// Why an allow-list: a secret is named in a table row (relay.channel's
// secret_env, a config's *_env keys, relay.endpoint), and whoever may write
// that row must not be able to read the process's other variables. Without
// it, {"password_env": "DATABASE_URL"} on a channel aimed at an outside URL
// would send the database password there. So a name is readable only when
// it starts with Prefix (DBRELAY_SECRET_) or the operator listed it
// (`dbrelay listen --allow-secret-env NAME`, DBRELAY_ALLOW_SECRET_ENV).
package secret

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
)

// Prefix is the prefix every name may carry to be readable without being
// listed.
const Prefix = "DBRELAY_SECRET_"

// ErrNotAllowed is returned for a name the operator did not allow.
var ErrNotAllowed = errors.New("secret environment variable not allowed")

// ErrNotSet is returned for an allowed name that is unset or empty.
var ErrNotSet = errors.New("secret environment variable not set")

var nameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Env resolves secret names. The zero value is not usable: build one with
// New, or FromMap in tests.
type Env struct {
	lookup   func(string) (string, bool)
	allowed  []string // sorted
	allowAll bool     // Placeholders
}

// Placeholder is the value of every name in an Env from Placeholders: a
// Standard Webhooks secret (whsec_ and base64), usable wherever a secret
// goes (a signing key, a password, a header value).
const Placeholder = "whsec_ZGJyZWxheS1wbGFjZWhvbGRlci0wMDAw"

// Placeholders is an Env for checking a channel's configuration where its
// secrets are not (`dbrelay channel add`): every valid name is allowed and
// reads as Placeholder, so building a sender reads no real secret.
func Placeholders() *Env {
	return &Env{lookup: func(string) (string, bool) { return Placeholder, true }, allowAll: true}
}

// New reads the process environment, allowing names with Prefix and the
// names in allow.
func New(allow ...string) (*Env, error) { return build(os.LookupEnv, allow) }

// FromMap reads m instead of the environment (for tests), with the same
// rules as New.
func FromMap(m map[string]string, allow ...string) *Env {
	e, err := build(func(k string) (string, bool) { v, ok := m[k]; return v, ok }, allow)
	if err != nil {
		panic(err)
	}
	return e
}

func build(lookup func(string) (string, bool), allow []string) (*Env, error) {
	e := &Env{lookup: lookup}
	for _, a := range allow {
		for _, name := range strings.FieldsFunc(a, func(r rune) bool { return r == ',' || r == ' ' }) {
			if !nameRe.MatchString(name) {
				return nil, fmt.Errorf("allowed secret env %q is not an environment variable name (letters, digits and _, not starting with a digit)", name)
			}
			e.allowed = append(e.allowed, name)
		}
	}
	slices.Sort(e.allowed)
	e.allowed = slices.Compact(e.allowed)
	return e, nil
}

// Allowed returns nil when name may be read, and otherwise an error wrapping
// ErrNotAllowed that says which names are.
func (e *Env) Allowed(name string) error {
	switch {
	case !nameRe.MatchString(name):
		return fmt.Errorf("%w: %q is not an environment variable name", ErrNotAllowed, name)
	case e.allowAll, strings.HasPrefix(name, Prefix) && len(name) > len(Prefix):
		return nil
	case slices.Contains(e.allowed, name):
		return nil
	}
	return fmt.Errorf("%w: %s may not be read; name a variable starting with %s, or have the operator allow it (--allow-secret-env %s)%s",
		ErrNotAllowed, name, Prefix, name, e.listed())
}

// Get returns the value of an allowed, non-empty variable. The error names
// the variable, never its value.
func (e *Env) Get(name string) (string, error) {
	if err := e.Allowed(name); err != nil {
		return "", err
	}
	v, _ := e.lookup(name)
	if v == "" {
		return "", fmt.Errorf("%w: %s is not set or empty in dbrelay's environment; set it there", ErrNotSet, name)
	}
	return v, nil
}

func (e *Env) listed() string {
	if len(e.allowed) == 0 {
		return ""
	}
	return " (allowed besides the prefix: " + strings.Join(e.allowed, ", ") + ")"
}
