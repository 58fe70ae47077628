// Package oauth gives HTTP channels OAuth2 client credentials (RFC 6749
// section 4.4), as InfoPlus and many enterprise APIs expect: the channel's
// config names the token endpoint, the client id, the scope and the
// environment variable holding the client secret; the sender fetches a
// token, sends it as the Authorization header, and shares it between all
// workers of the channel until shortly before it expires.
//
// The token request itself is golang.org/x/oauth2/clientcredentials. The
// cache is ours, for two reasons: a fetch must honour the attempt's context
// (a hanging token endpoint must not outlive the attempt's timeout or hold
// up shutdown), which oauth2.TokenSource's Token() cannot; and a 401 from
// the endpoint must be able to drop exactly the token it rejected.
//
// Outcomes: a token endpoint that cannot be reached, or answers 5xx, 408 or
// 429, makes the attempt transient; one that refuses the credentials
// (invalid_client, unauthorized_client, invalid_scope, …, or any other 4xx)
// makes it permanent, with a last_error that says which setting to check.
package oauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"

	"golang.org/x/oauth2"

	"github.com/dbrelay/dbrelay/channel"
)

// Config is the "oauth2" object of a channel's config:
//
//	{"token_url": "https://login.example/oauth2/token",
//	 "client_id": "dbrelay",
//	 "client_secret_env": "DBRELAY_SECRET_CRM_CLIENT",
//	 "scope": "crm.write crm.read",
//	 "params": {"audience": "https://crm.example"},
//	 "auth_method": "client_secret_basic"}
//
// token_url, client_id and client_secret_env are required. scope is the
// space-separated list RFC 6749 defines. params are extra form fields of
// the token request (audience, resource), for identity providers that want
// them. auth_method is how the client authenticates (RFC 7591's names):
// client_secret_basic (an Authorization header) or client_secret_post
// (form fields); empty tries basic, then post, and remembers what worked.
type Config struct {
	TokenURL        string            `json:"token_url"`
	ClientID        string            `json:"client_id"`
	ClientSecretEnv string            `json:"client_secret_env"`
	Scope           string            `json:"scope"`
	Params          map[string]string `json:"params"`
	AuthMethod      string            `json:"auth_method"`
}

// configKeys are the keys Config accepts; others are rejected so a typo
// ("scopes") fails when the channel is built.
var configKeys = []string{"auth_method", "client_id", "client_secret_env", "params", "scope", "token_url"}

// reservedParams are form fields the token request sets itself.
var reservedParams = []string{"client_id", "client_secret", "grant_type", "scope"}

// ParseConfig parses and checks a config.oauth2 object. It reads no
// secret: that happens in New.
func ParseConfig(raw json.RawMessage) (*Config, error) {
	if channel.IsNull(raw) {
		return nil, errors.New(`config.oauth2 must be an object {"token_url": …, "client_id": …, "client_secret_env": …, "scope": …}`)
	}
	if _, err := channel.ConfigObject("config.oauth2", raw, configKeys); err != nil {
		return nil, err
	}
	var c Config
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("config.oauth2: %v (token_url, client_id, client_secret_env, scope and auth_method are strings, params an object of strings)", err)
	}
	if err := checkTokenURL(c.TokenURL); err != nil {
		return nil, err
	}
	switch {
	case c.ClientID == "":
		return nil, errors.New("config.oauth2.client_id is missing; set it to the client id the identity provider issued")
	case c.ClientSecretEnv == "":
		return nil, errors.New("config.oauth2.client_secret_env is missing; set it to the name of the environment variable holding the client secret")
	}
	for _, k := range slices.Sorted(maps.Keys(c.Params)) {
		if slices.Contains(reservedParams, k) {
			return nil, fmt.Errorf("config.oauth2.params may not set %q: dbrelay sets it from the other keys", k)
		}
	}
	if _, err := c.authStyle(); err != nil {
		return nil, err
	}
	return &c, nil
}

// checkTokenURL accepts an absolute http or https URL without
// user:password@ (the secret goes in client_secret_env). Errors do not
// repeat the URL.
func checkTokenURL(s string) error {
	if s == "" {
		return errors.New("config.oauth2.token_url is missing; set it to the identity provider's token endpoint")
	}
	u, err := url.Parse(s)
	switch {
	case err != nil, u.Scheme != "http" && u.Scheme != "https", u.Host == "":
		return errors.New("config.oauth2.token_url must be an absolute http or https URL, e.g. https://login.example/oauth2/token")
	case u.User != nil:
		return errors.New("config.oauth2.token_url must not contain user:password@; the secret goes in client_secret_env")
	}
	return nil
}

func (c *Config) authStyle() (oauth2.AuthStyle, error) {
	switch c.AuthMethod {
	case "":
		return oauth2.AuthStyleAutoDetect, nil
	case "client_secret_basic":
		return oauth2.AuthStyleInHeader, nil
	case "client_secret_post":
		return oauth2.AuthStyleInParams, nil
	}
	return 0, fmt.Errorf("config.oauth2.auth_method %q is not one of client_secret_basic, client_secret_post (or leave it out to try both)", c.AuthMethod)
}
