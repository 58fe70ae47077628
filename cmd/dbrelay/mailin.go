package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/dbrelay/dbrelay/dialect"
	"github.com/dbrelay/dbrelay/mailin"
	"github.com/dbrelay/dbrelay/secret"
	"github.com/urfave/cli/v2"
)

func mailInCommand() *cli.Command {
	d := mailin.Defaults()
	return &cli.Command{
		Name:  "mail-in",
		Usage: "store new mail from an IMAP mailbox in relay.inbound_mail until SIGINT or SIGTERM",
		Description: "Reads new mail over IMAP (IDLE where offered), stores each mail and its attachments and calls " +
			"relay.on_mail in one transaction, then flags the mail (or moves it to --done-folder). See docs/mail-in.md.",
		Flags: append(append(databaseFlags(),
			&cli.StringFlag{Name: "imap-server", EnvVars: []string{"DBRELAY_IMAP_SERVER"}, Usage: "the IMAP server, `HOST:PORT` (port 993 with --imap-tls tls, 143 otherwise)"},
			&cli.StringFlag{Name: "imap-tls", Value: d.TLS, EnvVars: []string{"DBRELAY_IMAP_TLS"}, Usage: "tls (implicit, imaps), starttls, or none (only to a loopback address)"},
			&cli.StringFlag{Name: "imap-ca-file", EnvVars: []string{"DBRELAY_IMAP_CA_FILE"}, Usage: "PEM `FILE` of the CAs to trust for the server's certificate (default: the system's)"},
			&cli.StringFlag{Name: "imap-user", EnvVars: []string{"DBRELAY_IMAP_USER"}, Usage: "the mailbox's login"},
			&cli.StringFlag{Name: "imap-password-env", Value: "DBRELAY_SECRET_IMAP_PASSWORD", EnvVars: []string{"DBRELAY_IMAP_PASSWORD_ENV"}, Usage: "the environment variable holding the password (a name starting with DBRELAY_SECRET_, or one allowed with --allow-secret-env)"},
			&cli.StringSliceFlag{Name: "allow-secret-env", EnvVars: []string{"DBRELAY_ALLOW_SECRET_ENV"}, Usage: "also allow reading secrets from this environment variable `NAME` (repeat, or separate with commas)"},
			&cli.StringFlag{Name: "mailbox", Value: d.Mailbox, EnvVars: []string{"DBRELAY_IMAP_MAILBOX"}, Usage: "the folder to read"},
			&cli.StringFlag{Name: "done-folder", EnvVars: []string{"DBRELAY_MAIL_DONE_FOLDER"}, Usage: "move each stored mail to this folder (created when missing) instead of flagging it"},
			&cli.StringFlag{Name: "done-flag", Value: d.DoneFlag, EnvVars: []string{"DBRELAY_MAIL_DONE_FLAG"}, Usage: "the flag set on each stored mail (without --done-folder); mail without it is new"},
			&cli.DurationFlag{Name: "poll-interval", Value: d.PollInterval, EnvVars: []string{"DBRELAY_MAIL_POLL_INTERVAL"}, Usage: "how often to search the mailbox; with IDLE new mail is read at once, and this only catches what was missed"},
			&cli.BoolFlag{Name: "no-idle", EnvVars: []string{"DBRELAY_MAIL_NO_IDLE"}, Usage: "poll only, even when the server offers IDLE"},
			&cli.StringFlag{Name: "attachment-max", Value: "10MiB", EnvVars: []string{"DBRELAY_MAIL_ATTACHMENT_MAX"}, Usage: "largest attachment whose content is stored (larger: name, type, size and hash only)"},
			&cli.StringFlag{Name: "mail-max", Value: "25MiB", EnvVars: []string{"DBRELAY_MAIL_MAX"}, Usage: "largest mail read whole (larger: stored from its header, with parse_error saying so)"},
			&cli.StringFlag{Name: "http", EnvVars: []string{"DBRELAY_HTTP"}, Usage: "serve /metrics, /healthz and /readyz on `ADDR` (e.g. 127.0.0.1:9188)"},
		), logFlags()...),
		OnUsageError: onUsageError,
		Action:       mailIn,
	}
}

func mailIn(c *cli.Context) error {
	if c.NArg() > 0 {
		return usagef("unexpected argument %q", c.Args().First())
	}
	url, err := databaseURL(c, true)
	if err != nil {
		return err
	}
	log, err := newLogger(c, c.App.ErrWriter, dialect.NewRedactor(url).Redact)
	if err != nil {
		return err
	}
	cfg, err := mailInConfig(c)
	if err != nil {
		return err
	}
	cfg.Logger = log
	conn, err := connectURL(c, url)
	if err != nil {
		return err
	}
	defer conn.Close()
	reg := newRegistry()
	cfg.Metrics = mailin.NewMetrics(reg)
	reader, err := mailin.New(c.Context, conn, cfg)
	if errors.Is(err, mailin.ErrConfig) {
		return usageError{err}
	}
	if err != nil {
		return err
	}
	stopHTTP, err := serveOps(c, log, conn, reg, false)
	if err != nil {
		return err
	}
	defer stopHTTP()
	return reader.Run(c.Context)
}

// mailInConfig reads the flags; the password comes from an environment
// variable the operator allowed, never from a flag.
func mailInConfig(c *cli.Context) (mailin.Config, error) {
	cfg := mailin.Config{
		Server:       c.String("imap-server"),
		TLS:          c.String("imap-tls"),
		User:         c.String("imap-user"),
		Mailbox:      c.String("mailbox"),
		DoneFolder:   c.String("done-folder"),
		PollInterval: c.Duration("poll-interval"),
		NoIdle:       c.Bool("no-idle"),
	}
	if c.IsSet("done-flag") || cfg.DoneFolder == "" {
		if c.IsSet("done-flag") && cfg.DoneFolder != "" {
			return cfg, usagef("--done-flag and --done-folder: choose one (a stored mail is either flagged or moved)")
		}
		cfg.DoneFlag = c.String("done-flag")
	}
	var err error
	if cfg.AttachmentMax, err = parseSize("--attachment-max", c.String("attachment-max")); err != nil {
		return cfg, err
	}
	if cfg.MailMax, err = parseSize("--mail-max", c.String("mail-max")); err != nil {
		return cfg, err
	}
	if file := c.String("imap-ca-file"); file != "" {
		pem, err := os.ReadFile(file)
		if err != nil {
			return cfg, fmt.Errorf("--imap-ca-file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return cfg, usagef("--imap-ca-file %s holds no PEM certificate", file)
		}
		cfg.TLSConfig = &tls.Config{RootCAs: pool}
	}
	env, err := secret.New(c.StringSlice("allow-secret-env")...)
	if err != nil {
		return cfg, usageError{err}
	}
	if cfg.Password, err = env.Get(c.String("imap-password-env")); err != nil {
		return cfg, usagef("IMAP password (--imap-password-env): %v", err)
	}
	return cfg, nil
}

// parseSize reads a byte count: 1048576, 512KiB, 10MiB, 1GiB (or KB, MB,
// GB as powers of 1000).
func parseSize(flag, s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	num, mult := strings.TrimSpace(s), int64(1)
	for _, u := range units {
		if strings.HasSuffix(num, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(num, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || n > (1<<40)/mult {
		return 0, usagef("%s %q: write a positive size such as 10MiB, 512KiB or 1048576", flag, s)
	}
	return n * mult, nil
}
