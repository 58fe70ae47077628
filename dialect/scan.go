package dialect

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/dbrelay/dbrelay/channel"
)

// The Scan functions read results whose columns every dialect's queries
// return in the same order, so that each reading is written once. They
// close rows.

// ScanIDs reads a result of one bigint column.
func ScanIDs(rows *sql.Rows) ([]int64, error) {
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// ScanCounts reads (channel, status, count) rows.
func ScanCounts(rows *sql.Rows) ([]Count, error) {
	defer rows.Close()
	var out []Count
	for rows.Next() {
		var c Count
		if err := rows.Scan(&c.Channel, &c.Status, &c.N); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// QueryScan runs query on db and reads its rows with scan, passing every
// error through explain (the dialect's Explain): the body of each dialect's
// read-only Admin and Health methods.
func QueryScan[T any](ctx context.Context, db *sql.DB, explain func(error) error, scan func(*sql.Rows) (T, error), query string, args ...any) (T, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		var zero T
		return zero, explain(err)
	}
	v, err := scan(rows)
	return v, explain(err)
}

// ScanHookFailures reads (hook, runs, since, last error) rows.
func ScanHookFailures(rows *sql.Rows) ([]HookFailures, error) {
	defer rows.Close()
	var out []HookFailures
	for rows.Next() {
		var h HookFailures
		var lastError sql.NullString
		if err := rows.Scan(&h.Hook, &h.Runs, &h.Since, &lastError); err != nil {
			return nil, err
		}
		h.LastError = lastError.String
		out = append(out, h)
	}
	return out, rows.Err()
}

// ScanChannels reads relay.channel rows as (code, kind, target, config as
// text, secret_env (empty when NULL), enabled, max_attempts, timeout_ms,
// rate_per_minute (0 when NULL)).
func ScanChannels(rows *sql.Rows) ([]channel.Channel, error) {
	defer rows.Close()
	var out []channel.Channel
	for rows.Next() {
		var c channel.Channel
		var config string
		var timeoutMS int64
		if err := rows.Scan(&c.Code, &c.Kind, &c.Target, &config, &c.SecretEnv, &c.Enabled, &c.MaxAttempts, &timeoutMS, &c.RatePerMinute); err != nil {
			return nil, err
		}
		c.Config = json.RawMessage(config)
		c.Timeout = time.Duration(timeoutMS) * time.Millisecond
		out = append(out, c)
	}
	return out, rows.Err()
}

// ScanObjectRecords reads relay.schema_object rows as (path, objects,
// file_sha256, db_sha256, applied_at, shipped_sha256).
func ScanObjectRecords(rows *sql.Rows) ([]ObjectRecord, error) {
	defer rows.Close()
	var recs []ObjectRecord
	for rows.Next() {
		var r ObjectRecord
		if err := rows.Scan(&r.Path, &r.Objects, &r.FileSHA256, &r.DBSHA256, &r.AppliedAt, &r.ShippedSHA256); err != nil {
			return nil, err
		}
		recs = append(recs, r)
	}
	return recs, rows.Err()
}

// ScanHeld reads (id, token) rows.
func ScanHeld(rows *sql.Rows) ([]Held, error) {
	defer rows.Close()
	var out []Held
	for rows.Next() {
		var h Held
		if err := rows.Scan(&h.ID, &h.Token); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// ScanFates reads a write-back's result: one fate name a row ("applied",
// "superseded", "deleted"), in the order of its n outcomes.
func ScanFates(rows *sql.Rows, n int) ([]Fate, error) {
	defer rows.Close()
	out := make([]Fate, 0, n)
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		switch name {
		case "applied":
			out = append(out, Applied)
		case "superseded":
			out = append(out, Superseded)
		case "deleted":
			out = append(out, Deleted)
		default:
			return nil, fmt.Errorf("write-back: unexpected fate %q", name)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) != n {
		return nil, fmt.Errorf("write-back: %d fates for %d outcomes", len(out), n)
	}
	return out, nil
}
