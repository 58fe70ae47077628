// Package smtptest runs a real SMTP server on 127.0.0.1 inside a test
// (github.com/emersion/go-smtp): plain, STARTTLS or implicit TLS with a
// generated certificate, AUTH PLAIN and LOGIN, scripted replies to DATA
// (550, 451, …), and a record of the exact bytes of every mail received.
//
// Why a library server and not Debian's postfix or exim: they need root
// (postfix's master runs as root and drops privileges; its queue and
// chroot live under /var/spool), a system configuration and their own
// daemons, and they deliver asynchronously into a queue the test would
// have to poll. The email channel's job ends at the SMTP reply; what a test
// must see is the SMTP conversation and the bytes the server took, which
// an in-process server records exactly, on a free port, in milliseconds.
package smtptest

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/dbrelay/dbrelay/internal/testcert"
)

// Mode is how a server speaks TLS.
type Mode int

const (
	// Plain is SMTP without TLS (AUTH allowed anyway, as on a trusted LAN).
	Plain Mode = iota
	// StartTLS offers STARTTLS and refuses AUTH and MAIL before it.
	StartTLS
	// Implicit is SMTP inside TLS from the first byte (port 465 style).
	Implicit
)

// Options configure a server.
type Options struct {
	TLS Mode
	// Username and Password, when set, are required (AUTH PLAIN or LOGIN)
	// before MAIL.
	Username, Password string
}

// Mail is one mail the server received.
type Mail struct {
	From     string
	To       []string // envelope recipients (RCPT TO), BCC copies included
	Data     []byte   // the message exactly as received (after DATA's dot-unstuffing)
	TLS      bool     // the session was encrypted
	User     string   // the authenticated user, "" without AUTH
	Session  int      // which connection carried it (1 = the first)
	Accepted bool     // false when a scripted reply refused it
}

// Reply is a scripted answer to one DATA: a code of 0 accepts the mail.
// The reply line is the code and Message exactly (write an enhanced status
// code into Message if you want one).
type Reply struct {
	Code    int
	Message string
}

// Server is a running SMTP server on 127.0.0.1.
type Server struct {
	Addr    string         // host:port
	RootCAs *x509.CertPool // trusts the server's certificate

	opts     Options
	srv      *smtp.Server
	mu       sync.Mutex
	mails    []Mail
	replies  []Reply
	sessions int
	logouts  int
	changed  chan struct{} // closed and replaced whenever a mail arrives
}

// Start starts a server and stops it when the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	pair, err := testcert.New()
	if err != nil {
		t.Fatalf("smtptest: certificate: %v", err)
	}
	cert, pool := pair.TLS(), pair.Pool()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtptest: listen: %v", err)
	}
	s := &Server{Addr: ln.Addr().String(), RootCAs: pool, opts: opts, changed: make(chan struct{})}
	srv := smtp.NewServer(smtp.BackendFunc(s.newSession))
	srv.Domain = "smtptest.local"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	srv.ReadTimeout, srv.WriteTimeout = time.Minute, time.Minute
	srv.MaxMessageBytes = 32 << 20
	srv.EnableSMTPUTF8 = true
	tlsCfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	switch opts.TLS {
	case Plain:
		srv.AllowInsecureAuth = true
	case StartTLS:
		srv.TLSConfig = tlsCfg
	case Implicit:
		srv.TLSConfig = tlsCfg
		ln = tls.NewListener(ln, tlsCfg)
	}
	s.srv = srv
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

// Script queues replies for the next DATA commands, one each, in order;
// once they are used up mails are accepted again.
func (s *Server) Script(replies ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.replies = append(s.replies, replies...)
}

// Mails returns the mails received so far.
func (s *Server) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

// Sessions returns how many connections the server has accepted.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions
}

// Logouts returns how many sessions have ended (QUIT, or the client
// closed the connection).
func (s *Server) Logouts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logouts
}

// WaitLogouts waits until at least n sessions have ended, failing the test
// after timeout.
func (s *Server) WaitLogouts(t testing.TB, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		got, ch := s.logouts, s.changed
		s.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("smtptest: %d session(s) ended within %v, want %d", got, timeout, n)
		}
	}
}

// Wait returns the mails once at least n have arrived, failing the test
// after timeout.
func (s *Server) Wait(t testing.TB, n int, timeout time.Duration) []Mail {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		got, ch := len(s.mails), s.changed
		s.mu.Unlock()
		if got >= n {
			return s.Mails()
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("smtptest: %d mail(s) arrived within %v, want %d", got, timeout, n)
		}
	}
}

// Close stops the server: connections are closed, new ones refused.
func (s *Server) Close() { s.srv.Close() }

func (s *Server) newSession(c *smtp.Conn) (smtp.Session, error) {
	s.mu.Lock()
	s.sessions++
	n := s.sessions
	s.mu.Unlock()
	return &session{srv: s, conn: c, n: n}, nil
}

func (s *Server) record(m Mail) *Reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	var r *Reply
	if len(s.replies) > 0 {
		r = &s.replies[0]
		s.replies = s.replies[1:]
		if r.Code == 0 {
			r = nil
		}
	}
	m.Accepted = r == nil
	s.mails = append(s.mails, m)
	close(s.changed)
	s.changed = make(chan struct{})
	return r
}

type session struct {
	srv  *Server
	conn *smtp.Conn
	n    int
	user string
	from string
	to   []string
}

func (s *session) encrypted() bool {
	_, ok := s.conn.TLSConnectionState()
	return ok
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain, sasl.Login} }

func (s *session) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		if s.srv.opts.Username == "" || user != s.srv.opts.Username || pass != s.srv.opts.Password {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "authentication failed"}
		}
		s.user = user
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(identity, user, pass string) error {
			if identity != "" && identity != user {
				return errors.New("identity differs from user name")
			}
			return check(user, pass)
		}), nil
	case sasl.Login:
		return newLoginServer(check), nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.srv.opts.TLS == StartTLS && !s.encrypted() {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "must issue a STARTTLS command first"}
	}
	if s.srv.opts.Username != "" && s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	var b bytes.Buffer
	if _, err := io.Copy(&b, r); err != nil {
		return err
	}
	reply := s.srv.record(Mail{From: s.from, To: append([]string(nil), s.to...), Data: b.Bytes(),
		TLS: s.encrypted(), User: s.user, Session: s.n})
	if reply != nil {
		return &smtp.SMTPError{Code: reply.Code, EnhancedCode: smtp.NoEnhancedCode, Message: reply.Message}
	}
	return nil
}

func (s *session) Reset() { s.from, s.to = "", nil }

func (s *session) Logout() error {
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	s.srv.logouts++
	close(s.srv.changed)
	s.srv.changed = make(chan struct{})
	return nil
}

// Stalled returns the address of a TCP server that accepts connections and
// never says a word (a mail server wedged behind a firewall that
// black-holes packets): a client waits until its own timeout. It closes
// what it accepted when the test ends.
func Stalled(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtptest: listen: %v", err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// Unreachable returns an address of 127.0.0.1 where nothing listens: a
// connection is refused at once.
func Unreachable(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtptest: listen: %v", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
