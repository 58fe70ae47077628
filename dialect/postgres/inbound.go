package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dbrelay/dbrelay/dialect"
	"github.com/lib/pq"
)

var _ dialect.Inbound = Dialect{}

// Endpoints reads relay.endpoint.
func (d Dialect) Endpoints(ctx context.Context, db *sql.DB) ([]dialect.Endpoint, error) {
	rows, err := db.QueryContext(ctx, listEndpoints)
	if err != nil {
		return nil, d.Explain(err)
	}
	defer rows.Close()
	var out []dialect.Endpoint
	for rows.Next() {
		var e dialect.Endpoint
		if err := rows.Scan(&e.Path, &e.Procedure, &e.Auth, &e.Caller, &e.SecretEnv, &e.SecretHash,
			&e.MaxBodyBytes, &e.RatePerMinute, &e.Enabled, &e.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, d.Explain(rows.Err())
}

// AddEndpoint inserts a row of relay.endpoint.
func (d Dialect) AddEndpoint(ctx context.Context, db *sql.DB, e dialect.Endpoint) error {
	_, err := db.ExecContext(ctx, insertEndpoint, e.Path, e.Procedure, e.Auth, e.Caller, e.SecretEnv, e.SecretHash,
		e.MaxBodyBytes, e.RatePerMinute, e.Enabled)
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "23505" { // unique_violation
		return fmt.Errorf("%w: %s", dialect.ErrEndpointExists, e.Path)
	}
	return d.Explain(err)
}

// SetEndpointEnabled enables or disables an endpoint.
func (d Dialect) SetEndpointEnabled(ctx context.Context, db *sql.DB, path string, enabled bool) (bool, error) {
	res, err := db.ExecContext(ctx, setEndpointEnabled, path, enabled)
	if err != nil {
		return false, d.Explain(err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// Record inserts one relay.inbound row on its own.
func (d Dialect) Record(ctx context.Context, db *sql.DB, r *dialect.InboundRecord) (int64, error) {
	var id int64
	err := db.QueryRowContext(ctx, recordInbound, r.Endpoint, r.Caller, r.RemoteAddr, r.Headers, nullable(r.Body),
		r.IdempotencyKey, r.Status, r.Outcome, nullable(r.Response), r.Error, r.ReplayOf, r.Duration.Milliseconds()).Scan(&id)
	return id, d.Explain(err)
}

// ForgetSeen deletes idempotency keys older than age.
func (d Dialect) ForgetSeen(ctx context.Context, db *sql.DB, age time.Duration) (int64, error) {
	res, err := db.ExecContext(ctx, forgetSeen, age.Seconds())
	if err != nil {
		return 0, d.Explain(err)
	}
	return res.RowsAffected()
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// PrepareInbound prepares serve's statements.
func (d Dialect) PrepareInbound(ctx context.Context, db *sql.DB) (dialect.InboundStatements, error) {
	s := &inboundStatements{d: d, db: db}
	for _, p := range []struct {
		stmt **sql.Stmt
		sql  string
	}{{&s.begin, beginInbound}, {&s.finish, finishInbound}, {&s.first, firstAnswer}, {&s.resolve, resolveProcedure}} {
		var err error
		if *p.stmt, err = db.PrepareContext(ctx, p.sql); err != nil {
			s.Close()
			return nil, d.Explain(err)
		}
	}
	return s, nil
}

type inboundStatements struct {
	d                             Dialect
	db                            *sql.DB
	begin, finish, first, resolve *sql.Stmt
}

func (s *inboundStatements) Close() error {
	for _, st := range []*sql.Stmt{s.begin, s.finish, s.first, s.resolve} {
		if st != nil {
			st.Close()
		}
	}
	return nil
}

// Resolve finds name's function in the catalog and prepares its call with
// the catalog's own names, quoted: the statement never contains text that
// did not come from pg_proc, and the request's values are parameters.
func (s *inboundStatements) Resolve(ctx context.Context, name string, prev *dialect.Procedure) (*dialect.Procedure, error) {
	var nsp, proname, oid string
	var ok bool
	err := s.resolve.QueryRowContext(ctx, name).Scan(&nsp, &proname, &oid, &ok)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("procedure %s: no function %s(bigint, text, text, jsonb) exists; create it (docs/inbound.md has the signature) or register another", name, name)
	}
	if err != nil {
		return nil, fmt.Errorf("procedure %s: %w", name, s.d.Explain(err))
	}
	if !ok {
		return nil, fmt.Errorf("procedure %s: it must be a function (not a procedure, not returning a set) with exactly the parameters (bigint, text, text, jsonb, OUT integer, OUT jsonb), as relay.on_inbound has", name)
	}
	if prev != nil && prev.Name == name && prev.Identity == oid {
		return prev, nil
	}
	call := "SELECT * FROM " + pq.QuoteIdentifier(nsp) + "." + pq.QuoteIdentifier(proname) + "($1, $2, $3, $4::jsonb)"
	stmt, err := s.db.PrepareContext(ctx, call)
	if err != nil {
		return nil, fmt.Errorf("procedure %s: %w", name, s.d.Explain(err))
	}
	return &dialect.Procedure{Name: name, Identity: oid, Stmt: stmt}, nil
}

// Handle runs one request in one transaction (see dialect.InboundStatements).
func (s *inboundStatements) Handle(ctx context.Context, p *dialect.Procedure, req *dialect.InboundRequest) (dialect.InboundAnswer, error) {
	var a dialect.InboundAnswer
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return a, s.d.Explain(err)
	}
	defer tx.Rollback()
	var claimed bool
	err = tx.StmtContext(ctx, s.begin).QueryRowContext(ctx, req.Endpoint, req.Caller, req.RemoteAddr, req.Headers, req.Body, req.IdempotencyKey).Scan(&a.ID, &claimed)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return a, dialect.ErrEndpointGone
	case err != nil:
		return a, s.classify(err, false)
	case !claimed:
		tx.Rollback()
		return s.replay(ctx, req)
	}
	var status sql.NullInt64
	var response sql.NullString
	if err := tx.StmtContext(ctx, p.Stmt).QueryRowContext(ctx, a.ID, req.Endpoint, req.Caller, req.Body).Scan(&status, &response); err != nil {
		return a, s.classify(err, true)
	}
	code, commit, err := dialect.AnswerStatus(status, response.Valid)
	if err != nil {
		return a, err
	}
	a.Status, a.Response = code, response.String
	if !commit {
		return a, nil // deferred Rollback: a refusal leaves nothing behind
	}
	if _, err := tx.StmtContext(ctx, s.finish).ExecContext(ctx, a.ID, a.Status, nullable(a.Response), time.Since(req.Started).Milliseconds()); err != nil {
		return a, s.classify(err, false)
	}
	if err := tx.Commit(); err != nil {
		return a, s.classify(err, false)
	}
	a.Committed = true
	return a, nil
}

// replay reads the answer given to the request that first used the key.
func (s *inboundStatements) replay(ctx context.Context, req *dialect.InboundRequest) (dialect.InboundAnswer, error) {
	var a dialect.InboundAnswer
	err := s.first.QueryRowContext(ctx, req.Endpoint, req.IdempotencyKey).Scan(&a.ReplayOf, &a.Status, &a.Response)
	if errors.Is(err, sql.ErrNoRows) {
		// The key was forgotten between the two statements: rare; the
		// caller may simply send the request again.
		return a, fmt.Errorf("%w: idempotency key expired while answering", dialect.ErrRetry)
	}
	return a, s.d.Explain(err)
}

// classify sorts an error of the request's transaction: a body the JSON
// parser refused, a conflict worth retrying, or (inProcedure) an error
// the endpoint's procedure raised, which its caller is told about.
func (s *inboundStatements) classify(err error, inProcedure bool) error {
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) {
		return s.d.Explain(err)
	}
	code := string(pqErr.Code)
	switch {
	case code == "40001" || code == "40P01" || code == "55P03": // serialization, deadlock, lock not available
		return fmt.Errorf("%w: %s", dialect.ErrRetry, pqErr.Message)
	case !inProcedure && (code == "22P02" || code == "22P05"): // invalid text representation, untranslatable character
		msg := pqErr.Message
		if pqErr.Detail != "" {
			msg += " (" + pqErr.Detail + ")"
		}
		return fmt.Errorf("%w: %s", dialect.ErrBadBody, msg)
	case !inProcedure:
		return s.d.Explain(err)
	case code == "42883" || code == "42501" || strings.HasPrefix(code, "08") || strings.HasPrefix(code, "57"):
		// The function vanished or may not be run, or the server went
		// away: not the caller's fault, and not a message for outsiders.
		return s.d.Explain(err)
	}
	return &dialect.ProcedureError{Message: pqErr.Message, Code: "SQLSTATE " + code, Err: err}
}
