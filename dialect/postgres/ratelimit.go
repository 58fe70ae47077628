package postgres

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/dbrelay/dbrelay/channel/ratelimit"
)

// The rate-limited channels' schedule (relay.channel_rate): the row is read
// under its lock with the database's clock, the next slot is planned in Go
// (ratelimit.Plan), and the row is written back, in one short transaction.
const (
	rateLock = `
SELECT clock_timestamp(), next_at, deferred_until FROM relay.channel_rate WHERE channel = $1 FOR UPDATE`
	rateCreate = `
INSERT INTO relay.channel_rate (channel, next_at, deferred_until)
VALUES ($1, clock_timestamp(), clock_timestamp())
ON CONFLICT (channel) DO NOTHING`
	rateWrite = `
UPDATE relay.channel_rate SET next_at = $2, deferred_until = $3 WHERE channel = $1`
)

// ReserveRate implements ratelimit.Schedule.
func (q *queue) ReserveRate(ctx context.Context, code string, interval, maxWait time.Duration) (ratelimit.Slot, error) {
	tx, err := q.db.BeginTx(ctx, nil)
	if err != nil {
		return ratelimit.Slot{}, q.d.Explain(err)
	}
	defer tx.Rollback()
	var now, next, deferred time.Time
	err = tx.QueryRowContext(ctx, rateLock, code).Scan(&now, &next, &deferred)
	if errors.Is(err, sql.ErrNoRows) { // the channel's first limited message
		if _, err = tx.ExecContext(ctx, rateCreate, code); err == nil {
			err = tx.QueryRowContext(ctx, rateLock, code).Scan(&now, &next, &deferred)
		}
	}
	if err != nil {
		return ratelimit.Slot{}, q.d.Explain(err)
	}
	slot, next, deferred := ratelimit.Plan(now, next, deferred, interval, maxWait)
	if _, err := tx.ExecContext(ctx, rateWrite, code, next, deferred); err != nil {
		return ratelimit.Slot{}, q.d.Explain(err)
	}
	return slot, q.d.Explain(tx.Commit())
}
