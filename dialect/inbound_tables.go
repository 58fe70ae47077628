package dialect

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// InboundTables is the table side of inbound HTTP (all but the hot path),
// the same in every dialect but for its SQL and how it reports a duplicate
// key: a dialect fills one in (InboundDialect.InboundTables).
type InboundTables struct {
	// ListEndpoints selects (path, procedure_name, auth, caller, secret_env,
	// secret_hash, max_body_bytes, rate_per_minute, enabled, created_at),
	// NULLs turned into '' and 0.
	ListEndpoints string
	// InsertEndpoint takes the Endpoint's fields in that order, '' and 0
	// standing for NULL; SetEnabled takes (path, enabled).
	InsertEndpoint, SetEnabled string
	// RecordInbound takes (endpoint, caller, remote_addr, headers, body,
	// idempotency_key, status, outcome, response, error, replay_of,
	// duration_ms), '' and 0 standing for NULL but body and response
	// (passed as NULL themselves: the database parses them as JSON), and
	// yields the new id.
	RecordInbound string
	// ForgetOld takes the age in whole seconds.
	ForgetOld string
	Duplicate func(error) bool // a primary key violation
	Explain   func(error) error
}

// Endpoints reads relay.endpoint, enabled or not, ordered by path.
func (t InboundTables) Endpoints(ctx context.Context, db *sql.DB) ([]Endpoint, error) {
	rows, err := db.QueryContext(ctx, t.ListEndpoints)
	if err != nil {
		return nil, t.Explain(err)
	}
	defer rows.Close()
	var out []Endpoint
	for rows.Next() {
		var e Endpoint
		if err := rows.Scan(&e.Path, &e.Procedure, &e.Auth, &e.Caller, &e.SecretEnv, &e.SecretHash,
			&e.MaxBodyBytes, &e.RatePerMinute, &e.Enabled, &e.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, t.Explain(rows.Err())
}

// AddEndpoint inserts an endpoint; ErrEndpointExists when its path is
// taken.
func (t InboundTables) AddEndpoint(ctx context.Context, db *sql.DB, e Endpoint) error {
	_, err := db.ExecContext(ctx, t.InsertEndpoint,
		e.Path, e.Procedure, e.Auth, e.Caller, e.SecretEnv, e.SecretHash, e.MaxBodyBytes, e.RatePerMinute, e.Enabled)
	if err != nil && t.Duplicate(err) {
		return fmt.Errorf("%w: %s", ErrEndpointExists, e.Path)
	}
	return t.Explain(err)
}

// SetEndpointEnabled enables or disables the endpoint at path, and says
// whether there was one.
func (t InboundTables) SetEndpointEnabled(ctx context.Context, db *sql.DB, path string, enabled bool) (bool, error) {
	res, err := db.ExecContext(ctx, t.SetEnabled, path, enabled)
	if err != nil {
		return false, t.Explain(err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// Record writes one relay.inbound row in a transaction of its own: the
// trail of a request that was refused, failed or answered as a replay.
func (t InboundTables) Record(ctx context.Context, db *sql.DB, r *InboundRecord) (int64, error) {
	var id int64
	err := db.QueryRowContext(ctx, t.RecordInbound, r.Endpoint, r.Caller, r.RemoteAddr, r.Headers, Nullable(r.Body),
		r.IdempotencyKey, r.Status, r.Outcome, Nullable(r.Response), r.Error, r.ReplayOf, r.Duration.Milliseconds()).Scan(&id)
	return id, t.Explain(err)
}

// ForgetSeen deletes the idempotency keys first seen longer ago than age,
// and returns how many.
func (t InboundTables) ForgetSeen(ctx context.Context, db *sql.DB, age time.Duration) (int64, error) {
	res, err := db.ExecContext(ctx, t.ForgetOld, int64(age.Seconds()))
	if err != nil {
		return 0, t.Explain(err)
	}
	return res.RowsAffected()
}

// Nullable is s, or nil (SQL NULL) when s is "".
func Nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
