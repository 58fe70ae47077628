package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// The host-cost rows: what writing to the outbox costs the host's own
// transactions. cfg.HostConns connections commit as fast as they can, each
// transaction an INSERT into a host table of the bench's own plus (by
// variant) the outbox write, while `dbrelay listen` (default flags) drains
// at the same time, as it would in production. The point is the commit
// rate: PostgreSQL takes a global lock at commit for any transaction that
// sent a NOTIFY and holds it through the WAL flush, so a wake-up that
// notifies on every insert serialises the hosts' commits.

// hostKind is one variant of the host transaction.
type hostKind int

const (
	// hostAlone: the host INSERT only; the listener idles.
	hostAlone hostKind = iota
	// hostDirect: plus a hand-written INSERT of the same row relay.push
	// would write, with every wake-up trigger disabled: the physical floor
	// of any outbox.
	hostDirect
	// hostFoundation: plus CALL relay.push, with the product's wake-up
	// triggers disabled and the foundation's in their place: a statement
	// trigger that always calls pg_notify.
	hostFoundation
	// hostCurrent: plus CALL relay.push with the product's triggers as
	// installed.
	hostCurrent
)

const (
	hostInsert = `INSERT INTO bench_host.orders (data) VALUES ($1)`
	// hostMessage writes exactly the row that relay.push('bench', 'bench',
	// 'order', $1) writes for receiver bench (relay.enqueue's defaults).
	hostMessage = `INSERT INTO relay.message (sender, receiver, channel, address, title, body)
VALUES ('bench', 'bench', 'sink', 'bench', 'order', $1)`
	hostPush = `CALL relay.push('bench', 'bench', 'order', $1)`

	// foundationWake is the foundation's wake-up, installed by the bench for
	// variant (c) under names that no product trigger uses.
	foundationWake = `
CREATE FUNCTION bench_host.bench_foundation_wake() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('relay_message', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER bench_foundation_wake
    AFTER INSERT ON relay.message
    FOR EACH STATEMENT EXECUTE FUNCTION bench_host.bench_foundation_wake();`
	dropFoundationWake = `
DROP TRIGGER IF EXISTS bench_foundation_wake ON relay.message;
DROP FUNCTION IF EXISTS bench_host.bench_foundation_wake();`

	// wakeTriggers lists the product's enabled wake-up triggers as
	// installed, on whatever table they are: every trigger whose name
	// starts with message_wake (triggers/postgres/ defines them; the
	// wake-up's design may change, its naming is the contract).
	wakeTriggers = `
SELECT format('%I.%I', n.nspname, c.relname), format('%I', t.tgname)
FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT t.tgisinternal AND t.tgname LIKE 'message\_wake%' AND t.tgenabled <> 'D'
ORDER BY 1, 2`
)

func hostVariant(k hostKind) func(ctx context.Context, l *lab) (measurement, error) {
	return func(ctx context.Context, l *lab) (measurement, error) { return runHost(ctx, l, k) }
}

func runHost(ctx context.Context, l *lab, k hostKind) (measurement, error) {
	var m measurement
	d, err := l.freshDB(ctx, "host")
	if err != nil {
		return m, err
	}
	defer l.drop(ctx, d)
	if err := l.installRelay(ctx, d); err != nil {
		return m, err
	}
	if _, err := d.pool.Exec(ctx, `CREATE SCHEMA bench_host`); err != nil {
		return m, fmt.Errorf("host schema: %w", err)
	}
	if _, err := d.pool.Exec(ctx, `CREATE TABLE bench_host.orders (id bigserial PRIMARY KEY, data text NOT NULL)`); err != nil {
		return m, fmt.Errorf("host table: %w", err)
	}
	if k == hostDirect || k == hostFoundation {
		restore, err := disableWakeTriggers(ctx, d)
		if err != nil {
			return m, err
		}
		defer restore()
	}
	if k == hostFoundation {
		if _, err := d.pool.Exec(ctx, foundationWake); err != nil {
			return m, fmt.Errorf("installing the foundation's wake-up: %w", err)
		}
		defer d.pool.Exec(context.WithoutCancel(ctx), dropFoundationWake)
	}

	lst, err := l.startListener(d)
	if err != nil {
		return m, err
	}
	defer lst.stop(30 * time.Second)
	// One message end to end: the listener is up (in (b) it finds it by
	// polling, within its poll interval).
	if err := l.sink.reset(ctx); err != nil {
		return m, err
	}
	if _, err := d.pool.Exec(ctx, hostPush, `{"t":0,"warm-up":true}`); err != nil {
		return m, fmt.Errorf("warm-up push: %w", err)
	}
	if _, err := l.sink.waitCount(ctx, 1, time.Now().Add(l.cfg.Listener.PollInterval+30*time.Second), lst); err != nil {
		return m, fmt.Errorf("warm-up message: %w", err)
	}
	if err := checkpoint(ctx, d); err != nil {
		return m, err
	}
	if err := l.sink.reset(ctx); err != nil {
		return m, err
	}

	before := l.sample(lst)
	start := time.Now()
	commits, err := runHosts(ctx, d, k, l.cfg.HostConns, start.Add(l.cfg.HostDuration))
	if err != nil {
		return m, err
	}
	elapsed := time.Since(start)
	used := l.sample(lst).sub(before)
	delivered, err := l.sink.count(ctx)
	if err != nil {
		return m, err
	}
	m.RSS = lst.peakRSS()
	m.Rate = float64(commits) / elapsed.Seconds()
	m.Delivered = float64(delivered) / elapsed.Seconds()
	m.CPU = used.perUnit(commits)
	return m, nil
}

// runHosts runs conns host connections until deadline and returns how many
// transactions they committed.
func runHosts(ctx context.Context, d *database, k hostKind, conns int, deadline time.Time) (int64, error) {
	var commits atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := d.pool.Acquire(ctx)
			if err != nil {
				errs <- fmt.Errorf("host connection %d: %w", c, err)
				return
			}
			defer conn.Release()
			buf := make([]byte, 0, 512)
			for seq := c; time.Now().Before(deadline); seq += conns {
				buf = appendPayload(buf[:0], seq, time.Now().UnixNano())
				if err := hostTx(ctx, conn.Conn(), k, string(buf)); err != nil {
					errs <- fmt.Errorf("host transaction (connection %d): %w", c, err)
					return
				}
				commits.Add(1)
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		return 0, err
	default:
	}
	return commits.Load(), nil
}

// hostTx is one host transaction, statement by statement as an application
// sends them (pgx prepares and caches each statement on first use).
func hostTx(ctx context.Context, conn *pgx.Conn, k hostKind, data string) error {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, hostInsert, data); err != nil {
		return err
	}
	switch k {
	case hostDirect:
		_, err = tx.Exec(ctx, hostMessage, data)
	case hostFoundation, hostCurrent:
		_, err = tx.Exec(ctx, hostPush, data)
	}
	if err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// disableWakeTriggers disables the product's wake-up triggers and returns
// the function that enables them again.
func disableWakeTriggers(ctx context.Context, d *database) (func(), error) {
	rows, err := d.pool.Query(ctx, wakeTriggers)
	if err != nil {
		return nil, fmt.Errorf("listing the wake-up triggers: %w", err)
	}
	type trig struct{ table, name string }
	var found []trig
	for rows.Next() {
		var t trig
		if err := rows.Scan(&t.table, &t.name); err != nil {
			rows.Close()
			return nil, err
		}
		found = append(found, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("found no trigger named message_wake* to disable; has the wake-up been renamed?")
	}
	var names []string
	restore := func() {
		for _, t := range found {
			d.pool.Exec(context.WithoutCancel(ctx), "ALTER TABLE "+t.table+" ENABLE TRIGGER "+t.name)
		}
	}
	for _, t := range found {
		if _, err := d.pool.Exec(ctx, "ALTER TABLE "+t.table+" DISABLE TRIGGER "+t.name); err != nil {
			restore()
			return nil, fmt.Errorf("disabling trigger %s on %s: %w", t.name, t.table, err)
		}
		names = append(names, t.table+"."+t.name)
	}
	progress("  wake-up triggers disabled for this variant: %s", strings.Join(names, ", "))
	return restore, nil
}
