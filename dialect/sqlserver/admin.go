package sqlserver

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dbrelay/dbrelay/dialect"
)

// Push calls relay.push in a transaction of its own and returns the ids
// relay.enqueue inserted. SQL Server has no transaction-local setting like
// PostgreSQL's set_config(…, true): relay.enqueue records the ids in the
// session's context when asked to (sp_set_session_context), so Push uses
// one connection (one session) for the whole exchange: arm the recording,
// call relay.push, read the ids (which disarms it), commit.
func (d Dialect) Push(ctx context.Context, db *sql.DB, sender, receivers, title, text string) ([]int64, error) {
	// SQL Server truncates a too-long procedure argument without a word:
	// refuse it here instead of pushing a cut receiver list or title.
	for _, a := range []struct {
		name, value string
		max         int
	}{{"sender", sender, 100}, {"receivers", receivers, 2000}, {"title", title, 100}} {
		if n := utf16Len(a.value); n > a.max {
			return nil, fmt.Errorf("%s is %d characters long; relay.push on SQL Server takes at most %d (its parameter is nvarchar(%d)): shorten it, or push in parts", a.name, n, a.max, a.max)
		}
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, d.Explain(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, armPushedIDs); err != nil {
		return nil, d.Explain(err)
	}
	read := false
	defer func() {
		if !read { // leave nothing armed on a connection going back to the pool
			conn.ExecContext(context.WithoutCancel(ctx), disarmPushedIDs)
		}
	}()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return nil, d.Explain(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, callPush, sender, receivers, title, text); err != nil {
		return nil, d.Explain(err)
	}
	var list string
	if err := tx.QueryRowContext(ctx, readPushedIDs).Scan(&list); err != nil {
		return nil, d.Explain(err)
	}
	read = true
	if err := tx.Commit(); err != nil {
		return nil, d.Explain(err)
	}
	return parseIDs(list), nil
}

// utf16Len is the length of s in nvarchar characters (UTF-16 code units).
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r > 0xFFFF {
			n++
		}
	}
	return n
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
// and due now; listeners find them at their next poll.
func (d Dialect) Retry(ctx context.Context, db *sql.DB, ids []int64) ([]int64, error) {
	if ids == nil {
		ids = []int64{}
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	return d.queryIDs(ctx, db, retryIDs, string(list))
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
	var ms int64
	if err := db.QueryRowContext(ctx, backlog).Scan(&b.Due, &ms); err != nil {
		return b, d.Explain(err)
	}
	b.OldestDue = time.Duration(ms) * time.Millisecond
	return b, nil
}

// HookFailures sums up relay_api.hook_failures by hook.
func (d Dialect) HookFailures(ctx context.Context, db *sql.DB) ([]dialect.HookFailures, error) {
	return dialect.QueryScan(ctx, db, d.Explain, dialect.ScanHookFailures, hookFailures)
}
