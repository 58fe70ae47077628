package robot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/dbrelay/dbrelay/channel"
	"github.com/dbrelay/dbrelay/channel/tmpl"
	"github.com/dbrelay/dbrelay/channel/webhook"
	"github.com/dbrelay/dbrelay/secret"
)

// configKeys are the keys of a preset channel's config.
var configKeys = []string{"format", "mention_address", "mention_all", "preset", "text", "title"}

// HasPreset reports whether a webhook channel's config names a preset (has
// a "preset" key, whatever its value: a wrong one is reported by New). A
// config that is not an object names none; the webhook factory reports it.
func HasPreset(raw json.RawMessage) bool {
	var top map[string]json.RawMessage
	if json.Unmarshal(raw, &top) != nil {
		return false
	}
	_, ok := top["preset"]
	return ok
}

// WebhookFactory returns the factory for the webhook kind: channels whose
// config names a preset are built by this package, the others by plain.
func WebhookFactory(client *http.Client, plain channel.Factory) channel.Factory {
	if client == nil {
		client = webhook.NewClient(0)
	}
	return func(ch channel.Channel, env *secret.Env) (channel.Sender, error) {
		if !HasPreset(ch.Config) {
			return plain(ch, env)
		}
		return New(client, ch, env)
	}
}

// Sender posts the messages of one robot channel. It is safe for
// concurrent use.
type Sender struct {
	code     string
	preset   string
	platform platform
	client   *http.Client
	target   *url.URL
	timeout  time.Duration
	secret   string // the signing secret, "" for unsigned robots
	format   string
	title    *tmpl.Template
	text     *tmpl.Template // nil: defaultText
	mention  bool
	all      bool
	now      func() time.Time // the signature's clock; tests fix it
}

// defaultText is the text when the config has none: the rendered title
// on its own line (a heading in markdown; a Feishu card shows it as its
// header instead) and the message body.
func (s *Sender) defaultText(title, body string) string {
	switch {
	case title == "":
		return body
	case s.format == "text":
		return title + "\n" + body
	case s.preset == "feishu":
		return body
	}
	return "### " + title + "\n\n" + body
}

// New builds the sender of a webhook channel whose config names a preset:
// it checks the config, parses its templates (trying them on a sample
// message) and reads the signing secret through env (nil: the process
// environment, DBRELAY_SECRET_ names only). client is shared (its
// connection pool); nil means one of webhook.NewClient's. Redirects are
// never followed.
func New(client *http.Client, ch channel.Channel, env *secret.Env) (*Sender, error) {
	s, err := build(client, ch, env)
	if err != nil {
		return nil, fmt.Errorf("webhook channel %q (robot preset): %w", ch.Code, err)
	}
	return s, nil
}

func build(client *http.Client, ch channel.Channel, env *secret.Env) (*Sender, error) {
	top, err := channel.ConfigObject("config", ch.Config, configKeys)
	if err != nil {
		return nil, err
	}
	var c struct {
		Preset         string `json:"preset"`
		Format         string `json:"format"`
		Title          string `json:"title"`
		Text           string `json:"text"`
		MentionAddress bool   `json:"mention_address"`
		MentionAll     bool   `json:"mention_all"`
	}
	if err := json.Unmarshal(ch.Config, &c); err != nil {
		return nil, fmt.Errorf("config: %v (preset, format, title and text are strings, mention_address and mention_all true or false)", err)
	}
	p, ok := platforms[c.Preset]
	if !ok {
		return nil, fmt.Errorf("config.preset %q is not one of wecom, dingtalk, feishu", c.Preset)
	}
	if c.Format == "" {
		c.Format = "text"
	}
	if c.Format != "text" && c.Format != "markdown" {
		return nil, fmt.Errorf("config.format %q is not text or markdown", c.Format)
	}
	if c.Preset == "wecom" && c.Format == "markdown" && c.MentionAll {
		return nil, errors.New("config.mention_all: WeCom markdown messages cannot @ everyone; use format text")
	}
	u, err := webhook.ParseTarget(ch.Target)
	if err != nil {
		return nil, err
	}
	s := &Sender{code: ch.Code, preset: c.Preset, platform: p, target: u, timeout: ch.Timeout, format: c.Format,
		mention: c.MentionAddress, all: c.MentionAll, now: time.Now}
	if _, set := top["title"]; !set {
		c.Title = "{{.Title}}"
	}
	if s.title, err = tmpl.Parse("config.title", c.Title); err != nil {
		return nil, err
	}
	if _, set := top["text"]; set {
		if s.text, err = tmpl.Parse("config.text", c.Text); err != nil {
			return nil, err
		}
	}
	if ch.SecretEnv != "" {
		if c.Preset == "wecom" {
			return nil, errors.New("secret_env: WeCom group robots are not signed (the key in the target URL is their credential); clear secret_env")
		}
		if env == nil {
			if env, err = secret.New(); err != nil {
				return nil, err
			}
		}
		if s.secret, err = tmpl.ReadSecret(env, "secret_env", ch.SecretEnv, "the robot's signing secret"); err != nil {
			return nil, err
		}
	}
	if client == nil {
		client = webhook.NewClient(0)
	}
	cl := *client
	cl.CheckRedirect = webhook.NoRedirect
	s.client = &cl
	return s, nil
}

// Send posts m to the robot once and classifies the answer.
func (s *Sender) Send(ctx context.Context, m *channel.Message) channel.Result {
	title, err := s.title.Render(m)
	if err != nil {
		return channel.Result{Outcome: channel.Permanent, Err: err.Error()}
	}
	text := s.defaultText(title, m.Body)
	if s.text != nil {
		if text, err = s.text.Render(m); err != nil {
			return channel.Result{Outcome: channel.Permanent, Err: err.Error()}
		}
	}
	c := content{markdown: s.format == "markdown", title: title, text: text, mentionAll: s.all}
	if s.mention {
		c.mention = strings.TrimSpace(m.Address)
	}
	body := s.platform.payload(c)
	u := *s.target
	if s.secret != "" {
		s.platform.sign(&u, body, s.secret, s.now())
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(body); err != nil {
		return channel.Result{Outcome: channel.Permanent, Err: "encoding the robot message: " + err.Error()}
	}
	actx := ctx
	if s.timeout > 0 {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeout(ctx, s.timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(actx, http.MethodPost, u.String(), bytes.NewReader(buf.Bytes()))
	if err != nil {
		return channel.Result{Outcome: channel.Permanent, Err: "building the request: " + err.Error()}
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := s.client.Do(req)
	if err != nil {
		return webhook.Failure(ctx, actx, s.timeout, err)
	}
	return s.judge(webhook.Classify(resp))
}

// judge settles the outcome the HTTP status gave by the robot's result
// code. A transient status stays transient; a 2xx answer without a code is
// permanent: it did not come from the robot, and whether the message was
// posted is unknown.
func (s *Sender) judge(res channel.Result) channel.Result {
	if res.Outcome == channel.Transient {
		return res
	}
	codeFields, msgFields := s.platform.codeFields()
	var doc map[string]any
	dec := json.NewDecoder(strings.NewReader(res.Body))
	dec.UseNumber()
	var code json.Number
	var msg string
	if dec.Decode(&doc) == nil {
		for _, f := range codeFields {
			if n, ok := doc[f].(json.Number); ok {
				code = n
				break
			}
		}
		for _, f := range msgFields {
			if m, ok := doc[f].(string); ok && m != "" {
				msg = m
				break
			}
		}
	}
	n, err := code.Int64()
	switch {
	case code == "" && res.Outcome == channel.Sent:
		res.Outcome = channel.Permanent
		res.Err = fmt.Sprintf("HTTP %d without %s in the answer: not a %s robot's answer, so whether the message was posted is unknown; check the channel's target", res.StatusCode, strings.Join(codeFields, " or "), s.preset)
	case code == "" || err != nil:
		// A 4xx that is not the robot's JSON: the status decides.
	case n == 0 && res.Outcome == channel.Sent:
		// posted
	default:
		v := s.platform.codes()[n]
		res.Outcome = channel.Permanent
		if v.transient {
			res.Outcome = channel.Transient
			res.RetryAfter = max(res.RetryAfter, v.retryAfter)
		}
		res.Err = s.preset + " " + codeFields[0] + " " + strconv.FormatInt(n, 10)
		if msg != "" {
			res.Err += ": " + strings.ToValidUTF8(msg, "\uFFFD")
		}
		if v.hint != "" {
			res.Err += " (" + v.hint + ")"
		}
	}
	res.Body = channel.MaskValues(res.Body, []string{s.secret})
	return res
}
