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

var _ dialect.InboundDialect = Dialect{}

// tables is the table side of dialect.Inbound, with this dialect's SQL.
var tables = dialect.InboundTables{
	ListEndpoints:  listEndpoints,
	InsertEndpoint: insertEndpoint,
	SetEnabled:     setEndpointEnabled,
	RecordInbound:  recordInbound,
	ForgetOld:      forgetSeen,
	Duplicate:      func(err error) bool { return number(err) == 2627 }, // PRIMARY KEY violation,
	Explain:        Dialect{}.Explain,
}

// InboundTables is the table side of inbound HTTP.
func (Dialect) InboundTables() dialect.InboundTables { return tables }

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

// Handle runs one request in one transaction (dialect.HandleInbound).
func (s *inboundStatements) Handle(ctx context.Context, p *dialect.Procedure, req *dialect.InboundRequest) (dialect.InboundAnswer, error) {
	return dialect.HandleInbound(ctx, s.db, s, p, req)
}

// Begin records the request and claims its key (beginInbound).
func (s *inboundStatements) Begin(ctx context.Context, tx *sql.Tx, req *dialect.InboundRequest) (int64, bool, error) {
	var id sql.NullInt64
	var claimed bool
	err := tx.QueryRowContext(ctx, beginInbound, req.Endpoint, req.Caller, req.RemoteAddr, req.Headers, req.Body, req.IdempotencyKey).Scan(&id, &claimed)
	return id.Int64, claimed, err // a NULL id: the endpoint is disabled or gone
}

// Call runs the endpoint's procedure.
func (s *inboundStatements) Call(ctx context.Context, tx *sql.Tx, p *dialect.Procedure, id int64, req *dialect.InboundRequest) (sql.NullInt64, sql.NullString, error) {
	return callLast(ctx, tx.StmtContext(ctx, p.Stmt), id, req)
}

// Finish records the answer.
func (s *inboundStatements) Finish(ctx context.Context, tx *sql.Tx, id int64, status int, response string, took time.Duration) error {
	_, err := tx.ExecContext(ctx, finishInbound, id, status, dialect.Nullable(response), took.Milliseconds())
	return err
}

// FirstAnswer reads the answer given to the first request with the key.
func (s *inboundStatements) FirstAnswer(ctx context.Context, req *dialect.InboundRequest) (id int64, status int, response string, err error) {
	err = s.db.QueryRowContext(ctx, firstAnswer, req.Endpoint, req.IdempotencyKey).Scan(&id, &status, &response)
	return id, status, response, err
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

// Classify sorts an error of the request's transaction: a body the JSON
// check refused, a conflict worth retrying, or (inProcedure) an error the
// endpoint's procedure raised, which its caller is told about. A batch
// may carry several errors (the procedure's THROW, then 266 or 3998 about
// the transaction it left): the first is the procedure's.
func (s *inboundStatements) Classify(err error, inProcedure bool) error {
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
