package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
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

// runDrainSyncCommit is the drain with the listener's own sessions
// committing synchronously, so that a claim survives a PostgreSQL crash
// (issue 13, defect 7): against the drain row it is the price of durable
// claims. Today's listener sets synchronous_commit=off on its sessions
// itself, after anything the URL asks for, so the row needs a listener
// switch: SYNC_COMMIT_ARGS names its flags, or a `listen` flag whose name
// mentions synchronous commit or durable claims is used when it exists
// (with "on" when it takes a value). Without either the row is skipped.
func runDrainSyncCommit(ctx context.Context, l *lab) (measurement, error) {
	args, why := syncCommitArgs(ctx, l.bin)
	if args == nil {
		return measurement{}, skipError{why}
	}
	return runDrain(ctx, l, false, args...)
}

// syncCommitArgs finds the flags that make the listener's sessions commit
// synchronously, or says why there are none.
func syncCommitArgs(ctx context.Context, bin string) ([]string, string) {
	if s := strings.TrimSpace(os.Getenv("SYNC_COMMIT_ARGS")); s != "" {
		return strings.Fields(s), ""
	}
	out, err := exec.CommandContext(ctx, bin, "listen", "--help").CombinedOutput()
	if err != nil {
		return nil, fmt.Sprintf("dbrelay listen --help: %v", err)
	}
	// urfave/cli lists a flag as "--name value" when it takes a value
	// (or with an upper-case placeholder), and as "--name" when boolean.
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || !strings.HasPrefix(f[0], "--") {
			continue
		}
		name := strings.TrimSuffix(f[0], ",")
		if !strings.Contains(name, "synchronous-commit") && !strings.Contains(name, "durable") {
			continue
		}
		if len(f) > 1 && (strings.TrimSuffix(f[1], ",") == "value" || f[1] == strings.ToUpper(f[1])) {
			return []string{name + "=on"}, ""
		}
		return []string{name}, ""
	}
	return nil, "the listener has no switch for synchronous_commit on its own sessions (it sets it off itself); set SYNC_COMMIT_ARGS to the flags that select durable claims once it has one"
}
