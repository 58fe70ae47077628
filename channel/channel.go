// Package channel defines what the listener hands to a sender and what it
// gets back: one Channel (a row of relay.channel), one Message (a claimed row
// of relay.message) and one Result per attempt. Each kind of channel
// (webhook, internal, …) implements Sender in its own package; the listener
// picks the factory by relay.channel.kind.
//
// Senders classify outcomes; they never decide retries. Backoff, attempt
// counting and dead letters belong to the listener, so every kind behaves
// the same way under failure.
package channel

import (
	"context"
	"encoding/json"
	"time"

	"github.com/dbrelay/dbrelay/secret"
)

// Channel is one endpoint as registered by an integrator in relay.channel.
// Secrets are never stored here: SecretEnv and the *_env keys of Config name
// environment variables of the listener's process.
type Channel struct {
	Code        string          // primary key, e.g. "crm-webhook"
	Kind        string          // "webhook", "email", "sms", "internal"
	Target      string          // URL for webhooks, server address for email
	Config      json.RawMessage // kind-specific JSON (headers, auth, templates)
	SecretEnv   string          // name of the env var holding the signing secret; "" = unsigned
	Enabled     bool            // disabled channels are not delivered to
	MaxAttempts int             // attempts before a message goes dead
	Timeout     time.Duration   // per-attempt timeout
	// RatePerMinute is the most messages the channel may send per minute,
	// over all listeners together (package channel/ratelimit); 0 = no limit.
	RatePerMinute int
}

// Message is one claimed row of relay.message, as a sender sees it.
type Message struct {
	ID        int64
	Key       string // stable idempotency key, sent as webhook-id
	Event     string
	Sender    string
	Receiver  string
	Address   string
	Channel   string
	Title     string
	Body      string
	Payload   json.RawMessage // JSON value or nil
	Ref       string
	CreatedAt time.Time
	Attempt   int // 1 for the first attempt
}

// Outcome classifies one attempt.
type Outcome int

const (
	// Sent means the endpoint accepted the message.
	Sent Outcome = iota
	// Transient means the attempt failed in a way that may succeed later
	// (network error, timeout, 5xx, 408, 425, 429): retry with backoff.
	Transient
	// Permanent means retrying cannot help (other 4xx, a redirect, a
	// malformed message): the message goes dead at once.
	Permanent
	// Deferred means the sender did not try: the message waits, pending,
	// for RetryAfter and its attempt is not counted (a channel over its
	// rate limit, package channel/ratelimit).
	Deferred
)

func (o Outcome) String() string {
	switch o {
	case Sent:
		return "sent"
	case Transient:
		return "transient"
	case Permanent:
		return "permanent"
	case Deferred:
		return "deferred"
	}
	return "unknown"
}

// MaxResponseBody is how much of an endpoint's response is kept in
// relay.message.response_body and relay.delivery: enough to read an error
// page's message, small enough that a chatty endpoint cannot bloat the table.
const MaxResponseBody = 4096

// MaxJSONResponse is how large an endpoint's JSON answer may be and still
// be kept parsed in relay.message.response_json for relay.on_outcome to act
// on (an InfoPlus-style messenger answering formData can pass 4 KiB). A
// larger answer is not kept parsed; its first MaxResponseBody bytes stay
// in response_body as text.
const MaxJSONResponse = 64 << 10

// Result is what one attempt produced.
type Result struct {
	Outcome    Outcome
	StatusCode int    // HTTP status (or kind-specific code); 0 when there was no response
	Body       string // first MaxResponseBody bytes of the response, valid UTF-8, no NUL
	// JSON is the response when it was a JSON object or array of at most
	// MaxJSONResponse bytes, re-encoded so that both databases accept it
	// (see channel.CleanJSON); "" otherwise.
	JSON       string
	Err        string        // why it failed; "" on success
	RetryAfter time.Duration // the endpoint's Retry-After, 0 when absent
	// Audit is the mail audit record of an e-mail attempt that reached an
	// SMTP server; nil for other kinds.
	Audit *MailAudit
}

// Sender delivers messages through one channel. Implementations must be safe
// for concurrent use: the listener calls Send from many workers at once.
//
// A Sender that holds resources (connections, goroutines, files) also
// implements io.Closer. The listener calls Close exactly once, after the
// last Send on it has returned and never concurrently with one: when its
// channel's row changes (a new Sender is built) or is deleted, and when the
// listener stops. Close should finish within a second or two (a stopping
// listener waits at most 2 s for all its senders).
type Sender interface {
	Send(ctx context.Context, m *Message) Result
}

// Factory builds the Sender for one channel. It returns an error when the
// channel's configuration is unusable (bad JSON, a secret env var that is not
// set, or one the operator did not allow), naming the channel and what to
// fix. Secrets are read only through env, the operator's allow-list: a
// channel row names variables, and whoever may write that row must not be
// able to read the listener's other variables (DATABASE_URL…).
type Factory func(ch Channel, env *secret.Env) (Sender, error)
