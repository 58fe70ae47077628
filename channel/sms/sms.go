package sms

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/dbrelay/dbrelay/channel"
	"github.com/dbrelay/dbrelay/channel/tmpl"
	"github.com/dbrelay/dbrelay/channel/webhook"
	"github.com/dbrelay/dbrelay/secret"
)

// Kind is the relay.channel.kind this package serves.
const Kind = "sms"

// Sender delivers the messages of one sms channel. Everything that does not
// depend on the message is prepared when it is built; it is safe for
// concurrent use.
type Sender struct {
	code     string
	client   *http.Client
	method   string
	target   *url.URL
	cfg      *config
	static   http.Header // Content-Type, Authorization, static headers
	timeout  time.Duration
	secrets  []string // sent credentials, masked in stored responses
	response *rule
}

// New builds the sender of ch: it parses the config (templates included),
// reads its secrets through env, the operator's allow-list (nil: the
// process environment, DBRELAY_SECRET_ names only), and prepares the
// request. client is shared by the channels (its connection pool); nil
// means one of webhook.NewClient's. Redirects are never followed.
func New(client *http.Client, ch channel.Channel, env *secret.Env) (*Sender, error) {
	fail := func(err error) error { return fmt.Errorf("sms channel %q: %w", ch.Code, err) }
	if env == nil {
		var err error
		if env, err = secret.New(); err != nil {
			return nil, fail(err)
		}
	}
	if client == nil {
		client = webhook.NewClient(0)
	}
	c := *client
	c.CheckRedirect = webhook.NoRedirect
	u, err := webhook.ParseTarget(ch.Target)
	if err != nil {
		return nil, fail(err)
	}
	cfg, err := parseConfig(ch.Config)
	if err != nil {
		return nil, fail(err)
	}
	s := &Sender{code: ch.Code, client: &c, method: cfg.method, target: u, cfg: cfg,
		static: http.Header{}, timeout: ch.Timeout, response: cfg.response}
	switch {
	case cfg.form != nil:
		s.static.Set("Content-Type", "application/x-www-form-urlencoded")
	case cfg.json != nil:
		s.static.Set("Content-Type", "application/json")
	}
	if err := s.resolve(env); err != nil {
		return nil, fail(err)
	}
	return s, nil
}

// resolve reads every secret of the config and sets the static headers.
func (s *Sender) resolve(env *secret.Env) error {
	cfg := s.cfg
	for _, list := range [][]field{cfg.query, cfg.form, cfg.headers} {
		for _, f := range list {
			if err := f.value.Resolve(env); err != nil {
				return err
			}
			if sec := f.value.Secret(); sec != "" {
				s.secrets = append(s.secrets, sec)
			}
		}
	}
	if cfg.json != nil {
		if err := cfg.json.resolve(env, &s.secrets); err != nil {
			return err
		}
	}
	for _, h := range cfg.headers {
		if v, ok := h.value.Static(); ok {
			if !webhook.ValidHeaderValue(v) {
				return fmt.Errorf("config.headers: the value of %s contains control characters", h.name)
			}
			s.static.Set(h.name, v)
		}
	}
	switch {
	case cfg.basicAuth != nil:
		pw, err := tmpl.ReadSecret(env, "config.basic_auth.password_env", cfg.basicAuth.passwordEnv, "the gateway's password")
		if err != nil {
			return err
		}
		cred := base64.StdEncoding.EncodeToString([]byte(cfg.basicAuth.username + ":" + pw))
		s.static.Set("Authorization", "Basic "+cred)
		s.secrets = append(s.secrets, pw, cred)
	case cfg.bearerEnv != "":
		tok, err := tmpl.ReadSecret(env, "config.bearer_token_env", cfg.bearerEnv, "the gateway's API token")
		if err != nil {
			return err
		}
		if !webhook.ValidHeaderValue(tok) {
			return fmt.Errorf("config.bearer_token_env: the token in %s contains control characters", cfg.bearerEnv)
		}
		s.static.Set("Authorization", "Bearer "+tok)
		s.secrets = append(s.secrets, tok)
	}
	return nil
}

// Send makes one request to the gateway and classifies its answer. It never
// retries by itself: retries belong to the listener.
func (s *Sender) Send(ctx context.Context, m *channel.Message) channel.Result {
	req, err := s.request(m)
	if err != nil {
		return channel.Result{Outcome: channel.Permanent, Err: err.Error()}
	}
	actx := ctx
	if s.timeout > 0 {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeout(ctx, s.timeout)
		defer cancel()
	}
	resp, err := s.client.Do(req.WithContext(actx))
	if err != nil {
		return webhook.Failure(ctx, actx, s.timeout, err)
	}
	res := webhook.Classify(resp)
	if s.response != nil {
		res = s.response.apply(res)
	}
	// The gateway's answer is stored and shown in relay_api: mask what
	// the channel sent, wherever the gateway echoes it.
	res.Body = channel.MaskValues(res.Body, s.secrets)
	res.Err = channel.MaskValues(res.Err, s.secrets)
	return res
}

// request builds the HTTP request for m. Its errors are permanent: the
// same message would fail the same way on every attempt.
func (s *Sender) request(m *channel.Message) (*http.Request, error) {
	u := *s.target
	if len(s.cfg.query) > 0 {
		q := u.Query()
		if err := render(s.cfg.query, m, q.Set); err != nil {
			return nil, err
		}
		u.RawQuery = q.Encode()
	}
	var body []byte
	switch {
	case s.cfg.form != nil:
		form := url.Values{}
		if err := render(s.cfg.form, m, form.Set); err != nil {
			return nil, err
		}
		body = []byte(form.Encode())
	case s.cfg.json != nil:
		var err error
		if body, err = s.cfg.json.appendJSON(nil, m); err != nil {
			return nil, err
		}
	}
	h := s.static.Clone()
	for _, f := range s.cfg.headers {
		if _, static := f.value.Static(); static {
			continue
		}
		v, err := f.value.Render(m)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errNotRendered, err)
		}
		if !webhook.ValidHeaderValue(v) {
			return nil, fmt.Errorf("%w: config.headers.%s rendered a value with a line break or control character; it cannot be sent as a header", errNotRendered, f.name)
		}
		h.Set(f.name, v)
	}
	req, err := http.NewRequest(s.method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNotRendered, err)
	}
	if body == nil {
		req.Body, req.GetBody, req.ContentLength = nil, nil, 0
	}
	req.Header = h
	return req, nil
}

// render renders each field for m and hands it to set.
func render(fields []field, m *channel.Message, set func(k, v string)) error {
	for _, f := range fields {
		v, err := f.value.Render(m)
		if err != nil {
			return fmt.Errorf("%w: %v", errNotRendered, err)
		}
		set(f.name, v)
	}
	return nil
}

// NewFactory returns the channel.Factory for sms channels; client is
// shared by them (nil: one of webhook.NewClient's).
func NewFactory(client *http.Client) channel.Factory {
	if client == nil {
		client = webhook.NewClient(0)
	}
	return func(ch channel.Channel, env *secret.Env) (channel.Sender, error) {
		return New(client, ch, env)
	}
}
