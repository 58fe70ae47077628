package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/dbrelay/dbrelay/channel/email"
	"github.com/dbrelay/dbrelay/channel/senders"
	"github.com/dbrelay/dbrelay/dialect"
	"github.com/dbrelay/dbrelay/listener"
	"github.com/dbrelay/dbrelay/secret"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"
)

func listenCommand() *cli.Command {
	d := listener.Defaults()
	return &cli.Command{
		Name:  "listen",
		Usage: "deliver pending messages until SIGINT or SIGTERM",
		Description: "Wakes on LISTEN relay_message (PostgreSQL) or polls, claims due messages under a lease, " +
			"delivers them, and writes each outcome back. Run as many as you like against one database.",
		Flags: append(append(databaseFlags(),
			&cli.IntFlag{Name: "workers", Value: d.Workers, EnvVars: []string{"DBRELAY_WORKERS"}, Usage: "deliveries in flight at once"},
			&cli.IntFlag{Name: "batch-size", Value: d.BatchSize, EnvVars: []string{"DBRELAY_BATCH_SIZE"}, Usage: "most messages one claim takes"},
			&cli.DurationFlag{Name: "lease", Value: d.Lease, EnvVars: []string{"DBRELAY_LEASE"}, Usage: "how long a claim is exclusive; a crashed listener's messages are claimed again after it"},
			&cli.DurationFlag{Name: "poll-interval", Value: d.PollInterval, EnvVars: []string{"DBRELAY_POLL_INTERVAL"}, Usage: "longest sleep between claims when idle (the fallback poll with NOTIFY)"},
			&cli.DurationFlag{Name: "poll-min", Value: d.PollMin, EnvVars: []string{"DBRELAY_POLL_MIN"}, Usage: "shortest sleep of adaptive polling (without NOTIFY)"},
			&cli.BoolFlag{Name: "no-notify", EnvVars: []string{"DBRELAY_NO_NOTIFY"}, Usage: "ignore LISTEN/NOTIFY and only poll"},
			&cli.BoolFlag{Name: "durable-claims", Value: !d.AsyncClaims, EnvVars: []string{"DBRELAY_DURABLE_CLAIMS"}, Usage: "PostgreSQL: each claim waits for its WAL flush, so a database crash never forgets a claim already acted on and attempt numbers never repeat; --durable-claims=false is faster, see README \"Durable claims\""},
			&cli.DurationFlag{Name: "linger", Value: d.Linger, EnvVars: []string{"DBRELAY_LINGER"}, Usage: "with NOTIFY: after finding work, keep claiming every --linger-poll for this long before going idle (so a steady flow costs hosts no NOTIFY); negative turns it off"},
			&cli.DurationFlag{Name: "echo-check", Value: 15 * time.Second, EnvVars: []string{"DBRELAY_ECHO_CHECK"}, Usage: "how often to look for channels due their ECHO health check (relay.channel.echo_every_s, docs/events.md); negative turns it off in this listener"},
			&cli.DurationFlag{Name: "linger-poll", Value: d.LingerPoll, EnvVars: []string{"DBRELAY_LINGER_POLL"}, Usage: "how often a lingering listener claims"},
			&cli.DurationFlag{Name: "retry-base", Value: d.RetryBase, EnvVars: []string{"DBRELAY_RETRY_BASE"}, Usage: "delay before the first retry; doubled for each further one"},
			&cli.DurationFlag{Name: "retry-max", Value: d.RetryMax, EnvVars: []string{"DBRELAY_RETRY_MAX"}, Usage: "longest delay between retries"},
			&cli.DurationFlag{Name: "grace", Value: d.Grace, EnvVars: []string{"DBRELAY_GRACE"}, Usage: "on shutdown, how long deliveries in flight may finish; the shutdown ends within about --grace + 3s even when the database does not answer"},
			&cli.StringFlag{Name: "id", EnvVars: []string{"DBRELAY_LISTENER_ID"}, Usage: "this listener's name in locked_by and logs (default host:pid:random)"},
			&cli.StringFlag{Name: "http", EnvVars: []string{"DBRELAY_HTTP"}, Usage: "serve /metrics, /healthz and /readyz on `ADDR` (e.g. 127.0.0.1:9187)"},
			&cli.BoolFlag{Name: "pprof", EnvVars: []string{"DBRELAY_PPROF"}, Usage: "also serve Go's profiler under /debug/pprof/ on --http (keep that address private; /debug/pprof/cmdline is not served)"},
			&cli.StringSliceFlag{Name: "channels", EnvVars: []string{"DBRELAY_CHANNELS"}, Usage: "deliver only the messages of channels `CODE[,CODE]` (default: every channel); others are left to other listeners"},
			&cli.StringSliceFlag{Name: "allow-secret-env", EnvVars: []string{"DBRELAY_ALLOW_SECRET_ENV"}, Usage: "let channels read the secret environment variables `NAME[,NAME]` besides those starting with " + secret.Prefix},
		), logFlags()...),
		OnUsageError: onUsageError,
		Action:       listen,
	}
}

func logFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "log-format", Value: "auto", EnvVars: []string{"DBRELAY_LOG_FORMAT"}, Usage: "text, json, or auto (text on a terminal, json otherwise)"},
		&cli.StringFlag{Name: "log-level", Value: "info", EnvVars: []string{"DBRELAY_LOG_LEVEL"}, Usage: "debug, info, warn or error"},
	}
}

// newLogger builds the slog logger the log flags ask for, writing to w. Every
// message and value goes through redact first: a driver's error or a
// reconnect message may quote the database URL.
func newLogger(c *cli.Context, w io.Writer, redact func(string) string) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.String("log-level"))); err != nil {
		return nil, usagef("--log-level %q: use debug, info, warn or error", c.String("log-level"))
	}
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		return redactAttr(a, redact)
	}}
	switch format := c.String("log-format"); format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "auto":
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			return slog.New(slog.NewTextHandler(w, opts)), nil
		}
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, usagef("--log-format %q: use text, json or auto", format)
	}
}

// checkListenFlags refuses 0 and negative values for the flags where they
// mean nothing, before anything connects. (The listener's configuration
// reads 0 as "the default", which a flag given as 0 must not silently
// become.)
func checkListenFlags(c *cli.Context) error {
	for _, name := range []string{"workers", "batch-size"} {
		if n := c.Int(name); n < 1 {
			return usagef("--%s %d: must be at least 1", name, n)
		}
	}
	d := listener.Defaults()
	for name, def := range map[string]time.Duration{"lease": d.Lease, "poll-interval": d.PollInterval} {
		if v := c.Duration(name); v <= 0 {
			return usagef("--%s %s: must be more than 0 (default %s)", name, v, def)
		}
	}
	if c.Duration("echo-check") == 0 {
		return usagef("--echo-check 0s: give how often to look for channels due an ECHO (default 15s), or a negative value to turn the check off")
	}
	return nil
}

// redactAttr hides passwords in a log attribute's text (strings, errors,
// anything printed with %v), and writes durations as text ("1m0s"), which
// JSON would print as nanoseconds.
func redactAttr(a slog.Attr, redact func(string) string) slog.Attr {
	switch v := a.Value; v.Kind() {
	case slog.KindDuration:
		a.Value = slog.StringValue(v.Duration().String())
	case slog.KindString:
		a.Value = slog.StringValue(redact(v.String()))
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			a.Value = slog.StringValue(redact(x.Error()))
		case fmt.Stringer:
			a.Value = slog.StringValue(redact(x.String()))
		}
	}
	return a
}

func listen(c *cli.Context) error {
	if c.NArg() > 0 {
		return usagef("unexpected argument %q", c.Args().First())
	}
	if err := checkListenFlags(c); err != nil {
		return err
	}
	url, err := databaseURL(c, true)
	if err != nil {
		return err
	}
	log, err := newLogger(c, c.App.ErrWriter, dialect.NewRedactor(url).Redact)
	if err != nil {
		return err
	}
	env, err := secret.New(c.StringSlice("allow-secret-env")...)
	if err != nil {
		return usagef("--allow-secret-env: %v", err)
	}
	conn, err := connectURL(c, url)
	if err != nil {
		return err
	}
	defer conn.Close()
	reg := newRegistry()
	cfg := listener.Config{
		Workers:      c.Int("workers"),
		BatchSize:    c.Int("batch-size"),
		Lease:        c.Duration("lease"),
		PollInterval: c.Duration("poll-interval"),
		PollMin:      c.Duration("poll-min"),
		NoNotify:     c.Bool("no-notify"),
		AsyncClaims:  !c.Bool("durable-claims"),
		Linger:       c.Duration("linger"),
		LingerPoll:   c.Duration("linger-poll"),
		EchoCheck:    c.Duration("echo-check"),
		RetryBase:    c.Duration("retry-base"),
		RetryMax:     c.Duration("retry-max"),
		Grace:        c.Duration("grace"),
		ID:           c.String("id"),
		Logger:       log,
		Senders:      senders.Default(c.Int("workers"), senders.Email(email.Options{Store: dialect.AttachmentSource(conn)})),
		Env:          env,
		Metrics:      listener.NewMetrics(reg, conn),
		Channels:     trimAll(c.StringSlice("channels")),
	}
	l, err := listener.New(c.Context, conn, cfg)
	if errors.Is(err, listener.ErrConfig) {
		return usageError{err}
	}
	if err != nil {
		return err
	}
	if c.Bool("pprof") && c.String("http") == "" {
		return usagef("--pprof needs --http ADDR to serve on")
	}
	stopHTTP, err := serveOps(c, log, conn, reg, c.Bool("pprof"), l.Ready)
	if err != nil {
		return err
	}
	defer stopHTTP()
	if os.Getenv("GOGC") == "" {
		// The listener's heap is small and short-lived (a few MiB of
		// messages in flight); collecting it 4x less often saves ~10% of
		// its CPU for ~35 MiB of RSS during a full drain. GOGC overrides.
		debug.SetGCPercent(400)
	}
	return l.Run(c.Context)
}

// trimAll trims the spaces around each of a list flag's values ("a, b").
func trimAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = strings.TrimSpace(s)
	}
	return out
}

// newRegistry is a Prometheus registry with the Go runtime's and the
// process's collectors, for a long-running command's /metrics.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// serveOps serves /metrics (from reg), /healthz, /readyz (and the profiler
// when withPprof) on --http, when it is set; stop shuts the server down.
func serveOps(c *cli.Context, log *slog.Logger, conn *dialect.Conn, reg *prometheus.Registry, withPprof bool, ready ...func() error) (stop func(), err error) {
	addr := c.String("http")
	if addr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--http %s: %w", addr, err)
	}
	srv := &http.Server{Handler: listener.Handler(conn, reg, withPprof, ready...), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	log.Info("serving /metrics, /healthz and /readyz", "addr", ln.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}, nil
}
