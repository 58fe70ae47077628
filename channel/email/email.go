package email

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/dbrelay/dbrelay/channel"
	"github.com/dbrelay/dbrelay/secret"
)

// Kind is the relay.channel.kind value this package serves.
const Kind = "email"

// Store reads a message's attachments (relay.attachment). The dialects
// implement it over the listener's database.
type Store interface {
	Attachments(ctx context.Context, messageID int64) ([]channel.Attachment, error)
}

// The listener's channel cache closes a sender it replaces or stops with.
var _ io.Closer = (*Sender)(nil)

// Options are what a factory needs besides the channel row.
type Options struct {
	// Store reads attachments. Required: without it a message's
	// attachments could not be sent, and sending it without them would be
	// wrong, so the factory refuses the channel.
	Store Store
	// RootCAs verifies the servers' certificates; nil means the system's.
	RootCAs *x509.CertPool
}

// NewFactory returns the factory for email channels.
func NewFactory(o Options) channel.Factory {
	return func(ch channel.Channel, env *secret.Env) (channel.Sender, error) {
		return New(ch, env, o)
	}
}

// Sender delivers the messages of one email channel. It keeps up to
// config.connections SMTP connections open and reuses them across messages;
// Close closes them (the listener calls it when the channel changes or the
// listener stops).
type Sender struct {
	ch       channel.Channel
	cfg      *config
	store    Store
	servers  []*gomail.Client // one per server in the target, for dialing
	password string

	slots  chan struct{} // one per connection in use or idle
	mu     sync.Mutex
	idle   []*conn
	closed bool
}

// New builds the sender of one email channel, reading its password
// through env.
func New(ch channel.Channel, env *secret.Env, o Options) (*Sender, error) {
	cfg, err := parseConfig(ch.Target, ch.Config)
	if err != nil {
		return nil, fmt.Errorf("email channel %q: %w", ch.Code, err)
	}
	if ch.SecretEnv != "" {
		return nil, fmt.Errorf("email channel %q: secret_env is for signing webhooks; an email channel signs nothing: leave it NULL (the SMTP password goes in config.password_env)", ch.Code)
	}
	if o.Store == nil {
		return nil, fmt.Errorf("email channel %q: this listener was built without access to relay.attachment", ch.Code)
	}
	s := &Sender{ch: ch, cfg: cfg, store: o.Store, slots: make(chan struct{}, cfg.connections)}
	if cfg.passwordEnv != "" {
		if s.password, err = env.Get(cfg.passwordEnv); err != nil {
			return nil, fmt.Errorf("email channel %q: config.password_env: %w", ch.Code, err)
		}
	}
	for _, addr := range cfg.servers {
		c, err := s.client(addr, o.RootCAs)
		if err != nil {
			return nil, fmt.Errorf("email channel %q: server %s: %w", ch.Code, addr, err)
		}
		s.servers = append(s.servers, c)
	}
	return s, nil
}

// client is go-mail's client for one server: it dials, says EHLO, starts
// TLS as config.tls says (verifying the certificate) and logs in.
func (s *Sender) client(addr string, roots *x509.CertPool) (*gomail.Client, error) {
	host, portText, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portText)
	tlsCfg := &tls.Config{ServerName: host, RootCAs: roots, MinVersion: tls.VersionTLS12}
	timeout := s.ch.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	implicit := s.cfg.tls == tlsImplicit
	opts := []gomail.Option{gomail.WithPort(port), gomail.WithTimeout(timeout), gomail.WithTLSConfig(tlsCfg),
		gomail.WithDialContextFunc(func(ctx context.Context, network, address string) (net.Conn, error) {
			return dial(ctx, network, address, implicit, tlsCfg)
		})}
	switch s.cfg.tls {
	case tlsStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	default: // implicit: the dialer did TLS; none: no TLS at all
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if s.cfg.helo != "" {
		opts = append(opts, gomail.WithHELO(s.cfg.helo))
	}
	if s.cfg.username != "" {
		mech := gomail.SMTPAuthPlain
		if s.cfg.auth == "login" {
			mech = gomail.SMTPAuthLogin
		}
		opts = append(opts, gomail.WithSMTPAuth(mech), gomail.WithUsername(s.cfg.username), gomail.WithPassword(s.password))
	}
	return gomail.NewClient(host, opts...)
}

// rawConnKey carries a *rawHolder through go-mail's dial: the raw
// connection is kept so that a cancelled context can close it at once,
// while go-mail waits for the greeting or the SMTP client's own Close
// waits for the command in flight.
type rawConnKey struct{}

// rawHolder is the raw connection of one dial, closed when the dial's
// context ends before the dial does.
type rawHolder struct {
	mu     sync.Mutex
	conn   net.Conn
	closed bool
}

func (h *rawHolder) set(c net.Conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.conn = c
	if h.closed {
		c.Close()
	}
}

func (h *rawHolder) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	if h.conn != nil {
		h.conn.Close()
	}
}

func dial(ctx context.Context, network, address string, implicit bool, cfg *tls.Config) (net.Conn, error) {
	d := net.Dialer{KeepAlive: 30 * time.Second}
	c, err := d.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	if h, ok := ctx.Value(rawConnKey{}).(*rawHolder); ok {
		h.set(c)
	}
	if !implicit {
		return c, nil
	}
	tc := tls.Client(c, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return tc, nil
}

// Send delivers one message. SMTP 5xx replies are permanent, 4xx replies
// and connection errors transient; a message that cannot be built (an
// address that is not one, a template failing on its payload) is
// permanent.
func (s *Sender) Send(ctx context.Context, m *channel.Message) channel.Result {
	if s.ch.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.ch.Timeout)
		defer cancel()
	}
	atts, err := s.store.Attachments(ctx, m.ID)
	if err != nil {
		return channel.Result{Outcome: channel.Transient, Err: fmt.Sprintf("reading the message's attachments: %v", err)}
	}
	out, err := s.build(m, atts)
	if err != nil {
		return channel.Result{Outcome: channel.Permanent, Err: err.Error()}
	}
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return channel.Result{Outcome: channel.Transient, Err: "waiting for a free SMTP connection: " + ctx.Err().Error()}
	}
	defer func() { <-s.slots }()

	c, reused, err := s.take(ctx)
	if err != nil {
		return channel.Result{Outcome: channel.Transient, Err: s.mask(err.Error())}
	}
	reply, err := c.send(ctx, out)
	if err != nil && reused && retryable(err) {
		// An idle connection the server had closed meanwhile: nothing was
		// handed over, so try once more on a new one.
		c.close()
		if c, err = s.dial(ctx); err != nil {
			return channel.Result{Outcome: channel.Transient, Err: s.mask(err.Error())}
		}
		reply, err = c.send(ctx, out)
	}
	res := s.classify(c.server, out, reply, err)
	if err == nil || (smtpCode(err) != 0 && smtpCode(err) != 421) {
		s.put(c)
	} else {
		c.close()
	}
	return res
}

// classify turns the SMTP exchange into a result with its audit record.
func (s *Sender) classify(server string, out *outgoing, reply string, err error) channel.Result {
	if err == nil {
		return channel.Result{Outcome: channel.Sent, StatusCode: 250, Body: reply,
			Audit: out.audit(server, reply, true)}
	}
	code := smtpCode(err)
	msg := s.mask(err.Error())
	line := s.mask(replyLine(err))
	switch {
	case code >= 500:
		return channel.Result{Outcome: channel.Permanent, StatusCode: code, Body: line,
			Err: fmt.Sprintf("mail server %s refused the mail at %s", server, msg), Audit: out.audit(server, line, false)}
	case code >= 400:
		return channel.Result{Outcome: channel.Transient, StatusCode: code, Body: line,
			Err: fmt.Sprintf("mail server %s deferred the mail at %s", server, msg), Audit: out.audit(server, line, false)}
	}
	return channel.Result{Outcome: channel.Transient, Err: fmt.Sprintf("mail server %s: %s", server, msg)}
}

// mask hides the SMTP password wherever an error might quote it.
func (s *Sender) mask(text string) string {
	return channel.MaskValues(text, []string{s.password})
}

// take returns an idle connection, or dials one.
func (s *Sender) take(ctx context.Context) (c *conn, reused bool, err error) {
	s.mu.Lock()
	if n := len(s.idle); n > 0 {
		c = s.idle[n-1]
		s.idle = s.idle[:n-1]
	}
	s.mu.Unlock()
	if c != nil {
		return c, true, nil
	}
	c, err = s.dial(ctx)
	return c, false, err
}

// dial connects to the first server of the target that answers, in order
// (failover, as Database Mail tries a profile's accounts).
func (s *Sender) dial(ctx context.Context) (*conn, error) {
	var errs []string
	for i, client := range s.servers {
		h := &rawHolder{}
		stop := context.AfterFunc(ctx, h.close)
		sc, err := client.DialToSMTPClientWithContext(context.WithValue(ctx, rawConnKey{}, h))
		if stopped := stop(); err == nil && stopped {
			return &conn{client: sc, raw: h.conn, server: s.cfg.servers[i]}, nil
		}
		h.close()
		if err == nil {
			err = ctx.Err()
		}
		errs = append(errs, s.cfg.servers[i]+": "+err.Error())
		if ctx.Err() != nil {
			break
		}
	}
	if len(errs) == 1 {
		return nil, fmt.Errorf("mail server %s", errs[0])
	}
	return nil, fmt.Errorf("no mail server took the connection: %s", strings.Join(errs, "; "))
}

// put keeps c for the next message, or closes it when the sender is closed.
func (s *Sender) put(c *conn) {
	s.mu.Lock()
	if !s.closed {
		s.idle = append(s.idle, c)
		c = nil
	}
	s.mu.Unlock()
	if c != nil {
		c.quit()
	}
}

// Close says QUIT on the idle connections and closes them; connections in
// use are closed when their message is done. Safe to call more than once.
func (s *Sender) Close() error {
	s.mu.Lock()
	idle := s.idle
	s.idle, s.closed = nil, true
	s.mu.Unlock()
	for _, c := range idle {
		c.quit()
	}
	return nil
}

// retryable reports an error that says the connection was dead before
// the mail was handed over (a network error or 421, "closing the channel",
// before DATA): sending again cannot deliver it twice. After DATA the
// server may have taken the mail, so that is never retried here.
func retryable(err error) bool {
	code := smtpCode(err)
	return errors.Is(err, errBeforeData) && (code == 0 || code == 421)
}
