package dialect

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// InboundDialect is implemented by dialects that serve inbound HTTP:
// `dbrelay serve` and `dbrelay endpoint` reach it through InboundOf.
type InboundDialect interface {
	// InboundTables is the table side: relay.endpoint, relay.inbound and
	// relay.inbound_seen, with this dialect's SQL.
	InboundTables() InboundTables
	// PrepareInbound prepares serve's hot-path statements on db.
	PrepareInbound(ctx context.Context, db *sql.DB) (InboundStatements, error)
}

// Inbound is what `dbrelay serve` and `dbrelay endpoint` need from a
// database: the endpoints (relay.endpoint), the audit trail (relay.inbound)
// and the idempotency keys already answered (relay.inbound_seen), through
// the methods of InboundTables, and the hot path through PrepareInbound.
type Inbound struct {
	InboundTables
	d InboundDialect
}

// PrepareInbound prepares serve's hot-path statements on db.
func (in *Inbound) PrepareInbound(ctx context.Context, db *sql.DB) (InboundStatements, error) {
	return in.d.PrepareInbound(ctx, db)
}

// InboundStatements is serve's hot path, prepared once per process; safe
// for concurrent use.
type InboundStatements interface {
	// Resolve checks in the catalog that name (schema.name, as stored in
	// relay.endpoint.procedure_name) is a function or procedure with the
	// endpoint contract's signature (docs/inbound.md), and prepares its
	// call: a statement whose routine name comes from the catalog, quoted
	// as identifiers, and whose values are all parameters. When prev (may
	// be nil) is the same routine, unchanged in the catalog, it is returned
	// as it is; otherwise the caller closes prev once it is no longer used.
	Resolve(ctx context.Context, name string, prev *Procedure) (*Procedure, error)
	// Handle runs one authenticated, well-formed request in one
	// transaction: it records the request in relay.inbound, claims its
	// idempotency key, calls the procedure and records the answer. The
	// transaction commits only when the procedure answered 2xx. Errors:
	// ErrEndpointGone, ErrBadBody, *ProcedureError (the procedure raised),
	// ErrRetry (a deadlock or serialization failure: try again), others.
	Handle(ctx context.Context, p *Procedure, req *InboundRequest) (InboundAnswer, error)
	Close() error
}

// InboundOf returns the connection's dialect as an Inbound, or an error
// saying it has none.
func InboundOf(c *Conn) (*Inbound, error) {
	d, ok := c.Dialect.(InboundDialect)
	if !ok {
		return nil, fmt.Errorf("the %s dialect does not support inbound endpoints", c.Dialect.Name())
	}
	return &Inbound{InboundTables: d.InboundTables(), d: d}, nil
}

// Auth schemes of relay.endpoint.auth.
const (
	AuthBasic   = "basic"
	AuthBearer  = "bearer"
	AuthWebhook = "webhook" // Standard Webhooks HMAC
	AuthDigest  = "digest"
)

// DefaultProcedure is the procedure an endpoint runs unless told otherwise.
const DefaultProcedure = "relay.on_inbound"

// Endpoint is a row of relay.endpoint.
type Endpoint struct {
	Path          string
	Procedure     string // schema.name
	Auth          string // AuthBasic, …
	Caller        string
	SecretEnv     string // "" = none
	SecretHash    string // bcrypt; "" = none
	MaxBodyBytes  int
	RatePerMinute int // 0 = no limit
	Enabled       bool
	CreatedAt     time.Time
}

// Procedure is an endpoint's procedure, resolved in the catalog.
type Procedure struct {
	Name string // as registered, e.g. "relay.on_inbound"
	// Identity changes when the routine is dropped and created again
	// (its catalog id), so that serve knows to prepare its call again.
	Identity string
	// Stmt calls it, prepared by the dialect.
	Stmt *sql.Stmt
}

// Close releases the prepared call.
func (p *Procedure) Close() error {
	if p == nil || p.Stmt == nil {
		return nil
	}
	return p.Stmt.Close()
}

// InboundRequest is what Handle records and passes to the procedure.
type InboundRequest struct {
	Endpoint       string
	Caller         string
	RemoteAddr     string
	Headers        string    // a JSON object
	Body           string    // a JSON object or array
	IdempotencyKey string    // "" = none
	Started        time.Time // when serve received it, for duration_ms
}

// InboundAnswer is the answer to a request.
type InboundAnswer struct {
	// ID is the request's relay.inbound row: committed when Committed,
	// rolled back otherwise (the caller records the trail then).
	ID        int64
	Status    int
	Response  string // JSON; "" = no body
	Committed bool
	// ReplayOf is set when the idempotency key was already answered: Status
	// and Response are that first answer, and nothing ran.
	ReplayOf int64
}

// InboundRecord is a relay.inbound row written on its own.
type InboundRecord struct {
	Endpoint       string
	Caller         string // "" when authentication failed
	RemoteAddr     string
	Headers        string // a JSON object
	Body           string // JSON; "" = NULL
	IdempotencyKey string // "" = NULL
	Status         int
	Outcome        string
	Response       string // JSON; "" = NULL
	Error          string // "" = NULL
	ReplayOf       int64  // 0 = NULL
	Duration       time.Duration
}

// Outcomes of relay.inbound.outcome.
const (
	OutcomeOK           = "ok"
	OutcomeReplayed     = "replayed"
	OutcomeRefused      = "refused"
	OutcomeFailed       = "failed"
	OutcomeUnauthorized = "unauthorized"
	OutcomeTooLarge     = "too_large"
	OutcomeBadRequest   = "bad_request"
	OutcomeError        = "error"
)

// Errors of Inbound.
var (
	ErrEndpointExists = errors.New("an endpoint with this path already exists")
	// ErrEndpointGone: the endpoint was disabled or deleted since serve
	// loaded it.
	ErrEndpointGone = errors.New("endpoint disabled or deleted")
	// ErrBadBody: the database's own JSON parser refused the body.
	ErrBadBody = errors.New("the database refused the body as JSON")
	// ErrRetry: the transaction lost a deadlock or a serialization check;
	// the same request may succeed if sent again.
	ErrRetry = errors.New("transient database conflict")
)

// ProcedureError is an error raised by an endpoint's procedure (or by a
// statement it ran); the request's transaction was rolled back.
type ProcedureError struct {
	Message string // the database's message, as raised
	Code    string // SQLSTATE or error number
	Err     error
}

func (e *ProcedureError) Error() string { return e.Message + " (" + e.Code + ")" }
func (e *ProcedureError) Unwrap() error { return e.Err }
