package inbound

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/dbrelay/dbrelay/secret"
	"github.com/dbrelay/dbrelay/webhooksig"
)

// Config tunes serve. Zero values mean "use the default"; defaults are
// applied in one place, withDefaults.
type Config struct {
	// Addr is where to listen (default 127.0.0.1:8080).
	Addr string
	// TLSCert and TLSKey are PEM files; with them serve speaks HTTPS only.
	TLSCert, TLSKey string
	// AllowPlainHTTP allows plain HTTP on an address other than loopback.
	// Without TLS, credentials and bodies cross the network in clear, so
	// serve refuses that unless told otherwise (say, behind a proxy that
	// terminates TLS on the same host or network).
	AllowPlainHTTP bool
	// Tolerance is how far a webhook-timestamp (and a Digest nonce's age)
	// may be from serve's clock (default 5m).
	Tolerance time.Duration
	// KeepSeen is how long idempotency keys are remembered (default 24h;
	// at least Tolerance, so that a signed webhook can never be replayed
	// after its key was forgotten).
	KeepSeen time.Duration
	// Reload is how often relay.endpoint is read again (default 5s). A
	// disabled endpoint is refused at once anyway: each request's
	// transaction checks that its endpoint is still enabled.
	Reload time.Duration
	// Timeout bounds one request's database work (default 30s).
	Timeout time.Duration
	// Grace is how long a shutdown waits for requests in flight (default 10s).
	Grace time.Duration
	// Connections is the most database connections serve uses (default
	// 16), all kept open: each request's transaction holds one, so it
	// bounds the requests in the database at once (the others wait for a
	// connection), and a pool that closed them would make PostgreSQL fork a
	// backend for each request under load.
	Connections int
	// Realm is the realm of Basic and Digest challenges (default "dbrelay");
	// Digest callers' credentials depend on it.
	Realm string
	// Secrets resolves relay.endpoint.secret_env (default: secret.New(),
	// the DBRELAY_SECRET_ prefix only).
	Secrets *secret.Env
	// Logger receives serve's logs (default slog.Default()).
	Logger *slog.Logger
	// Metrics, when set, counts requests by endpoint and outcome.
	Metrics *Metrics
}

// Defaults returns the default configuration (for flags' help texts).
func Defaults() Config { return Config{}.applyDefaults() }

func (c Config) applyDefaults() Config {
	defDur := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	defDur(&c.Tolerance, webhooksig.DefaultTolerance)
	defDur(&c.KeepSeen, 24*time.Hour)
	defDur(&c.Reload, 5*time.Second)
	defDur(&c.Timeout, 30*time.Second)
	defDur(&c.Grace, 10*time.Second)
	if c.Connections == 0 {
		c.Connections = 16
	}
	if c.Realm == "" {
		c.Realm = "dbrelay"
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// ErrConfig marks an unusable configuration.
var ErrConfig = errors.New("serve configuration")

func (c Config) withDefaults() (Config, error) {
	c = c.applyDefaults()
	if c.Secrets == nil {
		env, err := secret.New()
		if err != nil {
			return c, err
		}
		c.Secrets = env
	}
	var err error
	switch {
	case (c.TLSCert == "") != (c.TLSKey == ""):
		err = errors.New("TLS needs both a certificate and a key file (--tls-cert and --tls-key)")
	case c.Tolerance < time.Second:
		err = errors.New("tolerance must be at least 1s")
	case c.KeepSeen < c.Tolerance:
		err = errors.New("keep-seen must be at least the tolerance: a webhook replayed within the tolerance must still find its key")
	case c.Reload < 100*time.Millisecond:
		err = errors.New("reload must be at least 100ms")
	case c.Timeout < 100*time.Millisecond:
		err = errors.New("timeout must be at least 100ms")
	case c.Grace < 0:
		err = errors.New("grace must not be negative")
	case c.Connections < 2 || c.Connections > 1000:
		err = errors.New("connections must be between 2 and 1000")
	case !validRealm(c.Realm):
		err = errors.New("realm must be printable ASCII without quotes or backslashes")
	}
	if err != nil {
		return c, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	return c, nil
}

func validRealm(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e || s[i] == '"' || s[i] == '\\' {
			return false
		}
	}
	return s != ""
}
