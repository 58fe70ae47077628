package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/dbrelay/dbrelay/channel/tmpl"
	"github.com/dbrelay/dbrelay/secret"
)

// maxEarly is how long before its expiry a token is replaced, at most: long
// enough that a request sent with it does not arrive after it expired (a
// slow endpoint, a skewed clock), short enough to waste little of it. Short
// tokens are replaced after three quarters of their lifetime instead.
const maxEarly = 30 * time.Second

// Tokens fetches and caches the access token of one channel. It is safe for
// concurrent use: every worker of the channel shares one token, and only
// one of them fetches a new one while the others wait for it.
type Tokens struct {
	cfg    clientcredentials.Config
	client *http.Client // for the token endpoint
	secret string
	envVar string
	now    func() time.Time // tests move the clock

	fetching chan struct{} // holds one token while a fetch runs

	mu        sync.Mutex
	tok       *oauth2.Token // nil until fetched, or after Invalidate
	refreshAt time.Time     // when to fetch again; zero: not before a 401
}

// New prepares the tokens of a channel: it reads the client secret through
// env (the operator's allow-list) and fetches nothing yet. client is used
// for the token endpoint; it should not follow redirects (the request
// carries the client secret), and the channel factories pass their own.
func New(c *Config, env *secret.Env, client *http.Client) (*Tokens, error) {
	style, err := c.authStyle()
	if err != nil {
		return nil, err
	}
	s, err := tmpl.ReadSecret(env, "config.oauth2.client_secret_env", c.ClientSecretEnv, "the OAuth2 client secret")
	if err != nil {
		return nil, err
	}
	params := url.Values{}
	for k, v := range c.Params {
		params.Set(k, v)
	}
	if client == nil {
		client = http.DefaultClient
	}
	return &Tokens{
		cfg: clientcredentials.Config{
			ClientID: c.ClientID, ClientSecret: s, TokenURL: c.TokenURL,
			Scopes: strings.Fields(c.Scope), EndpointParams: params, AuthStyle: style,
		},
		client:   client,
		secret:   s,
		envVar:   c.ClientSecretEnv,
		now:      time.Now,
		fetching: make(chan struct{}, 1),
	}, nil
}

// Secret returns the client secret, for senders that mask it in an
// endpoint's echo.
func (t *Tokens) Secret() string { return t.secret }

// Token returns a token that is not about to expire, fetching one when the
// cache has none. Its error is an *Error saying whether to retry.
func (t *Tokens) Token(ctx context.Context) (*oauth2.Token, error) {
	if tok := t.cached(); tok != nil {
		return tok, nil
	}
	select {
	case t.fetching <- struct{}{}:
	case <-ctx.Done():
		return nil, &Error{Transient: true, Msg: "waiting for the OAuth2 token", Err: context.Cause(ctx)}
	}
	defer func() { <-t.fetching }()
	if tok := t.cached(); tok != nil { // another worker fetched it meanwhile
		return tok, nil
	}
	tok, err := t.cfg.Token(context.WithValue(ctx, oauth2.HTTPClient, t.client))
	if err != nil {
		return nil, t.classify(err)
	}
	now := t.now()
	t.mu.Lock()
	t.tok, t.refreshAt = tok, refreshTime(tok, now)
	t.mu.Unlock()
	return tok, nil
}

// cached returns the cached token unless it is due for replacement.
func (t *Tokens) cached() *oauth2.Token {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tok == nil || (!t.refreshAt.IsZero() && !t.now().Before(t.refreshAt)) {
		return nil
	}
	return t.tok
}

// Invalidate drops tok from the cache if it is still the cached token: an
// endpoint answered 401 to it. Another worker may already have replaced it,
// and that newer token is kept.
func (t *Tokens) Invalidate(tok *oauth2.Token) {
	t.mu.Lock()
	if t.tok == tok {
		t.tok = nil
	}
	t.mu.Unlock()
}

// Current returns the cached access token, "" if none, so a sender can mask
// it where an endpoint echoes the request.
func (t *Tokens) Current() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tok == nil {
		return ""
	}
	return t.tok.AccessToken
}

// refreshTime is when tok, fetched at now, should be replaced: maxEarly
// before it expires, or after three quarters of a shorter lifetime. A token
// without expires_in is kept until an endpoint rejects it.
func refreshTime(tok *oauth2.Token, now time.Time) time.Time {
	if tok.Expiry.IsZero() {
		return time.Time{}
	}
	// The lifetime as the endpoint stated it (clientcredentials drops
	// Token.ExpiresIn, but keeps the raw field), counted from when the
	// answer arrived; Expiry was computed by the library's own clock.
	life := tok.Expiry.Sub(now)
	switch v := tok.Extra("expires_in").(type) {
	case float64: // JSON
		life = time.Duration(v * float64(time.Second))
	case string: // form-encoded answer
		if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
			life = time.Duration(secs) * time.Second
		}
	}
	early := min(maxEarly, life/4)
	return now.Add(life - early)
}

// Error is a failure to get a token. Transient ones (the token endpoint is
// unreachable, overloaded or timed out) may succeed later; the others mean
// the credentials or the configuration are wrong and retrying cannot help.
type Error struct {
	Transient bool
	Msg       string // what happened, for last_error; never a secret
	Err       error  // the underlying network error, for transient ones
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// maxDescription bounds the identity provider's error_description quoted
// in last_error.
const maxDescription = 200

// classify turns a failed token request into an *Error. RetrieveError's own
// message is not used: it quotes the whole response body.
func (t *Tokens) classify(err error) *Error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		msg := err.Error()
		if strings.HasPrefix(msg, "oauth2: ") && !strings.HasPrefix(msg, "oauth2: cannot fetch token") {
			// It answered 2xx, but not with a token (no access_token, not
			// JSON): a wrong token_url, most likely; resending cannot fix it.
			return &Error{Msg: "the OAuth2 token endpoint's answer is not a token (" + strings.TrimPrefix(msg, "oauth2: ") + "); check config.oauth2.token_url"}
		}
		// No answer, or the connection broke while reading it.
		return &Error{Transient: true, Msg: "the OAuth2 token endpoint cannot be reached", Err: err}
	}
	status := 0
	if re.Response != nil {
		status = re.Response.StatusCode
	}
	what := fmt.Sprintf("HTTP %d", status)
	if re.ErrorCode != "" {
		what += " " + re.ErrorCode
		if d := strings.ToValidUTF8(re.ErrorDescription, "\uFFFD"); d != "" {
			if len(d) > maxDescription {
				d = strings.ToValidUTF8(d[:maxDescription], "") + "…"
			}
			what += ": " + d
		}
	}
	switch {
	case status >= 500, status == http.StatusTooManyRequests, status == http.StatusRequestTimeout:
		return &Error{Transient: true, Msg: "the OAuth2 token endpoint answered " + what + "; retrying"}
	case re.ErrorCode == "invalid_client", re.ErrorCode == "unauthorized_client", status == http.StatusUnauthorized:
		return &Error{Msg: fmt.Sprintf("the OAuth2 token endpoint refused the client credentials (%s); check config.oauth2.client_id and the secret in %s", what, t.envVar)}
	case re.ErrorCode == "invalid_scope":
		return &Error{Msg: fmt.Sprintf("the OAuth2 token endpoint refused the scope (%s); check config.oauth2.scope", what)}
	}
	return &Error{Msg: fmt.Sprintf("the OAuth2 token endpoint refused the token request (%s); check config.oauth2", what)}
}
