// Package dialect is the seam between dbrelay's database-neutral code (the
// schema applier, the listener, the command line) and each database. A
// Dialect owns every SQL statement for its database; the rest of dbrelay
// never writes SQL. Adding a database means one new package under dialect/.
//
// Implementations: dialect/postgres and dialect/sqlserver. They register
// themselves by URL scheme; Open picks one from a dburl-style URL.
package dialect

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"time"

	"github.com/dbrelay/dbrelay/channel"
	"github.com/dbrelay/dbrelay/channel/ratelimit"
	"github.com/golang-migrate/migrate/v4/database"
)

// Dialect is everything that differs between databases. Methods taking a
// Querier work inside or outside a transaction.
type Dialect interface {
	// Name is the directory name of this dialect's SQL: "postgres" or
	// "sqlserver" (sql/<name>, procedures/<name>, …).
	Name() string

	Schema
	Admin
	Hooks
	Health

	// NewQueue prepares the listener's statements. It may open connections
	// of its own from conn.DSN (with session settings suited to the
	// listener); Queue.Close closes them.
	NewQueue(ctx context.Context, conn *Conn, opts QueueOptions) (Queue, error)

	// Explain turns a driver error into one a user can act on (naming
	// what was wrong and what to do), keeping the original wrapped. It
	// returns err unchanged when it has nothing to add.
	Explain(err error) error
}

// Schema is what the applier needs: golang-migrate's driver, the migration
// version, and the repeatable objects' catalog.
type Schema interface {
	// MigrationDriver returns golang-migrate's driver for db with the
	// version table in schema relay, creating that schema first if needed.
	MigrationDriver(ctx context.Context, db *sql.DB) (database.Driver, error)
	// AfterDown removes what the down migrations cannot (the version table
	// and schema relay itself) once every down migration has run, in the
	// same transaction.
	AfterDown(ctx context.Context, q Querier) error
	// MigrationVersion reads the version table without taking golang-migrate's
	// lock. ok is false when dbrelay was never installed. version is -1
	// when a first migration (or the last down migration) failed half-way
	// and left the table marked dirty with no version.
	MigrationVersion(ctx context.Context, q Querier) (version int, dirty, ok bool, err error)
	// Batches splits one object file into the statements to execute in
	// order (PostgreSQL: the whole file; SQL Server: split on GO).
	Batches(file string) ([]string, error)
	// BeginObjects starts the transaction in which object files are applied,
	// holding a lock so two `migrate up` cannot interleave.
	BeginObjects(ctx context.Context, db *sql.DB) (*sql.Tx, error)
	// Definition returns the database's current definition of an object,
	// as text that changes when the object is replaced or altered (and only
	// then: the same object applied again gives the same text); ok is
	// false when the object does not exist.
	Definition(ctx context.Context, q Querier, obj Object) (def string, ok bool, err error)
	// DDL returns the database's current definition of an object as
	// statements that create it again (for the history of replaced
	// definitions and for `migrate diff`); ok is false when it does not
	// exist.
	DDL(ctx context.Context, q Querier, obj Object) (ddl string, ok bool, err error)
	// RecordObject and RecordedObjects keep relay.schema_object.
	RecordObject(ctx context.Context, q Querier, rec ObjectRecord) error
	RecordedObjects(ctx context.Context, q Querier) ([]ObjectRecord, error)
	// SaveReplaced keeps a definition that `migrate up` is about to replace
	// in relay.schema_object_history and returns the row's id.
	SaveReplaced(ctx context.Context, q Querier, r Replaced) (id int64, err error)
}

// Admin is what the command line does besides migrating and listening.
type Admin interface {
	// Push calls relay.push in its own transaction and returns the ids of
	// the messages it enqueued.
	Push(ctx context.Context, db *sql.DB, sender, receivers, title, context string) ([]int64, error)
	// Retry sets the given messages back to pending and due now, keeping
	// their attempts, and returns the ids it changed. Only dead, cancelled
	// and pending messages are retried; sent and in-flight ones are left.
	Retry(ctx context.Context, db *sql.DB, ids []int64) ([]int64, error)
	// RetryDead does the same for every dead message (of one channel when
	// channel is not "").
	RetryDead(ctx context.Context, db *sql.DB, channel string) ([]int64, error)
	// Counts returns message counts by channel and status.
	Counts(ctx context.Context, db *sql.DB) ([]Count, error)
	// Backlog returns the number of due messages and how long the oldest of
	// them has been due.
	Backlog(ctx context.Context, db *sql.DB) (Backlog, error)
	// HookFailures sums up relay_api.hook_failures by hook, in hook order.
	HookFailures(ctx context.Context, db *sql.DB) ([]HookFailures, error)
}

// Health is relay.channel_health (migration 10): each listener's view of
// whether it can deliver on each channel, shown by relay_api.channel_stats,
// `dbrelay status` and the listener's metrics.
type Health interface {
	// ReportHealth replaces listener's rows of relay.channel_health with hs,
	// in one transaction, and deletes rows no listener wrote for a day.
	ReportHealth(ctx context.Context, db *sql.DB, listener string, hs []ChannelHealth) error
	// ForgetHealth deletes listener's rows (when it stops).
	ForgetHealth(ctx context.Context, db *sql.DB, listener string) error
	// Waiting counts the messages of each channel that are not in a final
	// state (pending or sending), from the due index.
	Waiting(ctx context.Context, db *sql.DB) (map[string]int64, error)
	// ChannelStats reads relay_api.channel_stats.
	ChannelStats(ctx context.Context, db *sql.DB) ([]ChannelStat, error)
}

// ChannelHealth is one listener's view of one channel.
type ChannelHealth struct {
	Channel     string
	Up          bool      // the listener can deliver on it now
	Reason      string    // why not: naming no secret, variable or config value
	ParkedUntil time.Time // zero unless parked (its endpoint did not answer)
}

// ChannelStat is a row of relay_api.channel_stats.
type ChannelStat struct {
	Channel, Kind                           string
	Enabled                                 bool
	Pending, Sending, Sent, Dead, Cancelled int64
	// Up is nil when no listener reported on the channel in the last
	// minute; Reason says why a listener cannot deliver on it.
	Up          *bool
	Reason      string
	ParkedUntil *time.Time
	Waiting     int64
}

// Queue is the listener's hot path. One Queue per listener process; it is
// safe for concurrent use.
type Queue interface {
	// Claim leases up to n due messages for lease, marking them sending
	// under token (unique per claim: the fence of their write-back), and
	// returns them oldest due first. The statement is sent once: a driver
	// must not run it again on its own after a lost reply (database/sql does
	// on driver.ErrBadConn), since a second run would take more rows under
	// the same token. After an error, call Unclaim with the token.
	//
	// A message bigger than relay.settings.max_message_bytes comes back
	// with Oversize set and without its title, body and payload, so the
	// listener's memory stays bounded whatever the table holds.
	//
	// deferrals are channels the listener cannot run now (parked, or all
	// their share of workers busy: listener/dispatch.go). Their due
	// messages that the claim meets are not taken but moved on (see
	// Deferral); they count against n, and deferred says how many there
	// were, so that claimed+deferred == n means more may be due.
	Claim(ctx context.Context, token string, n int, lease time.Duration, deferrals []Deferral) (claimed []Claimed, deferred int, err error)
	// Unclaim gives back every message still held under token (a claim whose
	// reply was lost may have committed): pending and due now, the claim's
	// attempt given back. It returns how many it gave back.
	Unclaim(ctx context.Context, token string) (int64, error)
	// Renew extends the lease of every held message still claimed under its
	// token to lease from now, in one statement, and returns those it
	// extended. A message it does not return is no longer this claim's: its
	// lease ran out and it was claimed again, it was finished, or deleted.
	Renew(ctx context.Context, held []Held, lease time.Duration) (renewed []Held, err error)
	// Finish writes back a batch of outcomes in one statement and one
	// transaction, each fenced by id and claim token, and records every
	// attempt in relay.delivery once: it is idempotent, so running it again
	// after a lost reply changes nothing and reports the same. It returns
	// each outcome's Fate, in the order of outs.
	Finish(ctx context.Context, outs []Outcome) ([]Fate, error)
	// DeferDue moves on, in one statement, every due message of the
	// deferrals' channels (as Claim does with those it meets) and returns
	// how many. It reads every due message to find them, so the listener
	// calls it only when its claims keep meeting many of them: then one
	// statement beside the claims does what would otherwise take a share
	// of every claim.
	DeferDue(ctx context.Context, deferrals []Deferral) (int64, error)
	// Channels loads relay.channel.
	Channels(ctx context.Context) ([]channel.Channel, error)
	// OnlyChannels makes Claim take only messages of these channels
	// (`listen --channels`); none, the default, means every channel. Call
	// it before the first Claim.
	OnlyChannels(codes []string)
	// Schedule reserves slots of rate-limited channels in
	// relay.channel_rate (package channel/ratelimit).
	ratelimit.Schedule
	// Close releases prepared statements.
	Close() error
}

// Deferral is a channel whose due messages a claim moves on instead of
// taking them: due again after about For (±10 %), pending and unlocked,
// their attempts untouched (the endpoint was not tried), last_error set to
// Reason unless it is empty. Moving them rather than stepping over them
// keeps a stalled channel's backlog from costing every claim: each of its
// messages is touched once per deferral, not once per claim.
type Deferral struct {
	Channel string
	For     time.Duration
	Reason  string
}

// QueueOptions are the listener's choices for its Queue.
type QueueOptions struct {
	// AsyncClaims lets claims commit without waiting for their WAL flush
	// (PostgreSQL: synchronous_commit=off on the claim). Faster, but a
	// database crash may forget claims the listener already acted on, so the
	// same attempt number can reach an endpoint twice. Write-backs and lease
	// renewals always commit asynchronously: losing one only means a
	// message is delivered again under a new attempt. SQL Server ignores
	// it (its commits are durable unless the database forces delayed
	// durability).
	AsyncClaims bool
}

// Held names a message a listener holds: its id and the claim token it
// holds it under.
type Held struct {
	ID    int64
	Token string
}

// Fate is what a write-back did with one outcome.
type Fate uint8

const (
	// Applied: the outcome is the message's status now (written by this
	// write-back, or by an earlier run of it whose reply was lost).
	Applied Fate = iota
	// Superseded: the claim's lease had run out and the message had been
	// claimed again (by this or another listener) or finished by that
	// claim; the attempt is recorded in relay.delivery with applied false,
	// and the later claim decides the message's status.
	Superseded
	// Deleted: the message no longer exists; nothing was written.
	Deleted
)

func (f Fate) String() string {
	switch f {
	case Applied:
		return "applied"
	case Superseded:
		return "superseded"
	case Deleted:
		return "deleted"
	}
	return "unknown"
}

// Waker wakes a listener when messages may be due, and tells the database
// when the listener waits, so that hosts' inserts notify only then.
type Waker interface {
	// Wake signals that the listener should claim: a notification arrived,
	// the connection was re-established (notifications sent meanwhile are
	// lost), or transactions that may have missed an Idle mark have ended.
	Wake() <-chan struct{}
	// Idle records that the listener found nothing to claim and will wait.
	// The listener claims once more right after it, before sleeping.
	Idle(ctx context.Context) error
	// Busy records that the listener found work and is draining: inserts
	// need not notify it until it is Idle again.
	Busy(ctx context.Context) error
	Close() error
}

// Notifying is implemented by dialects whose database can push wake-ups
// (PostgreSQL's LISTEN/NOTIFY). Others are polled.
type Notifying interface {
	// Listen opens a connection of its own (from conn.DSN, outside the
	// pool) that waits for wake-ups for the listener named id; log
	// receives its reconnects.
	Listen(ctx context.Context, conn *Conn, id string, log *slog.Logger) (Waker, error)
}

// Querier is satisfied by *sql.DB, *sql.Conn and *sql.Tx.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Claimed is a message leased to this listener.
type Claimed struct {
	channel.Message
	Token string // the claim's fence: write-backs must present it
	// Size is the message's title, body and payload in bytes, as
	// relay.settings.max_message_bytes counts them.
	Size int64
	// Oversize: Size is over relay.settings.max_message_bytes (the limit
	// was lowered, or the row was written around relay.push's check). Title,
	// Body and Payload were not read; the listener gives up on the message.
	Oversize bool
	// MaxBytes is relay.settings.max_message_bytes at the claim.
	MaxBytes int64
}

// Status values of relay.message.
const (
	StatusPending   = "pending"
	StatusSending   = "sending"
	StatusSent      = "sent"
	StatusDead      = "dead"
	StatusCancelled = "cancelled"
)

// Outcome is the write-back for one claimed message.
type Outcome struct {
	ID    int64
	Token string
	// Status is the message's new status: StatusSent, StatusDead, or
	// StatusPending (retry after RetryIn, or a release).
	Status  string
	RetryIn time.Duration // with StatusPending: delay before the next attempt
	// Released means the message was claimed but never attempted (the
	// listener is shutting down, or cannot deliver on this channel yet): the
	// claim's attempt is given back and no delivery row is written.
	Released bool
	// The attempt, when there was one.
	Attempt   int
	StartedAt time.Time
	Duration  time.Duration
	Result    channel.Result
}

// Count is one line of `dbrelay status`.
type Count struct {
	Channel string
	Status  string
	N       int64
}

// Backlog summarises due messages.
type Backlog struct {
	Due       int64         // messages whose next_attempt_at has passed
	OldestDue time.Duration // how long the oldest due message has waited since it became due
}

// HookFailures is one hook's failing runs (relay_api.hook_failures): the
// messages' outcomes are recorded; the hook calls are retried on their own.
type HookFailures struct {
	Hook      string
	Runs      int64     // queued hook runs whose last attempt failed
	Since     time.Time // when the oldest of them was queued
	LastError string    // the error of the most recent failure
}

// ObjectRecord is a row of relay.schema_object.
type ObjectRecord struct {
	Path       string // e.g. "procedures/postgres/push.sql"
	Objects    string // the objects the file defines, space separated
	FileSHA256 string
	DBSHA256   string
	AppliedAt  time.Time
	// ShippedSHA256 is the SHA-256 of the file this dbrelay binary carried
	// for Path when the row was written: the shipped default an applied
	// extension point is, or is based on. "" in rows written before
	// migration 4.
	ShippedSHA256 string
}

// Replaced is a definition `migrate up` replaced, kept in
// relay.schema_object_history.
type Replaced struct {
	Path       string // the object file that replaced it
	Object     string // the object's name
	Definition string // DDL that creates it again
	Reason     string // why it was replaced
}

// Object is a database object a file defines.
type Object struct {
	Kind  string // "function", "procedure", "view", "trigger"
	Name  string // schema-qualified, as written in the file, e.g. "relay.push"
	Table string // for triggers: the table, schema-qualified
}

// ErrSchema reports a database whose schema this binary cannot work with.
var ErrSchema = errors.New("schema not compatible")

// Explained is a driver error rewritten for people: Msg says what went wrong
// and what to do; Err is the driver's error, still reachable with errors.As.
type Explained struct {
	Msg string
	Err error
}

func (e *Explained) Error() string { return e.Msg }
func (e *Explained) Unwrap() error { return e.Err }

// ArgumentError is a bad argument rejected by relay.push, relay.enqueue or
// the relay.message validation: the database's own message (which names the
// argument), its error code (SQLSTATE on PostgreSQL, error number on SQL
// Server) and its hint.
type ArgumentError struct {
	Code    string
	Message string
	Hint    string
	Err     error
}

func (e *ArgumentError) Error() string {
	s := e.Message + " (" + e.Code + ")"
	if e.Hint != "" {
		s += ". " + e.Hint
	}
	return s
}

func (e *ArgumentError) Unwrap() error { return e.Err }
