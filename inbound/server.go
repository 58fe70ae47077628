package inbound

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/dbrelay/dbrelay/dialect"
	"github.com/dbrelay/dbrelay/schema"
	"golang.org/x/time/rate"
)

// Server is `dbrelay serve` against one database.
type Server struct {
	cfg    Config
	conn   *dialect.Conn
	in     *dialect.Inbound
	stmts  dialect.InboundStatements
	table  atomic.Pointer[table]
	digest *digestKeys
	tls    *tls.Config // nil: plain HTTP
	log    *slog.Logger
	// audit bounds the relay.inbound rows written for requests that did
	// not authenticate (10/s, bursts of 100), so a flood of bad requests
	// costs the database little; the metrics count the rest.
	audit  *rate.Limiter
	reload chan struct{}
}

// New prepares a server: it checks the configuration and that the
// database's schema is the one this binary knows, loads the TLS key pair,
// and loads the endpoints. An enabled endpoint that cannot serve (its
// secret is not set, its procedure is missing) is an error here, naming
// it; at a later reload it is only logged.
func New(ctx context.Context, conn *dialect.Conn, cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	in, err := dialect.InboundOf(conn)
	if err != nil {
		return nil, err
	}
	if err := schema.Check(ctx, conn); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, conn: conn, in: in, digest: newDigestKeys(cfg.Tolerance), log: cfg.Logger,
		audit: rate.NewLimiter(10, 100), reload: make(chan struct{}, 1)}
	if cfg.TLSCert != "" {
		pair, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("%w: TLS key pair (%s, %s): %v", ErrConfig, cfg.TLSCert, cfg.TLSKey, err)
		}
		s.tls = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
	}
	conn.DB.SetMaxOpenConns(cfg.Connections)
	conn.DB.SetMaxIdleConns(cfg.Connections)
	if s.stmts, err = in.PrepareInbound(ctx, conn.DB); err != nil {
		return nil, err
	}
	t, broken, err := s.load(ctx, nil)
	if err != nil {
		s.stmts.Close()
		return nil, err
	}
	if len(broken) > 0 {
		var errs []error
		for _, e := range broken {
			errs = append(errs, e.broken)
		}
		s.close(t)
		return nil, fmt.Errorf("%w; fix it, or disable the endpoint with 'dbrelay endpoint disable PATH'", errors.Join(errs...))
	}
	s.table.Store(t)
	return s, nil
}

// Handler is the server's http.Handler, for tests and embedding.
func (s *Server) Handler() http.Handler { return s }

// Run listens on Config.Addr and serves until ctx is cancelled.
func (s *Server) Run(ctx context.Context) error {
	if err := s.checkPlain(s.cfg.Addr); err != nil { // before binding anything
		s.close(s.table.Load())
		return err
	}
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		s.close(s.table.Load())
		return fmt.Errorf("listen on %s: %w", s.cfg.Addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln until ctx is cancelled, then shuts down gracefully:
// it stops accepting, lets requests in flight finish (their transactions
// commit or roll back as they would have) for Config.Grace, and closes
// the rest. Plain HTTP is refused on a non-loopback address unless
// Config.AllowPlainHTTP.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	defer func() { s.close(s.table.Load()) }()
	if err := s.checkPlain(ln.Addr().String()); err != nil {
		ln.Close()
		return err
	}
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      s.cfg.Timeout + time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		TLSConfig:         s.tls,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	loops, stop := context.WithCancel(ctx)
	defer stop()
	go s.reloadLoop(loops)
	go s.forgetLoop(loops)

	scheme := "http"
	errc := make(chan error, 1)
	if s.tls != nil {
		scheme = "https"
		go func() { errc <- srv.ServeTLS(ln, "", "") }()
	} else {
		go func() { errc <- srv.Serve(ln) }()
	}
	s.log.Info("serving inbound endpoints", "url", scheme+"://"+ln.Addr().String(), "endpoints", len(s.table.Load().byPath))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down: finishing requests in flight", "grace", s.cfg.Grace)
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.Grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
		return fmt.Errorf("shutdown: requests still running after %s were cut off: %w", s.cfg.Grace, err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// close releases the prepared statements.
func (s *Server) close(t *table) {
	if t != nil {
		for _, e := range t.byPath {
			e.proc.Close()
		}
	}
	s.stmts.Close()
}

// checkPlain refuses plain HTTP on an address other than loopback, unless
// Config.AllowPlainHTTP.
func (s *Server) checkPlain(addr string) error {
	if s.tls != nil || s.cfg.AllowPlainHTTP {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%w: address %q: %v", ErrConfig, addr, err)
	}
	if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%w: %s is not a loopback address, and without TLS credentials and bodies would cross the network in clear: give --tls-cert and --tls-key, listen on 127.0.0.1, or pass --allow-plain-http (behind a TLS proxy)", ErrConfig, addr)
}

// reloadSoon asks the reload loop to read relay.endpoint now.
func (s *Server) reloadSoon() {
	select {
	case s.reload <- struct{}{}:
	default:
	}
}

// reloadLoop reads relay.endpoint every Config.Reload (and when asked),
// and logs an endpoint that cannot serve once per change of its reason.
func (s *Server) reloadLoop(ctx context.Context) {
	tick := time.NewTicker(s.cfg.Reload)
	defer tick.Stop()
	logged := map[string]string{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-s.reload:
		}
		old := s.table.Load()
		t, broken, err := s.load(ctx, old)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("cannot reload endpoints; serving the ones loaded before", "error", err)
			}
			continue
		}
		s.table.Store(t)
		s.retire(old, t)
		now := map[string]string{}
		for _, e := range broken {
			msg := strings.ReplaceAll(e.broken.Error(), "\n", "; ")
			now[e.row.Path] = msg
			if logged[e.row.Path] != msg {
				s.log.Error("endpoint cannot serve", "endpoint", e.row.Path, "error", msg)
			}
		}
		logged = now
	}
}

// forgetLoop deletes idempotency keys older than Config.KeepSeen, every
// minute.
func (s *Server) forgetLoop(ctx context.Context) {
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		n, err := s.in.ForgetSeen(ctx, s.conn.DB, s.cfg.KeepSeen)
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Warn("cannot forget old idempotency keys", "error", err)
		case n > 0:
			s.log.Debug("forgot old idempotency keys", "n", n)
		}
	}
}
