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

var _ dialect.InboundDialect = Dialect{}

// tables is the table side of dialect.Inbound, with this dialect's SQL.
var tables = dialect.InboundTables{
	ListEndpoints:  listEndpoints,
	InsertEndpoint: insertEndpoint,
	SetEnabled:     setEndpointEnabled,
	RecordInbound:  recordInbound,
	ForgetOld:      forgetSeen,
	Duplicate: func(err error) bool {
		var pqErr *pq.Error
		return errors.As(err, &pqErr) && pqErr.Code == "23505" // unique_violation
	},
	Explain: Dialect{}.Explain,
}

// InboundTables is the table side of inbound HTTP.
func (Dialect) InboundTables() dialect.InboundTables { return tables }

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

// Handle runs one request in one transaction (dialect.HandleInbound).
func (s *inboundStatements) Handle(ctx context.Context, p *dialect.Procedure, req *dialect.InboundRequest) (dialect.InboundAnswer, error) {
	return dialect.HandleInbound(ctx, s.db, s, p, req)
}

// Begin records the request and claims its key (beginInbound).
func (s *inboundStatements) Begin(ctx context.Context, tx *sql.Tx, req *dialect.InboundRequest) (int64, bool, error) {
	var id int64
	var claimed bool
	err := tx.StmtContext(ctx, s.begin).QueryRowContext(ctx, req.Endpoint, req.Caller, req.RemoteAddr, req.Headers, req.Body, req.IdempotencyKey).Scan(&id, &claimed)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil // the endpoint is disabled or gone
	}
	return id, claimed, err
}

// Call runs the endpoint's function.
func (s *inboundStatements) Call(ctx context.Context, tx *sql.Tx, p *dialect.Procedure, id int64, req *dialect.InboundRequest) (sql.NullInt64, sql.NullString, error) {
	var status sql.NullInt64
	var response sql.NullString
	err := tx.StmtContext(ctx, p.Stmt).QueryRowContext(ctx, id, req.Endpoint, req.Caller, req.Body).Scan(&status, &response)
	return status, response, err
}

// Finish records the answer.
func (s *inboundStatements) Finish(ctx context.Context, tx *sql.Tx, id int64, status int, response string, took time.Duration) error {
	_, err := tx.StmtContext(ctx, s.finish).ExecContext(ctx, id, status, dialect.Nullable(response), took.Milliseconds())
	return err
}

// FirstAnswer reads the answer given to the first request with the key.
func (s *inboundStatements) FirstAnswer(ctx context.Context, req *dialect.InboundRequest) (id int64, status int, response string, err error) {
	err = s.first.QueryRowContext(ctx, req.Endpoint, req.IdempotencyKey).Scan(&id, &status, &response)
	return id, status, response, err
}

// Classify sorts an error of the request's transaction: a body the JSON
// parser refused, a conflict worth retrying, or (inProcedure) an error
// the endpoint's procedure raised, which its caller is told about.
func (s *inboundStatements) Classify(err error, inProcedure bool) error {
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
