package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/dbrelay/dbrelay/channel"
	"github.com/dbrelay/dbrelay/dialect"
	"github.com/lib/pq"
)

// queue is the listener's side of PostgreSQL, on prepared statements.
type queue struct {
	d        Dialect
	db       *sql.DB
	claim    *sql.Stmt
	finish   *sql.Stmt
	channels *sql.Stmt
}

// NewQueue prepares the claim, write-back and channel statements.
func (d Dialect) NewQueue(ctx context.Context, conn *dialect.Conn) (dialect.Queue, error) {
	db := conn.DB
	q := &queue{d: d, db: db}
	for _, p := range []struct {
		stmt **sql.Stmt
		sql  string
	}{{&q.claim, claimDue}, {&q.finish, finishBatch}, {&q.channels, loadChannels}} {
		st, err := db.PrepareContext(ctx, p.sql)
		if err != nil {
			q.Close()
			return nil, d.Explain(err)
		}
		*p.stmt = st
	}
	return q, nil
}

func (q *queue) Claim(ctx context.Context, token string, n int, lease time.Duration) ([]dialect.Claimed, error) {
	rows, err := q.claim.QueryContext(ctx, n, token, lease.Milliseconds())
	if err != nil {
		return nil, q.d.Explain(err)
	}
	defer rows.Close()
	out := make([]dialect.Claimed, 0, n)
	for rows.Next() {
		c := dialect.Claimed{Token: token}
		m := &c.Message
		var payload []byte
		if err := rows.Scan(&m.ID, &m.Key, &m.Event, &m.Sender, &m.Receiver, &m.Address, &m.Channel,
			&m.Title, &m.Body, &payload, &m.Ref, &m.CreatedAt, &m.Attempt); err != nil {
			return nil, err
		}
		if payload != nil {
			m.Payload = json.RawMessage(payload)
		}
		out = append(out, c)
	}
	return out, q.d.Explain(rows.Err())
}

func (q *queue) Finish(ctx context.Context, outs []dialect.Outcome) ([]int64, error) {
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
	)
	for i, o := range outs {
		ids[i], tokens[i], statuses[i] = o.ID, o.Token, o.Status
		retryMS[i], released[i], attempts[i] = o.RetryIn.Milliseconds(), o.Released, int64(o.Attempt)
		started[i] = o.StartedAt.UTC().Format(time.RFC3339Nano)
		durations[i] = o.Duration.Milliseconds()
		outcomes[i] = o.Result.Outcome.String()
		codes[i], errs[i], bodies[i] = int64(o.Result.StatusCode), o.Result.Err, o.Result.Body
	}
	rows, err := q.finish.QueryContext(ctx, pq.Array(ids), pq.Array(tokens), pq.Array(statuses),
		pq.Array(retryMS), pq.Array(released), pq.Array(attempts), pq.Array(started),
		pq.Array(durations), pq.Array(outcomes), pq.Array(codes), pq.Array(errs), pq.Array(bodies))
	if err != nil {
		return nil, q.d.Explain(err)
	}
	defer rows.Close()
	written := make([]int64, 0, n)
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		written = append(written, id)
	}
	return written, q.d.Explain(rows.Err())
}

func (q *queue) Channels(ctx context.Context) ([]channel.Channel, error) {
	rows, err := q.channels.QueryContext(ctx)
	if err != nil {
		return nil, q.d.Explain(err)
	}
	defer rows.Close()
	var out []channel.Channel
	for rows.Next() {
		var c channel.Channel
		var config string
		var timeoutMS int64
		if err := rows.Scan(&c.Code, &c.Kind, &c.Target, &config, &c.SecretEnv, &c.Enabled, &c.MaxAttempts, &timeoutMS); err != nil {
			return nil, err
		}
		c.Config = json.RawMessage(config)
		c.Timeout = time.Duration(timeoutMS) * time.Millisecond
		out = append(out, c)
	}
	return out, q.d.Explain(rows.Err())
}

func (q *queue) Close() error {
	for _, st := range []*sql.Stmt{q.claim, q.finish, q.channels} {
		if st != nil {
			st.Close()
		}
	}
	return nil
}
