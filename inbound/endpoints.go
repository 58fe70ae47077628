package inbound

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/dbrelay/dbrelay/dialect"
	"golang.org/x/time/rate"
)

// endpoint is one row of relay.endpoint, ready to serve.
type endpoint struct {
	row     dialect.Endpoint
	auth    authenticator      // nil when broken
	proc    *dialect.Procedure // nil when broken
	limiter *rate.Limiter      // nil: no limit
	// broken says why the endpoint cannot serve (its secret is not set, its
	// procedure does not exist or has another signature). Serve logs it
	// and answers such an endpoint's callers 401 (no secret) or 503.
	broken error
}

// table is the endpoints by path, replaced whole on each reload. Disabled
// ones are kept so that their callers, once authenticated, hear that the
// endpoint is disabled rather than that their credentials are wrong.
type table struct {
	byPath map[string]*endpoint
	digest bool // some endpoint uses Digest: 401s invite it
	// webhookMaxBody is the largest body a webhook endpoint takes: what an
	// unknown path's request is read up to, to check its signature.
	webhookMaxBody int
}

// sameRow compares the fields that matter for serving.
func sameRow(a, b dialect.Endpoint) bool {
	a.CreatedAt, b.CreatedAt = time.Time{}, time.Time{}
	return a == b
}

// newLimiter allows ratePerMinute requests per minute, in bursts of up to
// a tenth of that (at least one).
func newLimiter(ratePerMinute int) *rate.Limiter {
	if ratePerMinute <= 0 {
		return nil
	}
	burst := int(math.Max(1, float64(ratePerMinute)/10))
	return rate.NewLimiter(rate.Limit(float64(ratePerMinute)/60), burst)
}

// load reads relay.endpoint and builds the table, reusing what has not
// changed from old (so rate limits and cached password checks carry over).
// It returns the endpoints that cannot serve, with the reason.
func (s *Server) load(ctx context.Context, old *table) (*table, []*endpoint, error) {
	rows, err := s.in.Endpoints(ctx, s.conn.DB)
	if err != nil {
		return nil, nil, fmt.Errorf("read relay.endpoint: %w", err)
	}
	t := &table{byPath: map[string]*endpoint{}}
	var broken []*endpoint
	for _, row := range rows {
		var prev *endpoint
		if old != nil {
			prev = old.byPath[row.Path]
		}
		e := s.build(ctx, row, prev)
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		t.byPath[row.Path] = e
		if !row.Enabled {
			continue
		}
		t.digest = t.digest || row.Auth == dialect.AuthDigest
		if row.Auth == dialect.AuthWebhook {
			t.webhookMaxBody = max(t.webhookMaxBody, row.MaxBodyBytes)
		}
		if e.broken != nil {
			broken = append(broken, e)
		}
	}
	return t, broken, nil
}

// build prepares one endpoint, reusing prev's authenticator, limiter and
// prepared call when they still apply.
func (s *Server) build(ctx context.Context, row dialect.Endpoint, prev *endpoint) *endpoint {
	e := &endpoint{row: row}
	if prev != nil && sameRow(prev.row, row) && prev.auth != nil {
		e.auth, e.limiter = prev.auth, prev.limiter
	} else {
		e.limiter = newLimiter(row.RatePerMinute)
		auth, err := newAuthenticator(row, s.cfg.Secrets.Get, &s.cfg, s.digest)
		if err != nil {
			e.broken = fmt.Errorf("endpoint %s cannot authenticate anyone: %w", row.Path, err)
		}
		e.auth = auth
	}
	if !row.Enabled {
		return e // nothing runs: its procedure need not exist
	}
	// The procedure is looked up on every load: it may have been dropped,
	// created again (a new prepared call), or never existed.
	var prevProc *dialect.Procedure
	if prev != nil {
		prevProc = prev.proc
	}
	proc, err := s.stmts.Resolve(ctx, row.Procedure, prevProc)
	if err != nil {
		e.broken = errors.Join(e.broken, fmt.Errorf("endpoint %s: %w", row.Path, err))
	}
	e.proc = proc
	return e
}

// retire closes the prepared calls of old that table t no longer uses,
// once requests that may still hold them are done.
func (s *Server) retire(old, t *table) {
	if old == nil {
		return
	}
	var stale []*dialect.Procedure
	for path, e := range old.byPath {
		if e.proc == nil {
			continue
		}
		if n, ok := t.byPath[path]; !ok || n.proc != e.proc {
			stale = append(stale, e.proc)
		}
	}
	if len(stale) > 0 {
		time.AfterFunc(s.cfg.Timeout+time.Second, func() {
			for _, p := range stale {
				p.Close()
			}
		})
	}
}
