package sqlserver

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/dbrelay/dbrelay/channel"
	"github.com/dbrelay/dbrelay/dialect"
	mssql "github.com/microsoft/go-mssqldb"
)

const (
	// maxClaim caps one claim. Each claimed row holds a few locks (its row
	// and its keys in the indexes the claim changes) until the statement
	// commits, and SQL Server escalates to a table lock at about 5,000
	// locks in one statement, which would block every host's relay.push
	// for that moment. Keep --batch-size at or below this.
	maxClaim = 1000
	// maxToken is the length of relay.message.locked_by.
	maxToken = 200
	// minCompatibilityLevel is SQL Server 2016's: OPENJSON needs it.
	minCompatibilityLevel = 130
)

// queue is the listener's side of SQL Server. go-mssqldb sends every
// parameterised statement through sp_executesql, so the server caches one
// plan per statement text and parameter declaration: the large parameters
// are declared nvarchar(max) always, not nvarchar(their length).
type queue struct {
	d    Dialect
	db   *sql.DB
	only string // a JSON array of the only channels to claim; "": all
}

// NewQueue checks that the database can run the listener's statements:
// the write-back reads its batch with OPENJSON, which needs compatibility
// level 130 or higher.
//
// opts.AsyncClaims has no effect: SQL Server's commits are durable unless
// the database forces delayed durability.
func (d Dialect) NewQueue(ctx context.Context, conn *dialect.Conn, _ dialect.QueueOptions) (dialect.Queue, error) {
	var level int
	if err := conn.DB.QueryRowContext(ctx, compatibilityLevel).Scan(&level); err != nil {
		return nil, d.Explain(err)
	}
	if level < minCompatibilityLevel {
		return nil, compatibilityError(level)
	}
	return &queue{d: d, db: conn.DB}, nil
}

func compatibilityError(level int) error {
	return fmt.Errorf("the database's compatibility level is %d: %s", level, compatibilityAdvice)
}

// compatibilityAdvice says why and what to do when OPENJSON is missing.
const compatibilityAdvice = "dbrelay's listener needs compatibility level 130 (SQL Server 2016) or higher, because it writes outcomes back in batches read with OPENJSON. Raise it (ALTER DATABASE CURRENT SET COMPATIBILITY_LEVEL = 130) once the host application is tested at that level, or install dbrelay in a database of its own on the same server (see docs/sqlserver.md)"

// Claim leases up to n due messages (at most maxClaim) in one statement. It
// runs on a connection taken for it, not through the *sql.DB: database/sql
// runs a statement again on driver.ErrBadConn, and a claim run twice would
// hold the first run's rows under a token nobody knows holds them. On a
// *sql.Conn the error comes back, and the listener gives back what the
// token took (Unclaim).
func (q *queue) Claim(ctx context.Context, token string, n int, lease time.Duration, deferrals []dialect.Deferral) ([]dialect.Claimed, int, error) {
	if err := checkToken(token); err != nil {
		return nil, 0, err
	}
	n = max(1, min(n, maxClaim))
	conn, err := q.db.Conn(ctx)
	if err != nil {
		return nil, 0, q.d.Explain(err)
	}
	defer conn.Close()
	rows, err := conn.QueryContext(ctx, claimDue, int32(n), mssql.NVarCharMax(token), milliseconds(lease),
		mssql.NVarCharMax(q.only), mssql.NVarCharMax(deferralsJSON(deferrals)))
	if err != nil {
		return nil, 0, q.d.Explain(err)
	}
	defer rows.Close()
	out, deferred := make([]dialect.Claimed, 0, n), 0
	for rows.Next() {
		c := dialect.Claimed{Token: token}
		m := &c.Message
		var payload sql.NullString
		var isDeferred bool
		if err := rows.Scan(&m.ID, &m.Key, &m.Event, &m.Sender, &m.Receiver, &m.Address, &m.Channel,
			&m.Title, &m.Body, &payload, &m.Ref, &m.CreatedAt, &m.Attempt, &c.Size, &c.MaxBytes, &isDeferred); err != nil {
			return nil, 0, err
		}
		if isDeferred {
			deferred++
			continue
		}
		if payload.Valid {
			m.Payload = json.RawMessage(payload.String)
		}
		c.Oversize = c.MaxBytes > 0 && c.Size > c.MaxBytes
		out = append(out, c)
	}
	return out, deferred, q.d.Explain(rows.Err())
}

// deferralsJSON is the claim's @p5: a JSON array of {"code", "ms",
// "reason"}, [] when there are none (the claim LEFT JOINs it).
func deferralsJSON(deferrals []dialect.Deferral) string {
	if len(deferrals) == 0 {
		return "[]"
	}
	type deferral struct {
		Code   string `json:"code"`
		MS     int64  `json:"ms"`
		Reason string `json:"reason"`
	}
	list := make([]deferral, len(deferrals))
	for i, d := range deferrals {
		list[i] = deferral{Code: d.Channel, MS: min(max(d.For.Milliseconds(), 1), math.MaxInt32), Reason: d.Reason}
	}
	b, _ := json.Marshal(list) // strings and numbers: cannot fail
	return string(b)
}

func (q *queue) DeferDue(ctx context.Context, deferrals []dialect.Deferral) (int64, error) {
	res, err := q.db.ExecContext(ctx, deferDue, mssql.NVarCharMax(deferralsJSON(deferrals)))
	if err != nil {
		return 0, q.d.Explain(err)
	}
	return res.RowsAffected()
}

func checkToken(token string) error {
	if l := utf16Len(token); l > maxToken || l == 0 {
		return fmt.Errorf("claim token %q: must be 1 to %d characters (relay.message.locked_by); use a shorter listener --id", token, maxToken)
	}
	return nil
}

func (q *queue) Unclaim(ctx context.Context, token string) (int64, error) {
	if err := checkToken(token); err != nil {
		return 0, err
	}
	res, err := q.db.ExecContext(ctx, unclaim, mssql.NVarCharMax(token))
	if err != nil {
		return 0, q.d.Explain(err)
	}
	return res.RowsAffected()
}

// heldRow is one element of renewLeases' JSON array.
type heldRow struct {
	ID    int64  `json:"id"`
	Token string `json:"token"`
}

func (q *queue) Renew(ctx context.Context, held []dialect.Held, lease time.Duration) ([]dialect.Held, error) {
	batch := make([]heldRow, len(held))
	for i, h := range held {
		batch[i] = heldRow{ID: h.ID, Token: h.Token}
	}
	payload, err := json.Marshal(batch)
	if err != nil {
		return nil, err
	}
	rows, err := q.db.QueryContext(ctx, renewLeases, mssql.NVarCharMax(payload), milliseconds(lease))
	if err != nil {
		return nil, q.d.Explain(err)
	}
	renewed, err := dialect.ScanHeld(rows)
	return renewed, q.d.Explain(err)
}

// milliseconds is d in whole milliseconds as an int (DATEADD's argument),
// capped at about 24 days.
func milliseconds(d time.Duration) int32 {
	ms := d.Milliseconds()
	switch {
	case ms < 0:
		return 0
	case ms > math.MaxInt32:
		return math.MaxInt32
	}
	return int32(ms)
}

// outcomeRow is one element of finishBatch's JSON array.
type outcomeRow struct {
	I            int    `json:"i"` // position in the batch: the fates come back in this order
	ID           int64  `json:"id"`
	Token        string `json:"token"`
	Status       string `json:"status"`
	RetryMS      int32  `json:"retry_ms"`
	Released     bool   `json:"released"`
	Attempt      int    `json:"attempt"`
	StartedAt    string `json:"started_at"` // UTC, ISO 8601 without zone: datetime2 reads it in any language
	DurationMS   int32  `json:"duration_ms"`
	Outcome      string `json:"outcome"`
	ResponseCode int    `json:"response_code"`
	Error        string `json:"error"`
	ResponseBody string `json:"response_body"`
	ResponseJSON string `json:"response_json,omitempty"` // channel.CleanJSON's; absent = none
}

// datetime2Layout formats a UTC time as datetime2(6) reads it.
const datetime2Layout = "2006-01-02T15:04:05.000000"

// Finish writes back a batch of outcomes in one round trip, passed as one
// JSON array. JSON rather than a table-valued parameter: no table type to
// version, migrate and grant, and one nvarchar(max) parameter, so one
// cached plan; the price is compatibility level 130 (checked by NewQueue).
func (q *queue) Finish(ctx context.Context, outs []dialect.Outcome) ([]dialect.Fate, error) {
	batch := make([]outcomeRow, len(outs))
	for i, o := range outs {
		started := o.StartedAt
		if started.IsZero() {
			started = time.Unix(0, 0)
		}
		batch[i] = outcomeRow{
			I: i, ID: o.ID, Token: o.Token, Status: o.Status, RetryMS: milliseconds(o.RetryIn), Released: o.Released,
			Attempt: o.Attempt, StartedAt: started.UTC().Format(datetime2Layout), DurationMS: milliseconds(o.Duration),
			Outcome: o.Result.Outcome.String(), ResponseCode: o.Result.StatusCode, Error: o.Result.Err,
			ResponseBody: o.Result.Body, ResponseJSON: o.Result.JSON,
		}
	}
	payload, err := json.Marshal(batch)
	if err != nil {
		return nil, err
	}
	rows, err := q.db.QueryContext(ctx, finishBatch, mssql.NVarCharMax(payload))
	if err != nil {
		return nil, q.d.Explain(err)
	}
	fates, err := dialect.ScanFates(rows, len(outs))
	return fates, q.d.Explain(err)
}

func (q *queue) Channels(ctx context.Context) ([]channel.Channel, error) {
	rows, err := q.db.QueryContext(ctx, loadChannels)
	if err != nil {
		return nil, q.d.Explain(err)
	}
	chans, err := dialect.ScanChannels(rows)
	return chans, q.d.Explain(err)
}

// Close has nothing to release: the queue uses the caller's pool.
// OnlyChannels limits the claim to codes, passed as a JSON array.
func (q *queue) OnlyChannels(codes []string) { q.only = jsonList(codes) }

// jsonList is codes as a JSON array, "" for none.
func jsonList(codes []string) string {
	if len(codes) == 0 {
		return ""
	}
	b, _ := json.Marshal(codes) // strings: cannot fail
	return string(b)
}

func (q *queue) Close() error { return nil }
