package dialect

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/dbrelay/dbrelay/channel"
)

// ChannelDialect is implemented by dialects that `dbrelay channel` can
// manage channels with; ChannelsOf reaches it.
type ChannelDialect interface {
	ChannelTables() ChannelTables
}

// ChannelTables is what `dbrelay channel` does to relay.channel and its
// messages, the same in every dialect but for its SQL: a dialect fills one
// in (ChannelDialect.ChannelTables).
type ChannelTables struct {
	// ListChannels selects (code, kind, target, config, secret_env,
	// enabled, max_attempts, timeout_ms, rate_per_minute) ordered by code,
	// NULLs turned into '' and 0, as ScanChannels reads them.
	ListChannels string
	// InsertChannel takes (code, kind, target, config, secret_env, enabled,
	// max_attempts, timeout_ms, rate_per_minute), '' and 0 standing for
	// NULL in secret_env and rate_per_minute.
	InsertChannel string
	// SetEnabled takes (code, enabled).
	SetEnabled string
	// Stats selects every column of relay_api.channel_stats for one
	// channel (code); columns may be added by later releases.
	Stats string
	// InsertEcho takes (channel, receiver, address ('' for NULL), payload
	// as JSON text) and yields the id of one ECHO message from sender
	// dbrelay, through relay.enqueue.
	InsertEcho string
	// FirstAttempt takes a message id and selects its first attempt from
	// relay_api.deliveries joined with relay_api.outbox: (outcome,
	// response_code or 0, duration_ms, error or '', response_body or '',
	// status).
	FirstAttempt string
	// CancelPending takes a message id and cancels it if it is pending.
	CancelPending string
	Duplicate     func(error) bool // a primary key violation
	Explain       func(error) error
}

// ErrChannelExists is returned by AddChannel for a code that is taken.
var ErrChannelExists = errors.New("a channel with this code already exists")

// ChannelsOf returns the connection's dialect's channel tables, or an
// error saying it has none.
func ChannelsOf(c *Conn) (ChannelTables, error) {
	d, ok := c.Dialect.(ChannelDialect)
	if !ok {
		return ChannelTables{}, fmt.Errorf("the %s dialect does not support 'dbrelay channel'", c.Dialect.Name())
	}
	return d.ChannelTables(), nil
}

// Channels reads relay.channel, ordered by code.
func (t ChannelTables) Channels(ctx context.Context, db *sql.DB) ([]channel.Channel, error) {
	rows, err := db.QueryContext(ctx, t.ListChannels)
	if err != nil {
		return nil, t.Explain(err)
	}
	chans, err := ScanChannels(rows)
	return chans, t.Explain(err)
}

// AddChannel inserts a channel; ErrChannelExists when its code is taken.
// The database checks the row again (the trigger channel_validate).
func (t ChannelTables) AddChannel(ctx context.Context, db *sql.DB, ch channel.Channel) error {
	_, err := db.ExecContext(ctx, t.InsertChannel, ch.Code, ch.Kind, ch.Target, string(ch.Config), ch.SecretEnv,
		ch.Enabled, ch.MaxAttempts, ch.Timeout.Milliseconds(), ch.RatePerMinute)
	if err != nil && t.Duplicate(err) {
		return fmt.Errorf("%w: %s", ErrChannelExists, ch.Code)
	}
	return t.Explain(err)
}

// SetChannelEnabled enables or disables a channel and says whether there
// was one.
func (t ChannelTables) SetChannelEnabled(ctx context.Context, db *sql.DB, code string, enabled bool) (bool, error) {
	res, err := db.ExecContext(ctx, t.SetEnabled, code, enabled)
	if err != nil {
		return false, t.Explain(err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// Column is one column of a row read by name.
type Column struct {
	Name  string
	Value any // nil for NULL
}

// ChannelStats reads the channel's row of relay_api.channel_stats, every
// column in the view's order, so that columns a later release adds (a
// channel's health) show up without a change here. ok is false when the
// channel has no row.
func (t ChannelTables) ChannelStats(ctx context.Context, db *sql.DB, code string) (cols []Column, ok bool, err error) {
	rows, err := db.QueryContext(ctx, t.Stats, code)
	if err != nil {
		return nil, false, t.Explain(err)
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return nil, false, err
	}
	if !rows.Next() {
		return nil, false, t.Explain(rows.Err())
	}
	vals := make([]any, len(names))
	ptrs := make([]any, len(names))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, false, err
	}
	for i, n := range names {
		v := vals[i]
		if b, isBytes := v.([]byte); isBytes {
			v = string(b)
		}
		cols = append(cols, Column{Name: n, Value: v})
	}
	return cols, true, t.Explain(rows.Err())
}

// EchoAttempt is the first attempt of an ECHO message.
type EchoAttempt struct {
	Outcome      string // sent, transient or permanent (relay.delivery.outcome)
	ResponseCode int
	Duration     time.Duration // the endpoint's own time
	Error        string
	ResponseBody string
	Status       string // the message's status now
}

// EnqueueEcho enqueues one ECHO message on the channel.
func (t ChannelTables) EnqueueEcho(ctx context.Context, db *sql.DB, code, receiver, address, payload string) (int64, error) {
	var id int64
	err := db.QueryRowContext(ctx, t.InsertEcho, code, receiver, address, payload).Scan(&id)
	return id, t.Explain(err)
}

// FirstEchoAttempt reads the first attempt of message id; ok is false while
// there was none.
func (t ChannelTables) FirstEchoAttempt(ctx context.Context, db *sql.DB, id int64) (a EchoAttempt, ok bool, err error) {
	var ms int64
	err = db.QueryRowContext(ctx, t.FirstAttempt, id).Scan(&a.Outcome, &a.ResponseCode, &ms, &a.Error, &a.ResponseBody, &a.Status)
	if errors.Is(err, sql.ErrNoRows) {
		return a, false, nil
	}
	a.Duration = time.Duration(ms) * time.Millisecond
	return a, err == nil, t.Explain(err)
}

// CancelEcho cancels message id if it is still pending (a test message
// that no listener took, or that waits for a retry).
func (t ChannelTables) CancelEcho(ctx context.Context, db *sql.DB, id int64) error {
	_, err := db.ExecContext(ctx, t.CancelPending, id)
	return t.Explain(err)
}
