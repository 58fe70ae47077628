package sqlserver

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dbrelay/dbrelay/dialect"
	mssql "github.com/microsoft/go-mssqldb"
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
	if number(err) == 2627 { // PRIMARY KEY violation
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
	res, err := db.ExecContext(ctx, forgetSeen, int64(age.Seconds()))
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

// number is the SQL Server error number of err, or 0.
func number(err error) int32 {
	var se mssql.Error
	if errors.As(err, &se) {
		return se.Number
	}
	return 0
}

// quoteName quotes an identifier as QUOTENAME does: in brackets, with ]
// doubled.
func quoteName(s string) string { return "[" + strings.ReplaceAll(s, "]", "]]") + "]" }

// PrepareInbound prepares serve's statements. go-mssqldb runs each through
// sp_executesql; preparing keeps the text in one place.
func (d Dialect) PrepareInbound(ctx context.Context, db *sql.DB) (dialect.InboundStatements, error) {
	return &inboundStatements{d: d, db: db}, nil
}

type inboundStatements struct {
	d  Dialect
	db *sql.DB
}

func (s *inboundStatements) Close() error { return nil }

// param is one parameter of a procedure, from sys.parameters.
type param struct {
	typ       string
	maxLength int // bytes; -1 = max
	output    bool
}

// contract is the endpoint procedure's parameter list: @inbound_id bigint,
// @endpoint and @caller nvarchar of at least 200 characters (what
// relay.endpoint allows), @body nvarchar(max), then @status int OUTPUT and
// @response nvarchar(max) OUTPUT.
func contract(ps []param) bool {
	long := func(p param) bool {
		return p.typ == "nvarchar" && (p.maxLength == -1 || p.maxLength >= 400) && !p.output
	}
	return len(ps) == 6 &&
		ps[0].typ == "bigint" && !ps[0].output &&
		long(ps[1]) && long(ps[2]) &&
		ps[3].typ == "nvarchar" && ps[3].maxLength == -1 && !ps[3].output &&
		ps[4].typ == "int" && ps[4].output &&
		ps[5].typ == "nvarchar" && ps[5].maxLength == -1 && ps[5].output
}

// Resolve finds name's procedure in the catalog, checks its parameters,
// and builds its call from the catalog's own names, quoted: the batch
// never contains text that did not come from sys.procedures, and the
// request's values are parameters.
func (s *inboundStatements) Resolve(ctx context.Context, name string, prev *dialect.Procedure) (*dialect.Procedure, error) {
	rows, err := s.db.QueryContext(ctx, resolveProcedure, name)
	if err != nil {
		return nil, fmt.Errorf("procedure %s: %w", name, s.d.Explain(err))
	}
	defer rows.Close()
	var schemaName, procName, id string
	var ps []param
	found := false
	for rows.Next() {
		var p param
		if err := rows.Scan(&schemaName, &procName, &id, &p.typ, &p.maxLength, &p.output); err != nil {
			return nil, err
		}
		found = true
		if p.typ != "" {
			ps = append(ps, p)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("procedure %s: %w", name, s.d.Explain(err))
	}
	if !found {
		return nil, fmt.Errorf("procedure %s does not exist (or serve's login may not see it: grant it EXECUTE); create it (docs/inbound.md has the signature) or register another", name)
	}
	if !contract(ps) {
		return nil, fmt.Errorf("procedure %s: it must take exactly (@inbound_id bigint, @endpoint nvarchar(200), @caller nvarchar(200), @body nvarchar(max), @status int OUTPUT, @response nvarchar(max) OUTPUT), as relay.on_inbound does", name)
	}
	if prev != nil && prev.Name == name && prev.Identity == id {
		return prev, nil
	}
	stmt, err := s.db.PrepareContext(ctx, fmt.Sprintf(callProcedure, quoteName(schemaName)+"."+quoteName(procName)))
	if err != nil {
		return nil, fmt.Errorf("procedure %s: %w", name, s.d.Explain(err))
	}
	return &dialect.Procedure{Name: name, Identity: id, Stmt: stmt}, nil
}

// Handle runs one request in one transaction (see dialect.InboundStatements).
func (s *inboundStatements) Handle(ctx context.Context, p *dialect.Procedure, req *dialect.InboundRequest) (dialect.InboundAnswer, error) {
	var a dialect.InboundAnswer
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return a, s.d.Explain(err)
	}
	defer tx.Rollback()
	var id sql.NullInt64
	var claimed bool
	if err := tx.QueryRowContext(ctx, beginInbound, req.Endpoint, req.Caller, req.RemoteAddr, req.Headers, req.Body, req.IdempotencyKey).Scan(&id, &claimed); err != nil {
		return a, s.classify(err, false)
	}
	switch {
	case !id.Valid:
		return a, dialect.ErrEndpointGone
	case !claimed:
		tx.Rollback()
		return s.replay(ctx, req)
	}
	a.ID = id.Int64
	status, response, err := callLast(ctx, tx.StmtContext(ctx, p.Stmt), a.ID, req)
	if err != nil {
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
	if _, err := tx.ExecContext(ctx, finishInbound, a.ID, a.Status, nullable(a.Response), time.Since(req.Started).Milliseconds()); err != nil {
		return a, s.classify(err, false)
	}
	if err := tx.Commit(); err != nil {
		return a, s.classify(err, false)
	}
	a.Committed = true
	return a, nil
}

// callLast runs the call batch and returns the values of its last result
// set (the OUTPUT parameters), skipping any result sets the procedure
// itself produced. Every error of the batch, wherever it comes, fails it.
func callLast(ctx context.Context, stmt *sql.Stmt, id int64, req *dialect.InboundRequest) (sql.NullInt64, sql.NullString, error) {
	var status sql.NullInt64
	var response sql.NullString
	rows, err := stmt.QueryContext(ctx, id, req.Endpoint, req.Caller, req.Body)
	if err != nil {
		return status, response, err
	}
	defer rows.Close()
	got := false
	for {
		cols, err := rows.Columns()
		if err != nil {
			return status, response, err
		}
		for rows.Next() {
			if len(cols) == 2 {
				got = rows.Scan(&status, &response) == nil
			}
		}
		if !rows.NextResultSet() {
			break
		}
	}
	if err := rows.Err(); err != nil {
		return status, response, err
	}
	if err := rows.Close(); err != nil {
		return status, response, err
	}
	if !got {
		return status, response, errors.New("the procedure call returned no status and response")
	}
	return status, response, nil
}

// replay reads the answer given to the request that first used the key.
func (s *inboundStatements) replay(ctx context.Context, req *dialect.InboundRequest) (dialect.InboundAnswer, error) {
	var a dialect.InboundAnswer
	err := s.db.QueryRowContext(ctx, firstAnswer, req.Endpoint, req.IdempotencyKey).Scan(&a.ReplayOf, &a.Status, &a.Response)
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("%w: idempotency key expired while answering", dialect.ErrRetry)
	}
	return a, s.d.Explain(err)
}

// classify sorts an error of the request's transaction: a body the JSON
// check refused, a conflict worth retrying, or (inProcedure) an error the
// endpoint's procedure raised, which its caller is told about. A batch
// may carry several errors (the procedure's THROW, then 266 or 3998 about
// the transaction it left): the first is the procedure's.
func (s *inboundStatements) classify(err error, inProcedure bool) error {
	var se mssql.Error
	if !errors.As(err, &se) {
		return s.d.Explain(err)
	}
	first := se
	if len(se.All) > 0 {
		first = se.All[0]
	}
	msg := strings.ToLower(first.Message)
	switch n := first.Number; {
	case n == 1205 || n == 1222 || n == 3960: // deadlock victim, lock timeout, snapshot update conflict
		return fmt.Errorf("%w: %s", dialect.ErrRetry, first.Message)
	case !inProcedure && n == 547 && strings.Contains(msg, "inbound_body_check"):
		return fmt.Errorf("%w: %s", dialect.ErrBadBody, first.Message)
	case !inProcedure:
		return s.d.Explain(err)
	case n == 2812 || n == 229 || n == 230 || n == 201 || n == 8144:
		// The procedure vanished, may not be run, or no longer has the
		// contract's parameters: not the caller's fault, and not a
		// message for outsiders.
		return s.d.Explain(err)
	}
	return &dialect.ProcedureError{Message: first.Message, Code: fmt.Sprintf("error %d", first.Number), Err: err}
}
