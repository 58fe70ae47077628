package dialect

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Inbound is what `dbrelay serve` and `dbrelay endpoint` need from a
// database: the endpoints (relay.endpoint), the audit trail (relay.inbound)
// and the idempotency keys already answered (relay.inbound_seen). Both
// dialects implement it; callers find it with InboundOf.
type Inbound interface {
	// Endpoints reads relay.endpoint, enabled or not, ordered by path.
	Endpoints(ctx context.Context, db *sql.DB) ([]Endpoint, error)
	// AddEndpoint inserts an endpoint; ErrEndpointExists when its path is
	// taken.
	AddEndpoint(ctx context.Context, db *sql.DB, e Endpoint) error
	// SetEndpointEnabled enables or disables the endpoint at path, and
	// says whether there was one.
	SetEndpointEnabled(ctx context.Context, db *sql.DB, path string, enabled bool) (bool, error)
	// Record writes one relay.inbound row in a transaction of its own: the
	// trail of a request that was refused, failed or answered as a replay.
	Record(ctx context.Context, db *sql.DB, rec *InboundRecord) (int64, error)
	// ForgetSeen deletes the idempotency keys first seen longer ago than
	// age, and returns how many.
	ForgetSeen(ctx context.Context, db *sql.DB, age time.Duration) (int64, error)
	// PrepareInbound prepares serve's hot-path statements on db.
	PrepareInbound(ctx context.Context, db *sql.DB) (InboundStatements, error)
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
func InboundOf(c *Conn) (Inbound, error) {
	in, ok := c.Dialect.(Inbound)
	if !ok {
		return nil, fmt.Errorf("the %s dialect does not support inbound endpoints", c.Dialect.Name())
	}
	return in, nil
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

// AnswerStatus applies the endpoint contract to the status a procedure
// set: NULL means 200, or 204 when it set no response either; 200-299
// commit; 400-499 refuse the request (everything rolls back); anything
// else breaks the contract.
func AnswerStatus(status sql.NullInt64, hasResponse bool) (code int, commit bool, err error) {
	switch {
	case !status.Valid && hasResponse:
		return 200, true, nil
	case !status.Valid:
		return 204, true, nil
	case status.Int64 >= 200 && status.Int64 <= 299:
		return int(status.Int64), true, nil
	case status.Int64 >= 400 && status.Int64 <= 499:
		return int(status.Int64), false, nil
	}
	return 0, false, fmt.Errorf("the procedure answered status %d; an endpoint procedure must answer 200-299 (commit) or 400-499 (refuse)", status.Int64)
}
