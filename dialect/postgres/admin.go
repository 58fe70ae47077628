package postgres

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"github.com/dbrelay/dbrelay/dialect"
	"github.com/lib/pq"
)

// Push calls relay.push in a transaction of its own and reads back the ids
// relay.enqueue recorded in that transaction.
func (d Dialect) Push(ctx context.Context, db *sql.DB, sender, receivers, title, context string) ([]int64, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, d.Explain(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, callPush, sender, receivers, title, context); err != nil {
		return nil, d.Explain(err)
	}
	var list string
	if err := tx.QueryRowContext(ctx, pushedIDs).Scan(&list); err != nil {
		return nil, d.Explain(err)
	}
	if err := tx.Commit(); err != nil {
		return nil, d.Explain(err)
	}
	return parseIDs(list), nil
}

func parseIDs(list string) []int64 {
	var ids []int64
	for _, f := range strings.Split(list, ",") {
		if id, err := strconv.ParseInt(strings.TrimSpace(f), 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	return ids
}

// Retry sets dead, cancelled and pending messages among ids back to pending
// and due now. The wake-up trigger notifies the listeners.
func (d Dialect) Retry(ctx context.Context, db *sql.DB, ids []int64) ([]int64, error) {
	return d.queryIDs(ctx, db, retryIDs, pq.Array(ids))
}

// RetryDead sets every dead message (of one channel, unless "") back to
// pending and due now.
func (d Dialect) RetryDead(ctx context.Context, db *sql.DB, channel string) ([]int64, error) {
	return d.queryIDs(ctx, db, retryDead, channel)
}

func (d Dialect) queryIDs(ctx context.Context, db *sql.DB, query string, args ...any) ([]int64, error) {
	return dialect.QueryScan(ctx, db, d.Explain, dialect.ScanIDs, query, args...)
}

// Counts returns message counts by channel and status.
func (d Dialect) Counts(ctx context.Context, db *sql.DB) ([]dialect.Count, error) {
	return dialect.QueryScan(ctx, db, d.Explain, dialect.ScanCounts, countByChannelStatus)
}

// Backlog counts due messages and the age of the oldest since it became due.
func (d Dialect) Backlog(ctx context.Context, db *sql.DB) (dialect.Backlog, error) {
	var b dialect.Backlog
	var seconds float64
	if err := db.QueryRowContext(ctx, backlog).Scan(&b.Due, &seconds); err != nil {
		return b, d.Explain(err)
	}
	b.OldestDue = time.Duration(seconds * float64(time.Second))
	return b, nil
}

// HookFailures sums up relay_api.hook_failures by hook.
func (d Dialect) HookFailures(ctx context.Context, db *sql.DB) ([]dialect.HookFailures, error) {
	return dialect.QueryScan(ctx, db, d.Explain, dialect.ScanHookFailures, hookFailures)
}
