package listener

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/dbrelay/dbrelay/channel"
	"github.com/dbrelay/dbrelay/secret"
)

// Config tunes a listener. Zero values mean "use the default"; defaults are
// applied in one place, withDefaults, and documented on each field.
type Config struct {
	// Workers is how many deliveries run at once (default 32). It bounds the
	// load on endpoints, not on the database: claims and write-backs are
	// batched whatever the number of workers.
	Workers int
	// BatchSize is the most messages one claim takes (default 100). A
	// listener holds at most Workers+BatchSize messages at a time, so a
	// crashed listener strands at most that many until their lease ends.
	BatchSize int
	// Lease is how long a claim is exclusive (default 60s). A listener that
	// dies leaves its messages to be claimed again when the lease ends. A
	// live listener renews the leases of the messages it holds every
	// Lease/4, so a message may wait and run longer than the lease; what
	// the lease bounds is how long the database may stay unreachable before
	// held messages are given back unsent (or, already sent, claimed again).
	Lease time.Duration
	// PollInterval is the longest a drained listener sleeps before claiming
	// again (default 2s). With notifications (PostgreSQL) it is the fallback
	// poll: a lost NOTIFY delays a message by at most this long. Without
	// them (SQL Server, or NoNotify) polling is adaptive: it starts at
	// PollMin after a claim that found work and doubles while claims come
	// back empty, up to PollInterval.
	PollInterval time.Duration
	// PollMin is the first, shortest sleep of adaptive polling (default
	// 50ms). Lower means lower latency and more idle queries.
	PollMin time.Duration
	// NoNotify ignores the database's notifications and only polls.
	NoNotify bool
	// AsyncClaims lets claims commit without waiting for their WAL flush
	// (PostgreSQL): faster, but a database crash may forget a claim the
	// listener already acted on, so the same attempt number can reach an
	// endpoint twice. Default false: claims are durable (README, "Durable
	// claims").
	AsyncClaims bool
	// Linger is how long a listener with notifications stays busy after
	// its last claim that found work, claiming every LingerPoll, before it
	// records itself idle (default 20ms). Under a steady flow of messages it
	// so never goes idle, and hosts' inserts never pay for a NOTIFY; only a
	// listener that has really run dry waits for one. 0 uses the default;
	// a negative value turns lingering off.
	Linger time.Duration
	// LingerPoll is how often a lingering listener claims (default 1ms).
	LingerPoll time.Duration
	// RetryBase is the delay before the first retry (default 1s); each
	// further retry doubles it, with ±20% jitter, up to RetryMax.
	RetryBase time.Duration
	// RetryMax caps the backoff (default 1h). An endpoint's Retry-After is
	// honoured even beyond it (up to 24h).
	RetryMax time.Duration
	// Grace is how long a shutdown waits for deliveries in flight (default
	// 10s) before interrupting them; claimed messages not yet started are
	// released at once.
	Grace time.Duration
	// ID names this listener in relay.message.locked_by and the logs
	// (default hostname:pid:random).
	ID string
	// Logger receives the listener's logs (default slog.Default()).
	Logger *slog.Logger
	// Senders maps relay.channel.kind to the factory building its sender.
	// Messages of a kind without a factory stay pending, with last_error
	// saying so, until a listener that has one comes along.
	Senders map[string]channel.Factory
	// Env resolves the environment variables channels name for their
	// secrets, only those the operator allowed (default: the process
	// environment, names starting with secret.Prefix). A channel naming
	// another variable cannot deliver; its messages wait.
	Env *secret.Env
	// EchoCheck is how often the listener looks for channels due an ECHO
	// health check (relay.channel.echo_every_s; relay.echo_due), default
	// 15s; negative turns the check off in this listener.
	EchoCheck time.Duration
	// Metrics, when set, is updated as messages are claimed and finished.
	Metrics *Metrics
	// Channels, when not empty, limits the listener to these channels'
	// messages (listen --channels): it claims no others, and reports the
	// health of these only. Each must be a channel code of relay.channel.
	Channels []string
	// Observe, when set, is called after every attempt (from the worker
	// that made it): the demo prints deliveries with it.
	Observe func(Attempt)
}

// Attempt describes one delivery attempt and what the listener decided.
type Attempt struct {
	Message  *channel.Message
	Result   channel.Result
	Status   string        // the message's new status: sent, pending (retry) or dead
	RetryIn  time.Duration // with pending
	Duration time.Duration
}

// Defaults returns the default configuration (for flags' help texts).
func Defaults() Config { return Config{}.applyDefaults() }

// withDefaults fills in the defaults and validates the result.
func (c Config) withDefaults() (Config, error) {
	c = c.applyDefaults()
	return c, c.validate()
}

func (c Config) applyDefaults() Config {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.Workers, 32)
	def(&c.BatchSize, 100)
	defDur(&c.Lease, 60*time.Second)
	defDur(&c.PollInterval, 2*time.Second)
	defDur(&c.PollMin, 50*time.Millisecond)
	defDur(&c.Linger, 20*time.Millisecond)
	defDur(&c.LingerPoll, time.Millisecond)
	defDur(&c.RetryBase, time.Second)
	defDur(&c.RetryMax, time.Hour)
	defDur(&c.Grace, 10*time.Second)
	defDur(&c.EchoCheck, 15*time.Second)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Env == nil {
		c.Env, _ = secret.New() // no names to check: cannot fail
	}
	if c.ID == "" {
		host, _ := os.Hostname()
		b := make([]byte, 3)
		rand.Read(b)
		c.ID = fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b))
	}
	return c
}

// validate returns one error naming the first unusable field.
func (c Config) validate() error {
	switch {
	case c.Workers < 1 || c.Workers > 10000:
		return errors.New("workers must be between 1 and 10000")
	case c.BatchSize < 1 || c.BatchSize > 5000:
		return errors.New("batch size must be between 1 and 5000")
	case c.Lease < time.Second:
		return errors.New("lease must be at least 1s")
	case c.PollInterval < time.Millisecond:
		return errors.New("poll interval must be at least 1ms")
	case c.PollMin < time.Millisecond || c.PollMin > c.PollInterval:
		return errors.New("the minimum poll interval must be at least 1ms and no more than the poll interval")
	case c.RetryBase < time.Millisecond || c.RetryMax < c.RetryBase:
		return errors.New("retry base must be at least 1ms and no more than the retry maximum")
	case c.Grace < 0:
		return errors.New("grace must not be negative")
	case len(c.Senders) == 0:
		return errors.New("no senders configured")
	}
	seen := map[string]bool{}
	for _, code := range c.Channels {
		if strings.TrimSpace(code) == "" || seen[code] {
			return fmt.Errorf("channels: %q is empty or named twice; give distinct channel codes, comma-separated", code)
		}
		seen[code] = true
	}
	return nil
}
