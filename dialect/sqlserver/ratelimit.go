package sqlserver

import (
	"context"
	"database/sql"
	"time"

	"github.com/dbrelay/dbrelay/channel/ratelimit"
)

// The rate-limited channels' schedule (relay.channel_rate): the row is read
// under its lock with the database's clock (creating it, under a key-range
// lock, for the channel's first limited message), the next slot is planned
// in Go (ratelimit.Plan), and the row is written back, in one short
// transaction. Times are UTC (SYSUTCDATETIME); only their differences are
// used.
const (
	rateLock = `
IF NOT EXISTS (SELECT 1 FROM relay.channel_rate WITH (UPDLOCK, HOLDLOCK) WHERE channel = @p1)
    INSERT INTO relay.channel_rate (channel, next_at, deferred_until)
    VALUES (@p1, SYSUTCDATETIME(), SYSUTCDATETIME());
SELECT SYSUTCDATETIME(), next_at, deferred_until
FROM relay.channel_rate WITH (UPDLOCK, ROWLOCK)
WHERE channel = @p1;`
	rateWrite = `
UPDATE relay.channel_rate SET next_at = @p2, deferred_until = @p3 WHERE channel = @p1;`
)

// ReserveRate implements ratelimit.Schedule.
func (q *queue) ReserveRate(ctx context.Context, code string, interval, maxWait time.Duration) (ratelimit.Slot, error) {
	tx, err := q.db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil {
		return ratelimit.Slot{}, q.d.Explain(err)
	}
	defer tx.Rollback()
	var now, next, deferred time.Time
	if err := tx.QueryRowContext(ctx, rateLock, code).Scan(&now, &next, &deferred); err != nil {
		return ratelimit.Slot{}, q.d.Explain(err)
	}
	slot, next, deferred := ratelimit.Plan(now, next, deferred, interval, maxWait)
	if _, err := tx.ExecContext(ctx, rateWrite, code, next, deferred); err != nil {
		return ratelimit.Slot{}, q.d.Explain(err)
	}
	return slot, q.d.Explain(tx.Commit())
}
