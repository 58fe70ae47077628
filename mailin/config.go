package mailin

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"regexp"
	"strings"
	"time"
)

// TLS modes of Config.TLS.
const (
	TLSImplicit = "tls"      // TLS from the first byte (imaps, port 993)
	TLSStart    = "starttls" // plain connection upgraded with STARTTLS (port 143)
	TLSNone     = "none"     // no TLS: only to a server on a loopback address
)

// DefaultDoneFlag is the keyword set on a mail once it is stored, when no
// done folder is configured.
const DefaultDoneFlag = "DbrelayStored"

// Config tunes a mail-in reader. Zero values mean "use the default";
// defaults are applied in one place, applyDefaults, and documented on each
// field.
type Config struct {
	// Server is the IMAP server, host:port. Without a port: 993 with
	// TLSImplicit, 143 otherwise.
	Server string
	// TLS is TLSImplicit (default), TLSStart or TLSNone. TLSNone sends the
	// password in clear, so it is refused unless Server is a loopback
	// address.
	TLS string
	// TLSConfig verifies the server (nil: the system's roots, and Server's
	// host as the name).
	TLSConfig *tls.Config
	// User and Password log in (AUTHENTICATE PLAIN when the server offers
	// it, else LOGIN). The command line reads the password from an
	// environment variable the operator allowed (package secret).
	User, Password string
	// Mailbox is the folder read (default INBOX).
	Mailbox string
	// DoneFolder, when set, is where a mail is moved once stored (created
	// when missing). Otherwise the mail stays and gets DoneFlag.
	DoneFolder string
	// DoneFlag is the flag set on a stored mail when DoneFolder is empty
	// (default DefaultDoneFlag, a keyword; \Seen also works, but then a
	// person reading the mailbox hides new mail from mail-in). Mail without
	// it is new.
	DoneFlag string
	// PollInterval is how often the mailbox is searched for new mail
	// (default 60s). With IDLE (when the server offers it and NoIdle is
	// off) new mail is read as soon as the server announces it, and the
	// poll only catches what an announcement missed.
	PollInterval time.Duration
	// NoIdle polls only, even when the server offers IDLE.
	NoIdle bool
	// AttachmentMax is the largest attachment whose content is stored
	// (default 10 MiB); a larger one keeps its name, type, size and hash.
	AttachmentMax int64
	// MailMax is the largest mail read whole (default 25 MiB). A larger one
	// is stored from its header alone, with parse_error saying so.
	MailMax int64
	// Logger receives the reader's logs (default slog.Default()).
	Logger *slog.Logger
	// Metrics, when set, counts mails by outcome.
	Metrics *Metrics

	// afterStore, in tests, runs after a mail's transaction committed (not
	// after a duplicate, which commits nothing) and before the mail is
	// flagged or moved.
	afterStore func()
}

// ErrConfig marks a configuration error (a usage error on the command line).
var ErrConfig = errors.New("mail-in configuration")

// Defaults returns the default configuration (for flags' help texts).
func Defaults() Config { return Config{}.applyDefaults() }

func (c Config) applyDefaults() Config {
	if c.TLS == "" {
		c.TLS = TLSImplicit
	}
	if c.Mailbox == "" {
		c.Mailbox = "INBOX"
	}
	if c.DoneFlag == "" && c.DoneFolder == "" {
		c.DoneFlag = DefaultDoneFlag
	}
	if c.PollInterval == 0 {
		c.PollInterval = time.Minute
	}
	if c.AttachmentMax == 0 {
		c.AttachmentMax = 10 << 20
	}
	if c.MailMax == 0 {
		c.MailMax = 25 << 20
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Server != "" {
		if _, _, err := net.SplitHostPort(c.Server); err != nil {
			port := "143"
			if c.TLS == TLSImplicit {
				port = "993"
			}
			c.Server = net.JoinHostPort(strings.Trim(c.Server, "[]"), port)
		}
	}
	return c
}

// keywordRe is an IMAP flag mail-in may set: a system flag or a keyword
// (an atom: no spaces, parentheses, quotes, wildcards or backslashes).
var keywordRe = regexp.MustCompile(`^(\\(Seen|Flagged|Answered|Draft)|[A-Za-z0-9$_.+:-]+)$`)

func (c Config) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...)
	}
	switch {
	case c.Server == "":
		return bad("no IMAP server: set --imap-server host:port")
	case c.User == "":
		return bad("no IMAP user: set --imap-user")
	case c.Password == "":
		return bad("no IMAP password: set the environment variable --imap-password-env names")
	case c.TLS != TLSImplicit && c.TLS != TLSStart && c.TLS != TLSNone:
		return bad("--imap-tls %q: use tls, starttls or none", c.TLS)
	case c.TLS == TLSNone && !loopback(c.Server):
		return bad("--imap-tls none would send the password in clear to %s: use tls or starttls (none is allowed only to a loopback address)", c.Server)
	case c.DoneFolder != "" && c.DoneFolder == c.Mailbox:
		return bad("--done-folder %q is the mailbox read: name another folder", c.DoneFolder)
	case c.DoneFolder == "" && !keywordRe.MatchString(c.DoneFlag):
		return bad("--done-flag %q: use a keyword (letters, digits, $_.+:-) or \\Seen, \\Flagged, \\Answered", c.DoneFlag)
	case c.PollInterval < time.Second:
		return bad("--poll-interval %s: at least 1s", c.PollInterval)
	case c.AttachmentMax < 0 || c.MailMax < 1024:
		return bad("--attachment-max must be positive and --mail-max at least 1KiB")
	}
	return nil
}

func loopback(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
