package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/dbrelay/dbrelay/channel"
	"github.com/dbrelay/dbrelay/channel/oauth"
	"github.com/dbrelay/dbrelay/channel/tmpl"
	"github.com/dbrelay/dbrelay/secret"
)

// Kind is the relay.channel.kind value this package serves; the listener
// registers NewFactory under it so the two cannot drift apart.
const Kind = "webhook"

// defaultIdleConns sizes the idle pool of the client NewFactory builds when
// it is given none, and of NewClient when called with n <= 0.
const defaultIdleConns = 100

// Canonical header names. HTTP header names are case-insensitive; the
// Standard Webhooks spec spells them in lower case, which is what HTTP/2
// puts on the wire anyway.
const (
	headerID        = "Webhook-Id"
	headerTimestamp = "Webhook-Timestamp"
	headerSignature = "Webhook-Signature"
)

// NewClient returns an HTTP client suited to webhook delivery, for callers
// that do not tune their own. maxConnsPerHost sizes the idle connection pool
// (MaxIdleConns and MaxIdleConnsPerHost) so that each concurrent worker can
// keep its keep-alive connection instead of dialing (and TLS-handshaking)
// per message; set it to the number of delivery workers. n <= 0 means 100.
//
// The client never follows redirects (CheckRedirect returns
// http.ErrUseLastResponse): targets may only come from the channel table,
// see the package documentation. It has no overall Timeout because each
// channel's Timeout bounds its own attempts. Proxies are taken from the
// environment (HTTPS_PROXY, NO_PROXY, …) as with http.DefaultTransport.
func NewClient(maxConnsPerHost int) *http.Client {
	if maxConnsPerHost <= 0 {
		maxConnsPerHost = defaultIdleConns
	}
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           dialer.DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          maxConnsPerHost,
			MaxIdleConnsPerHost:   maxConnsPerHost,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ExpectContinueTimeout: time.Second,
		},
		CheckRedirect: noRedirect,
	}
}

// noRedirect makes the client return a 3xx response as it is.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// NewFactory returns the channel.Factory for webhook channels. client is
// shared by every webhook channel so they share its connection pool; nil
// means one built by NewClient with the default pool size. Whatever client
// is given, the senders use a copy whose CheckRedirect refuses redirects, so
// a caller's client cannot reintroduce them; the caller's client itself is
// not modified.
func NewFactory(client *http.Client) channel.Factory {
	if client == nil {
		client = NewClient(0)
	}
	c := *client
	c.CheckRedirect = noRedirect
	return func(ch channel.Channel, env *secret.Env) (channel.Sender, error) {
		return newSender(&c, ch, env)
	}
}

// Sender delivers the messages of one webhook channel. Everything that does
// not depend on the message (target URL, static headers, decoded secret) is
// prepared by the factory, so Send only encodes, signs, posts and classifies.
// A Sender is safe for concurrent use by many workers.
type Sender struct {
	code    string
	client  *http.Client
	tmpl    *http.Request // method, URL and protocol; copied per attempt
	static  http.Header   // Content-Type, configured headers, Authorization
	timeout time.Duration
	signed  bool
	macs    sync.Pool // of hash.Hash: HMAC-SHA256 keyed with the secret
	// secrets are the credentials this sender sends (basic auth, header
	// values from the environment, the OAuth2 client secret): masked
	// wherever a response echoes them, since responses are stored and
	// shown in relay_api.
	secrets []string
	// dynamic are the headers rendered per message (templates).
	dynamic []header
	// tokens is the OAuth2 token cache when config.oauth2 is set; its
	// current token is masked in responses too.
	tokens *oauth.Tokens
}

// reservedHeaders are the header names config.headers may not set, with the
// reason given to the operator. Authorization is only reserved when
// basic_auth is configured.
var reservedHeaders = map[string]string{
	headerID:            "it carries the message key",
	headerTimestamp:     "it is part of the signature",
	headerSignature:     "it is computed from secret_env",
	"Content-Type":      "the body is always application/json",
	"Content-Length":    "it is computed from the body",
	"Transfer-Encoding": "it is chosen by the HTTP client",
	"Trailer":           "the request has no trailers",
	"Host":              "it comes from the target URL",
	"Idempotency-Key":   "a static value would make receivers drop every message after the first; webhook-id carries the per-message key",
	"X-Idempotency-Key": "a static value would make receivers drop every message after the first; webhook-id carries the per-message key",
}

// newSender validates ch and prepares its Sender. Every secret is read
// through env, the operator's allow-list; nil means the process environment
// with names starting with secret.Prefix only.
func newSender(client *http.Client, ch channel.Channel, env *secret.Env) (*Sender, error) {
	if env == nil {
		var err error
		if env, err = secret.New(); err != nil {
			return nil, err
		}
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("webhook channel %q: %w", ch.Code, fmt.Errorf(format, args...))
	}

	u, err := parseTarget(ch.Target)
	if err != nil {
		return nil, fail("%v", err)
	}

	s := &Sender{
		code:    ch.Code,
		client:  client,
		timeout: ch.Timeout,
		tmpl: &http.Request{
			Method:     http.MethodPost,
			URL:        u,
			Proto:      "HTTP/1.1",
			ProtoMajor: 1,
			ProtoMinor: 1,
		},
		static: http.Header{
			"Content-Type": {"application/json"},
			// A key with no value is not sent; it tells net/http that the
			// POST may be replayed on a fresh connection when a kept-alive
			// one turns out to be closed. That is safe: delivery is at least
			// once and receivers de-duplicate on webhook-id.
			"Idempotency-Key": nil,
		},
	}

	if ch.SecretEnv != "" {
		v, err := tmpl.ReadSecret(env, "secret_env", ch.SecretEnv,
			"the channel's signing secret (whsec_ followed by base64 of 24 to 64 random bytes), or clear secret_env to send unsigned")
		if err != nil {
			return nil, fail("%w", err)
		}
		key, err := decodeSecret(v)
		if err != nil {
			return nil, fail("the secret in %s is not valid padded standard base64 after the optional whsec_ prefix (%v); set %s to whsec_ followed by the base64 of the secret", ch.SecretEnv, err, ch.SecretEnv)
		}
		s.signed = true
		s.macs.New = func() any { return hmac.New(sha256.New, key) }
	}

	cfg, err := parseConfig(ch.Config)
	if err != nil {
		return nil, fail("%v", err)
	}
	if err := s.configure(client, cfg, env); err != nil {
		return nil, fail("%w", err)
	}
	return s, nil
}

// parseTarget checks that target is an absolute http(s) URL without
// credentials. Errors do not repeat the URL: its path or query may itself be
// a secret token.
func parseTarget(target string) (*url.URL, error) {
	if target == "" {
		return nil, errors.New("target is empty; set it to the endpoint's http or https URL")
	}
	u, err := url.Parse(target)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, fmt.Errorf("target is not a valid URL: %v", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("target must be an absolute http or https URL, not scheme %q", u.Scheme)
	}
	if u.Host == "" {
		return nil, errors.New("target must be an absolute http or https URL with a host")
	}
	if u.User != nil {
		return nil, errors.New("target must not contain credentials (user:password@); use config.basic_auth with password_env so the password stays out of the database")
	}
	return u, nil
}

// validHeaderName reports whether name is an RFC 9110 token.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// validHeaderValue reports whether v can be sent as a header value: no
// control characters except horizontal tab. net/http refuses the others, and
// finding out at send time would turn a configuration error into failed
// deliveries.
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}
