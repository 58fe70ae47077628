package webhook

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/dbrelay/dbrelay/channel"
	"github.com/dbrelay/dbrelay/channel/oauth"
	"github.com/dbrelay/dbrelay/channel/tmpl"
	"github.com/dbrelay/dbrelay/secret"
)

// configure sets up what the config adds to each request: Basic auth or an
// OAuth2 token, and the configured headers (static ones once, templates per
// message). Secrets are read through env, the operator's allow-list.
func (s *Sender) configure(client *http.Client, cfg config, env *secret.Env) error {
	if cfg.basicAuth != nil && cfg.oauth2 != nil {
		return errors.New("config has both basic_auth and oauth2; a request carries one Authorization, keep one of them")
	}
	if ba := cfg.basicAuth; ba != nil {
		if ba.username == "" || strings.Contains(ba.username, ":") || !validHeaderValue(ba.username) {
			return errors.New("config.basic_auth.username must be non-empty, without ':' or control characters")
		}
		if ba.passwordEnv == "" {
			return errors.New("config.basic_auth.password_env is missing; set it to the name of the env var holding the password")
		}
		pw, err := tmpl.ReadSecret(env, "config.basic_auth.password_env", ba.passwordEnv, "the endpoint's password")
		if err != nil {
			return err
		}
		cred := base64.StdEncoding.EncodeToString([]byte(ba.username + ":" + pw))
		s.static["Authorization"] = []string{"Basic " + cred}
		s.secrets = append(s.secrets, cred, pw)
	}
	if cfg.oauth2 != nil {
		// The token endpoint is called through the shared client (no
		// redirects: the request carries the client secret); the channel's
		// requests go through a copy whose transport adds the token.
		tokens, err := oauth.New(cfg.oauth2, env, client)
		if err != nil {
			return err
		}
		c := *client
		c.Transport = tokens.Transport(client.Transport)
		s.client, s.tokens = &c, tokens
		s.secrets = append(s.secrets, tokens.Secret())
	}
	authorization := ""
	switch {
	case cfg.basicAuth != nil:
		authorization = "config.basic_auth"
	case cfg.oauth2 != nil:
		authorization = "config.oauth2"
	}
	for _, h := range cfg.headers {
		if why, ok := reservedHeaders[h.name]; ok {
			return fmt.Errorf("config.headers may not set %s: %s", h.name, why)
		}
		if h.name == "Authorization" && authorization != "" {
			return fmt.Errorf("config.headers may not set Authorization together with %s; keep one of them", authorization)
		}
		if _, dup := s.static[h.name]; dup || s.isDynamic(h.name) {
			return fmt.Errorf("config.headers sets %s twice (header names are case-insensitive)", h.name)
		}
		if err := h.value.Resolve(env); err != nil {
			return err
		}
		if sec := h.value.Secret(); sec != "" {
			s.secrets = append(s.secrets, sec)
		}
		v, static := h.value.Static()
		switch {
		case !static:
			s.dynamic = append(s.dynamic, h)
		case !validHeaderValue(v) && h.value.Secret() != "":
			return fmt.Errorf("config.headers: the value of %s (from the environment) contains control characters", h.name)
		case !validHeaderValue(v):
			return fmt.Errorf("config.headers: the value of %s contains control characters", h.name)
		default:
			s.static[h.name] = []string{v}
		}
	}
	return nil
}

func (s *Sender) isDynamic(name string) bool {
	for _, h := range s.dynamic {
		if h.name == name {
			return true
		}
	}
	return false
}

// renderHeaders renders the template headers for m into h. Its error is
// permanent: the same message renders the same way on every attempt.
func (s *Sender) renderHeaders(h http.Header, m *channel.Message) error {
	for _, d := range s.dynamic {
		v, err := d.value.Render(m)
		if err != nil {
			return err
		}
		if !validHeaderValue(v) {
			return fmt.Errorf("%s rendered a value with a line break or control character, which cannot be sent as a header", d.value.Name())
		}
		h[d.name] = []string{v}
	}
	return nil
}

// mask hides every credential the channel sent, the current OAuth2 token
// included, in text stored from the endpoint's answer.
// maskJSON masks a JSON answer as mask does its text; should masking have
// broken the JSON (a secret spanning its syntax), none is kept.
func (s *Sender) maskJSON(js string) string {
	if js == "" {
		return ""
	}
	if m := s.mask(js); m != js {
		return channel.CleanJSON([]byte(m))
	}
	return js
}

func (s *Sender) mask(text string) string {
	if s.tokens != nil {
		text = channel.MaskValues(text, []string{s.tokens.Current()})
	}
	if len(s.secrets) > 0 {
		text = channel.MaskValues(text, s.secrets)
	}
	return text
}
