package inbound

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/dbrelay/dbrelay/dialect"
)

// exchange is one request on its way through ServeHTTP.
type exchange struct {
	s     *Server
	w     http.ResponseWriter
	r     *http.Request
	start time.Time
	ep    *endpoint
	path  string // the endpoint's path; "" for an unknown one
	// What relay.inbound records, as far as it is known.
	caller string // set once authenticated
	body   []byte // set once read and valid JSON
	key    string
}

// ServeHTTP answers one request (see the package comment for the order of
// the checks). Only POST with a JSON body reaches a procedure.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x := &exchange{s: s, w: w, r: r, start: time.Now()}
	t := s.table.Load()
	// The escaped path, so that /orders%2Fnew is not /orders/new: a
	// registered path has nothing to escape, so only its literal form
	// matches.
	e := t.byPath[r.URL.EscapedPath()]
	if e == nil {
		if s.knownCaller(r, t) {
			x.reply(http.StatusNotFound, outcomeNotFound, errorBody("no endpoint "+strconv.Quote(r.URL.Path)+"; 'dbrelay endpoint list' shows the registered paths", 0))
			return
		}
		x.unauthorized(t, errors.New("unknown path"))
		return
	}
	x.ep, x.path = e, e.row.Path
	if e.auth == nil {
		x.unauthorized(t, e.broken)
		return
	}
	if !e.auth.signsBody() {
		if err := e.auth.check(r.Context(), r, nil, false); err != nil {
			x.unauthorized(t, err)
			return
		}
		x.caller = e.row.Caller
	}
	body, err := readBody(r, e.row.MaxBodyBytes)
	switch {
	case errors.Is(err, errTooLarge):
		x.refuse(http.StatusRequestEntityTooLarge, dialect.OutcomeTooLarge,
			fmt.Sprintf("the body is larger than this endpoint's limit of %d bytes", e.row.MaxBodyBytes))
		return
	case err != nil:
		x.refuse(http.StatusBadRequest, dialect.OutcomeBadRequest, err.Error())
		return
	}
	if e.auth.signsBody() {
		if err := e.auth.check(r.Context(), r, body, false); err != nil {
			x.unauthorized(t, err)
			return
		}
		x.caller = e.row.Caller
	}
	if !e.row.Enabled {
		x.reply(http.StatusNotFound, outcomeNotFound, errorBody("endpoint "+strconv.Quote(x.path)+" is disabled", 0))
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		x.refuse(http.StatusMethodNotAllowed, dialect.OutcomeBadRequest, "method "+r.Method+" is not allowed: POST a JSON body")
		return
	}
	if e.limiter != nil {
		if res := e.limiter.Reserve(); res.Delay() > 0 {
			wait := res.Delay()
			res.Cancel()
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			x.reply(http.StatusTooManyRequests, outcomeRateLimited, errorBody(fmt.Sprintf("over this endpoint's rate of %d requests per minute; retry after %s", e.row.RatePerMinute, wait.Round(time.Second)), 0))
			return
		}
	}
	if err := checkJSON(body); err != nil {
		x.refuse(http.StatusBadRequest, dialect.OutcomeBadRequest, err.Error())
		return
	}
	x.body = body
	if x.key, err = idempotencyKey(r.Header, e.row.Auth == dialect.AuthWebhook); err != nil {
		x.refuse(http.StatusBadRequest, dialect.OutcomeBadRequest, err.Error())
		return
	}
	if e.proc == nil {
		w.Header().Set("Retry-After", "60")
		x.refuse(http.StatusServiceUnavailable, dialect.OutcomeError, "this endpoint is not available: its procedure is missing or has the wrong signature (serve's log says which)")
		return
	}
	x.handle()
}

// handle runs the request's transaction and answers.
func (x *exchange) handle() {
	s := x.s
	ctx, cancel := context.WithTimeout(context.WithoutCancel(x.r.Context()), s.cfg.Timeout)
	defer cancel()
	req := &dialect.InboundRequest{Endpoint: x.path, Caller: x.caller, RemoteAddr: x.r.RemoteAddr,
		Headers: headersJSON(x.r.Header), Body: string(x.body), IdempotencyKey: x.key, Started: x.start}
	a, err := s.stmts.Handle(ctx, x.ep.proc, req)
	var pe *dialect.ProcedureError
	switch {
	case err == nil && a.ReplayOf != 0:
		id := x.record(dialect.InboundRecord{Status: a.Status, Outcome: dialect.OutcomeReplayed, Response: a.Response, ReplayOf: a.ReplayOf})
		x.w.Header().Set("Idempotent-Replayed", "true")
		x.answer(a.Status, dialect.OutcomeReplayed, a.Response, id)
	case err == nil && a.Committed:
		x.answer(a.Status, dialect.OutcomeOK, a.Response, a.ID)
	case err == nil:
		id := x.record(dialect.InboundRecord{Status: a.Status, Outcome: dialect.OutcomeRefused, Response: a.Response})
		x.answer(a.Status, dialect.OutcomeRefused, a.Response, id)
	case errors.Is(err, dialect.ErrEndpointGone):
		s.reloadSoon()
		x.reply(http.StatusNotFound, outcomeNotFound, errorBody("endpoint "+strconv.Quote(x.path)+" is disabled or removed", 0))
	case errors.Is(err, dialect.ErrBadBody):
		x.body = nil
		x.refuse(http.StatusBadRequest, dialect.OutcomeBadRequest, err.Error())
	case errors.As(err, &pe):
		x.refuse(http.StatusUnprocessableEntity, dialect.OutcomeFailed, pe.Message)
	case errors.Is(err, dialect.ErrRetry) || unavailable(err):
		x.w.Header().Set("Retry-After", "1")
		s.log.Warn("inbound request failed; the caller may retry", "endpoint", x.path, "error", err)
		x.refuseWith(http.StatusServiceUnavailable, dialect.OutcomeError, outcomeUnavailable, "the database is busy or unavailable; retry later", err.Error())
	case errors.Is(err, dialect.ErrContract):
		s.log.Error("an endpoint's procedure broke the contract; its work was rolled back", "endpoint", x.path, "procedure", x.ep.row.Procedure, "error", err)
		x.refuseWith(http.StatusInternalServerError, dialect.OutcomeError, dialect.OutcomeError, "the endpoint's procedure gave an answer serve cannot send (docs/inbound.md); its work was rolled back", err.Error())
	default:
		s.log.Error("inbound request failed", "endpoint", x.path, "error", err)
		x.refuseWith(http.StatusInternalServerError, dialect.OutcomeError, dialect.OutcomeError, "internal error; serve's log has the details", err.Error())
	}
}

// unavailable tells errors of the connection or the deadline: the request
// may succeed later.
func unavailable(err error) bool {
	var ne net.Error
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne)
}

// unauthorized answers 401, the same for every path, known or not, so the
// answer says nothing about which endpoints exist; the trail (for known
// endpoints) keeps the reason.
func (x *exchange) unauthorized(t *table, why error) {
	s := x.s
	h := x.w.Header()
	h.Add("WWW-Authenticate", `Basic realm="`+s.cfg.Realm+`", charset="UTF-8"`)
	h.Add("WWW-Authenticate", `Bearer realm="`+s.cfg.Realm+`"`)
	if t.digest {
		for _, c := range s.digest.challenges(s.cfg.Realm, errors.Is(why, errStaleNonce)) {
			h.Add("WWW-Authenticate", c)
		}
	}
	var id int64
	if x.ep != nil {
		if s.audit.Allow() {
			id = x.record(dialect.InboundRecord{Status: http.StatusUnauthorized, Outcome: dialect.OutcomeUnauthorized, Error: why.Error()})
		} else {
			s.cfg.Metrics.skip()
		}
	}
	s.log.Debug("inbound request unauthorized", "path", x.r.URL.Path, "remote", x.r.RemoteAddr, "reason", why)
	x.reply(http.StatusUnauthorized, dialect.OutcomeUnauthorized, errorBody("unauthorized: credentials missing or wrong", id))
}

// refuse records a refused request and answers status with the reason.
func (x *exchange) refuse(status int, outcome, reason string) {
	x.refuseWith(status, outcome, outcome, reason, reason)
}

// refuseWith records outcome with the full error for the operator, and
// answers status with public, counting metric.
func (x *exchange) refuseWith(status int, outcome, metric, public, full string) {
	var id int64
	if x.caller != "" || x.s.audit.Allow() { // before authentication, as for 401
		id = x.record(dialect.InboundRecord{Status: status, Outcome: outcome, Error: full})
	}
	x.s.log.Info("inbound request refused", "endpoint", x.path, "status", status, "outcome", outcome, "reason", full, "inbound_id", id)
	x.reply(status, metric, errorBody(public, id))
}

// record writes the request's row in relay.inbound in a transaction of its
// own, completing rec with what the exchange knows, and returns its id (0
// when it could not be written: logged).
func (x *exchange) record(rec dialect.InboundRecord) int64 {
	s := x.s
	rec.Endpoint, rec.Caller, rec.RemoteAddr = x.path, x.caller, x.r.RemoteAddr
	rec.Headers, rec.Body, rec.IdempotencyKey = headersJSON(x.r.Header), string(x.body), x.key
	rec.Duration = time.Since(x.start)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(x.r.Context()), s.cfg.Timeout)
	defer cancel()
	id, err := s.in.Record(ctx, s.conn.DB, &rec)
	if err != nil {
		s.log.Error("cannot record an inbound request in relay.inbound", "endpoint", x.path, "outcome", rec.Outcome, "error", err)
		return 0
	}
	return id
}

// answer sends a procedure's answer: its status and JSON value.
func (x *exchange) answer(status int, outcome, response string, id int64) {
	if id != 0 {
		x.w.Header().Set("Dbrelay-Inbound-Id", strconv.FormatInt(id, 10))
	}
	x.reply(status, outcome, response)
}

// reply writes status and a JSON body (none when body is "") and counts
// the request.
func (x *exchange) reply(status int, outcome, body string) {
	h := x.w.Header()
	if body != "" {
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", strconv.Itoa(len(body)))
	}
	h.Set("Cache-Control", "no-store")
	x.w.WriteHeader(status)
	if body != "" {
		x.w.Write([]byte(body))
	}
	x.s.cfg.Metrics.observe(x.path, outcome, time.Since(x.start))
	if outcome == dialect.OutcomeOK || outcome == dialect.OutcomeReplayed {
		x.s.log.Debug("inbound request", "endpoint", x.path, "status", status, "outcome", outcome)
	}
}

// errorBody is the JSON of an error answer.
func errorBody(msg string, id int64) string {
	v := struct {
		Error     string `json:"error"`
		InboundID int64  `json:"inbound_id,omitempty"`
	}{msg, id}
	b, _ := json.Marshal(v)
	return string(b)
}

// knownCaller tells whether r carries credentials that some endpoint
// accepts, without the slow bcrypt path: a caller who mistyped a path gets
// 404, anyone else the same 401 as a wrong password.
func (s *Server) knownCaller(r *http.Request, t *table) bool {
	var body []byte
	read := false
	for _, e := range t.byPath {
		if e.auth == nil {
			continue
		}
		if e.auth.signsBody() && !read {
			if r.Header.Get("Webhook-Signature") == "" {
				continue
			}
			b, err := readBody(r, t.webhookMaxBody)
			if err != nil {
				return false
			}
			body, read = b, true
		}
		if e.auth.check(r.Context(), r, body, true) == nil {
			return true
		}
	}
	return false
}
