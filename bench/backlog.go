package main

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// seedBacklog gives d the history of a long-lived installation: n finished
// (sent) messages with the same ~300-byte payload, and one delivery row each.
//
// Setup is outside the clock but must stay short, so:
//   - it runs in one transaction with session_replication_role = replica,
//     which skips user triggers and foreign-key checks: this is history
//     written in bulk, not host traffic, and the per-row validation trigger
//     would cost more than the drain it prepares. The rows are written
//     consistent with what the triggers maintain (sent ⇒ next_attempt_at
//     NULL, no lease);
//   - keys are version-4-shaped UUIDs made from the row number, so the
//     unique index on key fills in order: random keys double the setup
//     time, and neither the claim nor the write-back reads key.
func seedBacklog(ctx context.Context, d *database, n int) error {
	start := time.Now()
	err := pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL session_replication_role = replica`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `
INSERT INTO relay.message (key, sender, receiver, channel, address, title, payload, status, attempts,
                           next_attempt_at, created_at, sent_at, response_code)
SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid,
       'bench', 'bench', 'sink', 'bench', 'order', `+payloadSQL+`, 'sent', 1,
       NULL, now() - interval '2 days', now() - interval '2 days', 200
FROM generate_series(1, $2) g`, time.Now().UnixNano(), n)
		if err != nil {
			return fmt.Errorf("finished messages: %w", err)
		}
		_, err = tx.Exec(ctx, `
INSERT INTO relay.delivery (message_id, attempt, started_at, duration_ms, outcome, response_code)
SELECT id, 1, created_at, 2, 'sent', 200 FROM relay.message`)
		if err != nil {
			return fmt.Errorf("delivery rows: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("seeding the backlog: %w", err)
	}
	progress("  %s finished messages and their delivery rows written in %s", count(n), time.Since(start).Round(100*time.Millisecond))
	return nil
}

// explainClaim writes EXPLAIN (ANALYZE, BUFFERS) of the listener's claim
// statement, run against the backlog with the N pending messages in place,
// inside a transaction that is rolled back so that it claims nothing.
//
// The statement is not copied here: it is read from the product's source
// (the constant claimDue in dialect/postgres/queries.go) each run, so the
// plan is always the one of the listener being measured.
func (l *lab) explainClaim(ctx context.Context, d *database) error {
	src := filepath.Join(l.repo, "dialect", "postgres", "queries.go")
	claim, err := stringConst(src, "claimDue")
	if err != nil {
		return err
	}
	batch, leaseMs := l.cfg.Listener.BatchSize, l.cfg.Listener.Lease.Milliseconds()
	var plan []string
	err = pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		// The listener's arguments with its defaults: every channel ($4),
		// no channel deferred ($5 codes, $7 delays, $8 reasons), durable
		// claims ($6, synchronous_commit on).
		rows, err := tx.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+claim, batch, "bench-explain", leaseMs,
			[]string{}, []string{}, "on", []int64{}, []string{})
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				return err
			}
			plan = append(plan, line)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return errRollback
	})
	if err != nil && !errors.Is(err, errRollback) {
		return fmt.Errorf("EXPLAIN of the claim: %w", err)
	}
	var version string
	d.pool.QueryRow(ctx, `SELECT version()`).Scan(&version)
	var b strings.Builder
	fmt.Fprintf(&b, "EXPLAIN (ANALYZE, BUFFERS) of the listener's claim (claimDue in dialect/postgres/queries.go),\n")
	fmt.Fprintf(&b, "with %s finished messages and %s delivery rows, %s pending, after VACUUM ANALYZE;\n", count(l.cfg.Backlog), count(l.cfg.Backlog), count(l.cfg.N))
	fmt.Fprintf(&b, "parameters $1=%d (default batch size), $2='bench-explain', $3=%d (default lease, ms); run in a\n", batch, leaseMs)
	fmt.Fprintf(&b, "transaction that was rolled back. %s, %s.\n\n", version, time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "Statement:\n%s\n\nPlan:\n%s\n", strings.TrimSpace(claim), strings.Join(plan, "\n"))
	if err := os.WriteFile(l.explain, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", l.explain, err)
	}
	return nil
}

// errRollback makes pgx.BeginFunc roll back without reporting a failure.
var errRollback = errors.New("rollback on purpose")

// stringConst reads the value of the string constant name from a Go file,
// without importing its (unexported) package.
func stringConst(path, name string) (string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		return "", fmt.Errorf("reading the claim statement from %s: %w", path, err)
	}
	for _, decl := range f.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.CONST {
			continue
		}
		for _, spec := range gen.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, id := range vs.Names {
				if id.Name != name || i >= len(vs.Values) {
					continue
				}
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return "", fmt.Errorf("%s in %s is not a plain string literal", name, path)
				}
				return strconv.Unquote(lit.Value)
			}
		}
	}
	return "", fmt.Errorf("no constant %s in %s; has the claim statement moved?", name, path)
}
