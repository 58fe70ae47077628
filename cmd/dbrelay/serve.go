package main

import (
	"errors"
	"github.com/dbrelay/dbrelay/dialect"

	"github.com/dbrelay/dbrelay/inbound"
	"github.com/dbrelay/dbrelay/secret"
	"github.com/urfave/cli/v2"
)

func serveCommand() *cli.Command {
	d := inbound.Defaults()
	return &cli.Command{
		Name:  "serve",
		Usage: "let other systems call allow-listed procedures over HTTP, until SIGINT or SIGTERM",
		Description: "Serves the endpoints of relay.endpoint (see 'dbrelay endpoint'): each POST is authenticated, recorded in " +
			"relay.inbound and passed to its endpoint's procedure in one transaction. docs/inbound.md has the details.",
		Flags: append(append(databaseFlags(),
			&cli.StringFlag{Name: "addr", Value: d.Addr, EnvVars: []string{"DBRELAY_SERVE_ADDR"}, Usage: "listen on `ADDR`; without TLS only a loopback address, unless --allow-plain-http"},
			&cli.StringFlag{Name: "tls-cert", EnvVars: []string{"DBRELAY_TLS_CERT"}, Usage: "serve HTTPS with this PEM certificate `FILE` (chain included)"},
			&cli.StringFlag{Name: "tls-key", EnvVars: []string{"DBRELAY_TLS_KEY"}, Usage: "the PEM private key `FILE` of --tls-cert"},
			&cli.BoolFlag{Name: "allow-plain-http", EnvVars: []string{"DBRELAY_ALLOW_PLAIN_HTTP"}, Usage: "allow plain HTTP on a non-loopback address (behind a proxy that terminates TLS)"},
			&cli.StringSliceFlag{Name: "allow-secret-env", EnvVars: []string{"DBRELAY_ALLOW_SECRET_ENV"}, Usage: "environment variables relay.endpoint.secret_env may name besides DBRELAY_SECRET_* (repeat, or separate with commas)"},
			&cli.DurationFlag{Name: "tolerance", Value: d.Tolerance, EnvVars: []string{"DBRELAY_TOLERANCE"}, Usage: "how far a webhook-timestamp may be from this clock (and how long a Digest nonce lives)"},
			&cli.DurationFlag{Name: "keep-seen", Value: d.KeepSeen, EnvVars: []string{"DBRELAY_KEEP_SEEN"}, Usage: "how long idempotency keys are remembered (a replay within it gets the first answer)"},
			&cli.DurationFlag{Name: "reload", Value: d.Reload, EnvVars: []string{"DBRELAY_RELOAD"}, Usage: "how often relay.endpoint is read again"},
			&cli.DurationFlag{Name: "timeout", Value: d.Timeout, EnvVars: []string{"DBRELAY_TIMEOUT"}, Usage: "longest database work of one request"},
			&cli.DurationFlag{Name: "grace", Value: d.Grace, EnvVars: []string{"DBRELAY_GRACE"}, Usage: "on shutdown, how long requests in flight may finish"},
			&cli.IntFlag{Name: "connections", Value: d.Connections, EnvVars: []string{"DBRELAY_CONNECTIONS"}, Usage: "most database connections (and so requests in the database at once)"},
			&cli.StringFlag{Name: "realm", Value: d.Realm, EnvVars: []string{"DBRELAY_REALM"}, Usage: "realm of the Basic and Digest challenges (Digest credentials depend on it)"},
			&cli.StringFlag{Name: "http", EnvVars: []string{"DBRELAY_HTTP"}, Usage: "serve /metrics, /healthz and /readyz on `ADDR` (keep it private: it is not the endpoints' address)"},
			&cli.BoolFlag{Name: "pprof", EnvVars: []string{"DBRELAY_PPROF"}, Usage: "also serve Go's profiler under /debug/pprof/ on --http"},
		), logFlags()...),
		OnUsageError: onUsageError,
		Action:       serve,
	}
}

func serve(c *cli.Context) error {
	if c.NArg() > 0 {
		return usagef("unexpected argument %q", c.Args().First())
	}
	if c.Bool("pprof") && c.String("http") == "" {
		return usagef("--pprof needs --http ADDR to serve on")
	}
	url, err := databaseURL(c, true)
	if err != nil {
		return err
	}
	log, err := newLogger(c, c.App.ErrWriter, dialect.NewRedactor(url).Redact)
	if err != nil {
		return err
	}
	secrets, err := secret.New(c.StringSlice("allow-secret-env")...)
	if err != nil {
		return usagef("--allow-secret-env: %v", err)
	}
	conn, err := connectURL(c, url)
	if err != nil {
		return err
	}
	defer conn.Close()
	reg := newRegistry()
	srv, err := inbound.New(c.Context, conn, inbound.Config{
		Addr:           c.String("addr"),
		TLSCert:        c.String("tls-cert"),
		TLSKey:         c.String("tls-key"),
		AllowPlainHTTP: c.Bool("allow-plain-http"),
		Tolerance:      c.Duration("tolerance"),
		KeepSeen:       c.Duration("keep-seen"),
		Reload:         c.Duration("reload"),
		Timeout:        c.Duration("timeout"),
		Grace:          c.Duration("grace"),
		Connections:    c.Int("connections"),
		Realm:          c.String("realm"),
		Secrets:        secrets,
		Logger:         log,
		Metrics:        inbound.NewMetrics(reg),
	})
	if errors.Is(err, inbound.ErrConfig) {
		return usageError{err}
	}
	if err != nil {
		return err
	}
	stopHTTP, err := serveOps(c, log, conn, reg, c.Bool("pprof"))
	if err != nil {
		return err
	}
	defer stopHTTP()
	err = srv.Run(c.Context)
	if errors.Is(err, inbound.ErrConfig) {
		return usageError{err}
	}
	return err
}
