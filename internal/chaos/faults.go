package chaos

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/dbrelay/dbrelay/internal/faultproxy"
)

// Lost replies are made in two halves. In the database, a trigger of the
// harness's own (schema chaos, installed only by the scenarios that need
// it) makes the next claim or write-back, once armed, sleep 0.5 s before it
// commits: long enough for the harness to see it running. The proxy then
// holds all traffic (Blackhole) until that statement has committed, and
// cuts every connection: the server did the work, and its reply never
// reaches the listener.
const faultTriggers = `
CREATE SCHEMA chaos;
CREATE TABLE chaos.fault (name text PRIMARY KEY, armed integer NOT NULL DEFAULT 0);
INSERT INTO chaos.fault (name) VALUES ('claim'), ('writeback');

-- take uses one armed fault, if any, without waiting on a lock: a
-- statement that finds the row locked by another just goes on.
CREATE FUNCTION chaos.take(which text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM chaos.fault f WHERE f.name = which AND f.armed > 0) THEN
        RETURN false;
    END IF;
    UPDATE chaos.fault SET armed = armed - 1
    WHERE name IN (SELECT f.name FROM chaos.fault f WHERE f.name = which AND f.armed > 0 FOR UPDATE SKIP LOCKED);
    RETURN FOUND;
END $$;

CREATE FUNCTION chaos.stall() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF chaos.take(TG_ARGV[0]) THEN
        PERFORM pg_sleep(0.5);
    END IF;
    RETURN NULL;
END $$;

-- A claim moves a row to sending; a write-back moves it out of sending.
CREATE TRIGGER chaos_claim AFTER UPDATE ON relay.message FOR EACH ROW
    WHEN (NEW.status = 'sending') EXECUTE FUNCTION chaos.stall('claim');
CREATE TRIGGER chaos_writeback AFTER UPDATE ON relay.message FOR EACH ROW
    WHEN (OLD.status = 'sending' AND NEW.status <> 'sending') EXECUTE FUNCTION chaos.stall('writeback');
`

// InstallFaults adds the lost-reply triggers to d.
func (d *DB) InstallFaults(ctx context.Context) error {
	if _, err := d.ExecContext(ctx, faultTriggers); err != nil {
		return fmt.Errorf("installing the fault triggers: %w", err)
	}
	return nil
}

// LoseReply makes the next statement of kind fault ("claim" or
// "writeback") run and commit on the server while its reply is lost. It
// returns once the connections are cut and traffic flows again.
func (d *DB) LoseReply(ctx context.Context, proxy *faultproxy.Proxy, fault string) error {
	if _, err := d.ExecContext(ctx, `UPDATE chaos.fault SET armed = 1 WHERE name = $1`, fault); err != nil {
		return fmt.Errorf("arming %s: %w", fault, err)
	}
	defer d.ExecContext(context.WithoutCancel(ctx), `UPDATE chaos.fault SET armed = 0 WHERE name = $1`, fault)
	var pid int
	err := poll(ctx, 20*time.Second, 2*time.Millisecond, func() (bool, error) {
		err := d.QueryRowContext(ctx, `
SELECT pid FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event = 'PgSleep'
LIMIT 1`).Scan(&pid)
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		return err == nil, err
	})
	if err != nil {
		return fmt.Errorf("waiting for an armed %s to run: %w", fault, err)
	}
	proxy.Blackhole()
	defer proxy.Restore()
	err = poll(ctx, 10*time.Second, 2*time.Millisecond, func() (bool, error) {
		var state string
		err := d.QueryRowContext(ctx, `SELECT coalesce(state, '') FROM pg_stat_activity WHERE pid = $1`, pid).Scan(&state)
		if errors.Is(err, sql.ErrNoRows) {
			return true, nil // the backend is gone: its statement is over
		}
		return err == nil && state != "active", err
	})
	if err != nil {
		return fmt.Errorf("waiting for the %s to commit: %w", fault, err)
	}
	proxy.Cut()
	return nil
}

// CrashPG stops PostgreSQL the way `pg_ctl stop -m immediate` does
// (SIGQUIT to the postmaster: no checkpoint, WAL not yet flushed is gone)
// and starts it again, which runs crash recovery.
func (l *Lab) CrashPG(ctx context.Context) error {
	if err := syscall.Kill(l.PG.PID(), syscall.SIGQUIT); err != nil {
		return fmt.Errorf("SIGQUIT to postgres: %w", err)
	}
	return l.PG.Restart(ctx)
}

// StopPG stops PostgreSQL (fast shutdown) and waits until it has exited;
// StartPG (Restart) brings it back on the same port.
func (l *Lab) StopPG(ctx context.Context) error {
	pid := l.PG.PID()
	if err := syscall.Kill(pid, syscall.SIGINT); err != nil {
		return fmt.Errorf("SIGINT to postgres: %w", err)
	}
	return poll(ctx, 60*time.Second, 20*time.Millisecond, func() (bool, error) {
		return syscall.Kill(pid, 0) != nil, nil
	})
}

// poll calls cond every step until it reports true, fails, or timeout
// passes.
func poll(ctx context.Context, timeout, step time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if err != nil || ok {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not done after %s", timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(step):
		}
	}
}
