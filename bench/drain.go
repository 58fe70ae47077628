package main

import (
	"context"
	"fmt"
	"time"
)

// runDrain measures `dbrelay listen` delivering N messages that were all
// pending before it started. The clock runs from starting the process
// (start-up is part of what a user waits for) until every message is sent
// and has its relay.delivery row. With backlog, the tables first get
// cfg.Backlog finished messages and as many delivery rows, as a long-lived
// installation has. extra are flags added to the listener's defaults.
func runDrain(ctx context.Context, l *lab, backlog bool, extra ...string) (measurement, error) {
	var m measurement
	d, err := l.freshDB(ctx, "drain")
	if err != nil {
		return m, err
	}
	defer l.drop(ctx, d)
	if err := l.installRelay(ctx, d); err != nil {
		return m, err
	}
	if backlog {
		if err := seedBacklog(ctx, d, l.cfg.Backlog); err != nil {
			return m, err
		}
	}
	var firstID int64
	if err := d.pool.QueryRow(ctx, `SELECT coalesce(max(id), 0) + 1 FROM relay.message`).Scan(&firstID); err != nil {
		return m, fmt.Errorf("reading the first pending id: %w", err)
	}
	n := l.cfg.N
	_, err = d.pool.Exec(ctx, `
INSERT INTO relay.message (sender, receiver, channel, title, payload)
SELECT 'bench', 'bench', 'sink', 'order', `+payloadSQL+`
FROM generate_series(1, $2) g`, time.Now().UnixNano(), n)
	if err != nil {
		return m, fmt.Errorf("inserting %d pending messages: %w", n, err)
	}
	if _, err := d.pool.Exec(ctx, `VACUUM ANALYZE relay.message, relay.delivery`); err != nil {
		return m, fmt.Errorf("VACUUM ANALYZE: %w", err)
	}
	if backlog {
		if err := l.explainClaim(ctx, d); err != nil {
			return m, err
		}
	}
	if err := checkpoint(ctx, d); err != nil {
		return m, err
	}
	if err := l.sink.reset(ctx); err != nil {
		return m, err
	}

	before := l.sample(nil)
	start := time.Now()
	lst, err := l.startListener(d, extra...)
	if err != nil {
		return m, err
	}
	defer lst.stop(30 * time.Second)
	deadline := deadlineFor(n)
	if _, err := l.sink.waitCount(ctx, int64(n), deadline, lst); err != nil {
		return m, fmt.Errorf("drain: %w", err)
	}
	if err := waitRelayFinished(ctx, d, firstID, n, deadline); err != nil {
		return m, err
	}
	elapsed := time.Since(start)
	used := l.sample(lst).sub(before)
	m.RSS = lst.peakRSS()
	if err := lst.stop(30 * time.Second); err != nil {
		return m, err
	}

	var sent int
	if err := d.pool.QueryRow(ctx, `SELECT count(*) FROM relay.message WHERE id >= $1 AND status = 'sent'`, firstID).Scan(&sent); err != nil {
		return m, fmt.Errorf("counting sent messages: %w", err)
	}
	if sent != n {
		return m, fmt.Errorf("drain: %d of %d messages ended sent; see relay.message.last_error", sent, n)
	}
	m.Rate = float64(n) / elapsed.Seconds()
	m.CPU = used.perUnit(int64(n))
	return m, nil
}

// waitRelayFinished waits until none of the drained messages is due or
// leased and each has a delivery row. It runs once the sink has counted
// every message, so only the last write-backs are awaited; both queries
// go through indexes (the partial index of unfinished rows, and
// relay.delivery's message_id index), because a full count every few
// milliseconds would cost the server more than the listener does.
func waitRelayFinished(ctx context.Context, d *database, firstID int64, n int, deadline time.Time) error {
	for {
		var open, delivered int
		err := d.pool.QueryRow(ctx, `SELECT count(*) FROM relay.message WHERE next_attempt_at IS NOT NULL`).Scan(&open)
		if err == nil && open == 0 {
			err = d.pool.QueryRow(ctx, `SELECT count(*) FROM relay.delivery WHERE message_id >= $1`, firstID).Scan(&delivered)
			if err == nil && delivered >= n {
				return nil
			}
		}
		if err != nil {
			return fmt.Errorf("waiting for write-backs: %w", err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("drain: %d messages still unfinished and %d of %d delivery rows at the deadline", open, delivered, n)
		}
		time.Sleep(2 * time.Millisecond) // bounded polling of a database condition
	}
}

// runDrainAsyncClaims is the drain with claims committed asynchronously
// (`listen --durable-claims=false`), the listener's behaviour before issue
// 13 defect 7. The drain row runs the default, durable claims (a claim the
// listener acted on survives a PostgreSQL crash); drain ÷ this row is what
// that durability costs.
func runDrainAsyncClaims(ctx context.Context, l *lab) (measurement, error) {
	return runDrain(ctx, l, false, "--durable-claims=false")
}
