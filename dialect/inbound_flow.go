package dialect

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// InboundSteps are one dialect's statements of a request's transaction.
// HandleInbound runs them in the order every dialect shares, so that the
// rules (what commits, what rolls back, when a key is a replay) are written
// once.
type InboundSteps interface {
	// Begin records the request in relay.inbound and claims its
	// idempotency key, in tx, if the endpoint is still enabled: id 0 means
	// it is not; claimed false means the key was answered by a committed
	// request (after waiting for one still running).
	Begin(ctx context.Context, tx *sql.Tx, req *InboundRequest) (id int64, claimed bool, err error)
	// Call calls the endpoint's procedure for row id.
	Call(ctx context.Context, tx *sql.Tx, p *Procedure, id int64, req *InboundRequest) (status sql.NullInt64, response sql.NullString, err error)
	// Finish records the answer on row id.
	Finish(ctx context.Context, tx *sql.Tx, id int64, status int, response string, took time.Duration) error
	// FirstAnswer reads the answer given to the request that first used
	// req's key, outside any transaction.
	FirstAnswer(ctx context.Context, req *InboundRequest) (id int64, status int, response string, err error)
	// Classify sorts an error of the transaction: ErrBadBody (the
	// database refused the body), ErrRetry (a deadlock or serialization
	// failure), *ProcedureError (inProcedure: the procedure raised it), or
	// an explained error.
	Classify(err error, inProcedure bool) error
}

// HandleInbound runs one request in one transaction (see
// InboundStatements.Handle).
func HandleInbound(ctx context.Context, db *sql.DB, steps InboundSteps, p *Procedure, req *InboundRequest) (InboundAnswer, error) {
	var a InboundAnswer
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return a, steps.Classify(err, false)
	}
	defer tx.Rollback()
	id, claimed, err := steps.Begin(ctx, tx, req)
	switch {
	case err != nil:
		return a, steps.Classify(err, false)
	case id == 0:
		return a, ErrEndpointGone
	case !claimed:
		tx.Rollback()
		a.ReplayOf, a.Status, a.Response, err = steps.FirstAnswer(ctx, req)
		if errors.Is(err, sql.ErrNoRows) {
			// Forgotten between the two statements (--keep-seen): rare;
			// the caller may send the request again.
			return a, fmt.Errorf("%w: the idempotency key expired while answering", ErrRetry)
		}
		return a, err
	}
	a.ID = id
	status, response, err := steps.Call(ctx, tx, p, id, req)
	if err != nil {
		return a, steps.Classify(err, true)
	}
	code, commit, err := AnswerStatus(status, response)
	if err != nil {
		return a, err
	}
	a.Status, a.Response = code, response.String
	if !commit {
		return a, nil // the deferred Rollback: a refusal leaves nothing behind
	}
	if err := steps.Finish(ctx, tx, id, a.Status, a.Response, time.Since(req.Started)); err != nil {
		return a, steps.Classify(err, false)
	}
	if err := tx.Commit(); err != nil {
		return a, steps.Classify(err, false)
	}
	a.Committed = true
	return a, nil
}

// ErrContract is an answer that breaks the endpoint contract.
var ErrContract = errors.New("the procedure broke the endpoint contract")

// AnswerStatus applies the endpoint contract to what a procedure set: a
// NULL status means 200, or 204 when it set no response either; 200-299
// commit; 400-499 refuse the request (everything rolls back); any other
// status, or a response that is not JSON, breaks the contract.
func AnswerStatus(status sql.NullInt64, response sql.NullString) (code int, commit bool, err error) {
	if response.Valid && !json.Valid([]byte(response.String)) {
		return 0, false, fmt.Errorf("%w: its response is not JSON", ErrContract)
	}
	switch {
	case !status.Valid && response.Valid:
		return 200, true, nil
	case !status.Valid:
		return 204, true, nil
	case status.Int64 >= 200 && status.Int64 <= 299:
		return int(status.Int64), true, nil
	case status.Int64 >= 400 && status.Int64 <= 499:
		return int(status.Int64), false, nil
	}
	return 0, false, fmt.Errorf("%w: it answered status %d; an endpoint procedure answers 200-299 (commit) or 400-499 (refuse)", ErrContract, status.Int64)
}
