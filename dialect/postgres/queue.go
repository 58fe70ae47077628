package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/dbrelay/dbrelay/channel"
	"github.com/dbrelay/dbrelay/dialect"
	"github.com/lib/pq"
)

// queue is the listener's side of PostgreSQL, on prepared statements and a
// pool of its own whose sessions commit asynchronously (see listenerDSN).
type queue struct {
	d        Dialect
	db       *sql.DB
	finish   *sql.Stmt
	renew    *sql.Stmt
	channels *sql.Stmt
	// syncClaim is synchronous_commit for claims: "on" (durable) or "off".
	syncClaim string
	only      []string // claim only these channels' messages; empty: all
}

// NewQueue opens the listener's pool and prepares the write-back, renewal
// and channel statements. The claim is not prepared: it runs on a
// connection taken for it (see Claim).
func (d Dialect) NewQueue(ctx context.Context, conn *dialect.Conn, opts dialect.QueueOptions) (dialect.Queue, error) {
	dsn, err := listenerDSN(conn.DSN)
	if err != nil {
		return nil, err
	}
	db, err := openPool(dsn, conn.Dialer)
	if err != nil {
		return nil, err
	}
	db.SetMaxIdleConns(8)
	db.SetConnMaxIdleTime(5 * time.Minute)
	q := &queue{d: d, db: db, syncClaim: "on"}
	if opts.AsyncClaims {
		q.syncClaim = "off"
	}
	for _, p := range []struct {
		stmt **sql.Stmt
		sql  string
	}{{&q.finish, finishBatch}, {&q.renew, renewLeases}, {&q.channels, loadChannels}} {
		st, err := db.PrepareContext(ctx, p.sql)
		if err != nil {
			q.Close()
			return nil, d.Explain(err)
		}
		*p.stmt = st
	}
	return q, nil
}

// Claim runs on a connection of the pool taken for it, not through a
// *sql.DB: database/sql runs a statement again on driver.ErrBadConn, which
// lib/pq returns for an EOF after the query was sent, and a claim run twice
// would hold the first run's rows under a token nobody knows holds them.
// On a *sql.Conn the error comes back instead, and the listener gives back
// what the token took (Unclaim).
func (q *queue) Claim(ctx context.Context, token string, n int, lease time.Duration, deferrals []dialect.Deferral) ([]dialect.Claimed, int, error) {
	codes, ms, reasons := deferralArrays(deferrals)
	conn, err := q.db.Conn(ctx)
	if err != nil {
		return nil, 0, q.d.Explain(err)
	}
	defer conn.Close()
	rows, err := conn.QueryContext(ctx, claimDue, n, token, lease.Milliseconds(), pq.Array(q.only), pq.Array(codes), q.syncClaim,
		pq.Array(ms), pq.Array(reasons))
	if err != nil {
		return nil, 0, q.d.Explain(err)
	}
	defer rows.Close()
	out, deferred := make([]dialect.Claimed, 0, n), 0
	for rows.Next() {
		c := dialect.Claimed{Token: token}
		m := &c.Message
		var payload []byte
		var isDeferred bool
		if err := rows.Scan(&m.ID, &m.Key, &m.Event, &m.Sender, &m.Receiver, &m.Address, &m.Channel,
			&m.Title, &m.Body, &payload, &m.Ref, &m.CreatedAt, &m.Attempt, &c.Size, &c.MaxBytes, &isDeferred); err != nil {
			return nil, 0, err
		}
		if isDeferred {
			deferred++
			continue
		}
		if payload != nil {
			m.Payload = json.RawMessage(payload)
		}
		c.Oversize = c.MaxBytes > 0 && c.Size > c.MaxBytes
		out = append(out, c)
	}
	return out, deferred, q.d.Explain(rows.Err())
}

// deferralArrays are deferrals as the parallel arrays the claim and
// deferDue unnest: codes, delays in ms (at least 1), reasons ("" keeps
// last_error).
func deferralArrays(deferrals []dialect.Deferral) (codes []string, ms []int64, reasons []string) {
	codes, ms, reasons = []string{}, []int64{}, []string{}
	for _, d := range deferrals {
		codes = append(codes, d.Channel)
		ms = append(ms, max(d.For.Milliseconds(), 1))
		reasons = append(reasons, d.Reason)
	}
	return codes, ms, reasons
}

func (q *queue) DeferDue(ctx context.Context, deferrals []dialect.Deferral) (int64, error) {
	codes, ms, reasons := deferralArrays(deferrals)
	res, err := q.db.ExecContext(ctx, deferDue, pq.Array(codes), pq.Array(ms), pq.Array(reasons))
	if err != nil {
		return 0, q.d.Explain(err)
	}
	return res.RowsAffected()
}

func (q *queue) Unclaim(ctx context.Context, token string) (int64, error) {
	res, err := q.db.ExecContext(ctx, unclaim, token)
	if err != nil {
		return 0, q.d.Explain(err)
	}
	return res.RowsAffected()
}

func (q *queue) Renew(ctx context.Context, held []dialect.Held, lease time.Duration) ([]dialect.Held, error) {
	ids, tokens := make([]int64, len(held)), make([]string, len(held))
	for i, h := range held {
		ids[i], tokens[i] = h.ID, h.Token
	}
	rows, err := q.renew.QueryContext(ctx, pq.Array(ids), pq.Array(tokens), lease.Milliseconds())
	if err != nil {
		return nil, q.d.Explain(err)
	}
	renewed, err := dialect.ScanHeld(rows)
	return renewed, q.d.Explain(err)
}

func (q *queue) Finish(ctx context.Context, outs []dialect.Outcome) ([]dialect.Fate, error) {
	n := len(outs)
	var (
		ids       = make([]int64, n)
		tokens    = make([]string, n)
		statuses  = make([]string, n)
		retryMS   = make([]int64, n)
		released  = make([]bool, n)
		attempts  = make([]int64, n)
		started   = make([]string, n)
		durations = make([]int64, n)
		outcomes  = make([]string, n)
		codes     = make([]int64, n)
		errs      = make([]string, n)
		bodies    = make([]string, n)
		jsons     = make([]string, n) // channel.CleanJSON's, "" = none
	)
	for i, o := range outs {
		ids[i], tokens[i], statuses[i] = o.ID, o.Token, o.Status
		retryMS[i], released[i], attempts[i] = o.RetryIn.Milliseconds(), o.Released, int64(o.Attempt)
		started[i] = o.StartedAt.UTC().Format(time.RFC3339Nano)
		durations[i] = o.Duration.Milliseconds()
		outcomes[i] = o.Result.Outcome.String()
		codes[i], errs[i], bodies[i] = int64(o.Result.StatusCode), o.Result.Err, o.Result.Body
		jsons[i] = o.Result.JSON
	}
	rows, err := q.finish.QueryContext(ctx, pq.Array(ids), pq.Array(tokens), pq.Array(statuses),
		pq.Array(retryMS), pq.Array(released), pq.Array(attempts), pq.Array(started),
		pq.Array(durations), pq.Array(outcomes), pq.Array(codes), pq.Array(errs), pq.Array(bodies), pq.Array(jsons))
	if err != nil {
		return nil, q.d.Explain(err)
	}
	fates, err := dialect.ScanFates(rows, n)
	if err != nil {
		return nil, q.d.Explain(err)
	}
	return fates, q.recheckSuperseded(ctx, outs, fates)
}

// recheckSuperseded turns back into Applied the outcomes finishBatch
// called superseded that an earlier run of the same write-back applied.
// A retry sent while the first run (whose reply was lost) is still
// executing on the server waits for it at the row locks, but its check of
// relay.delivery reads the statement's snapshot, taken before the first
// run committed; a statement of its own sees it (make chaos's conn-cuts:
// the sent metric was short by 2). Reading through the conflict instead
// (ON CONFLICT DO UPDATE … RETURNING) would need UPDATE on relay.delivery,
// which the listener's role does not have. Superseded outcomes are rare, so
// is this statement.
func (q *queue) recheckSuperseded(ctx context.Context, outs []dialect.Outcome, fates []dialect.Fate) error {
	var ids, attempts, at []int64
	var tokens []string
	for i, f := range fates {
		if f == dialect.Superseded && !outs[i].Released {
			ids, tokens, attempts = append(ids, outs[i].ID), append(tokens, outs[i].Token), append(attempts, int64(outs[i].Attempt))
			at = append(at, int64(i))
		}
	}
	if len(ids) == 0 {
		return nil
	}
	rows, err := q.db.QueryContext(ctx, appliedEarlier, pq.Array(ids), pq.Array(tokens), pq.Array(attempts))
	if err != nil {
		return q.d.Explain(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k int64 // from 1, into at
		if err := rows.Scan(&k); err != nil {
			return q.d.Explain(err)
		}
		fates[at[k-1]] = dialect.Applied
	}
	return q.d.Explain(rows.Err())
}

func (q *queue) Channels(ctx context.Context) ([]channel.Channel, error) {
	rows, err := q.channels.QueryContext(ctx)
	if err != nil {
		return nil, q.d.Explain(err)
	}
	chans, err := dialect.ScanChannels(rows)
	return chans, q.d.Explain(err)
}

func (q *queue) OnlyChannels(codes []string) { q.only = append([]string{}, codes...) }

func (q *queue) Close() error {
	for _, st := range []*sql.Stmt{q.finish, q.renew, q.channels} {
		if st != nil {
			st.Close()
		}
	}
	return q.db.Close()
}

// listenerDSN adds the listener's session settings to a connection string:
//
//   - synchronous_commit=off: write-backs, lease renewals and releases
//     commit without waiting for their WAL flush. If PostgreSQL crashes,
//     the last few of them may be lost, which only means those messages are
//     delivered again under a new attempt (delivery is at-least-once
//     anyway); the host's own inserts keep full durability. It spares the
//     listener a flush wait per batch and the disk a flush per batch that
//     would compete with the host's commits. Claims set it back on for
//     their own transaction unless QueueOptions.AsyncClaims (claimDue): a
//     claim forgotten in a crash would make the same attempt number reach
//     an endpoint twice.
//   - application_name=dbrelay-listener, for pg_stat_activity.
func listenerDSN(dsn string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil || !strings.HasPrefix(u.Scheme, "postgres") {
		return "", fmt.Errorf("listener connection: unexpected DSN form")
	}
	q := u.Query()
	opts := strings.TrimSpace(q.Get("options") + " -c synchronous_commit=off")
	q.Set("options", opts)
	if q.Get("application_name") == "" {
		q.Set("application_name", "dbrelay-listener")
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// wakeDSN names the LISTEN connection in pg_stat_activity
// (application_name=dbrelay-listener-wake) unless the URL names it already.
// A connection string that is not a URL is returned as it is.
func wakeDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || !strings.HasPrefix(u.Scheme, "postgres") {
		return dsn
	}
	q := u.Query()
	if q.Get("application_name") == "" {
		q.Set("application_name", "dbrelay-listener-wake")
	}
	u.RawQuery = q.Encode()
	return u.String()
}
