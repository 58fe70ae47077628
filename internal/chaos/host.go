package chaos

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"
)

// hostConcurrency: 16 host connections push through relay.push, each call
// in a transaction of its own that commits or (one in four) rolls back,
// while a listener drains. Every committed message must be delivered, and
// no rolled-back one may ever reach the receiver.
func hostConcurrency(ctx context.Context, r *Run) error {
	if err := r.Channel(ctx, "host", Behaviour{}, 5*time.Second, 100); err != nil {
		return err
	}
	r.SentMetric = true
	lst, err := r.Listen(ctx, "--grace", grace.String())
	if err != nil {
		return err
	}
	const hosts = 16
	var (
		mu         sync.Mutex
		committed  []int64
		rolledBack []int64
		wg         sync.WaitGroup
		firstErr   error
	)
	hctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for h := 0; h < hosts; h++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := 0; hctx.Err() == nil; seq++ {
				mu.Lock()
				done := len(committed) >= r.N
				mu.Unlock()
				if done {
					return
				}
				ids, commit, err := hostTransaction(hctx, r.DB.DB, h, seq)
				mu.Lock()
				switch {
				case err != nil && hctx.Err() == nil && firstErr == nil:
					firstErr = err
					cancel()
				case err != nil:
				case commit:
					committed = append(committed, ids...)
				default:
					rolledBack = append(rolledBack, ids...)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	r.Expect.Pushed = committed
	for _, id := range rolledBack {
		r.Expect.Forbidden[id] = true
	}
	r.Note("%d host transactions' messages committed, %d rolled back", len(committed), len(rolledBack))
	return r.Finish(ctx, lst, drainDeadline(r.N), 0, grace)
}

// hostTransaction is one host transaction: BEGIN; CALL relay.push for one
// or two receivers; COMMIT, or ROLLBACK one time in four. It returns
// the ids the push created and whether they were committed.
func hostTransaction(ctx context.Context, db *sql.DB, host, seq int) ([]int64, bool, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, false, err
	}
	defer tx.Rollback()
	names := []string{fmt.Sprintf("h%d-%d-a", host, seq)}
	if seq%3 == 0 {
		names = append(names, fmt.Sprintf("h%d-%d-b", host, seq))
	}
	receivers := names[0]
	if len(names) > 1 {
		receivers += ", " + names[1]
	}
	if _, err := tx.ExecContext(ctx, `CALL relay.push('chaos', $1, 'host message', 'from a host transaction')`, receivers); err != nil {
		return nil, false, fmt.Errorf("host %d: CALL relay.push: %w", host, err)
	}
	// relay.enqueue notes each id in a transaction-local setting, which
	// is how `dbrelay push` reports them too.
	var list string
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(current_setting('relay.enqueued_ids', true), '')`).Scan(&list); err != nil {
		return nil, false, err
	}
	var ids []int64
	for _, f := range strings.Split(list, ",") {
		if id, err := strconv.ParseInt(strings.TrimSpace(f), 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	if len(ids) != len(names) {
		return nil, false, fmt.Errorf("host %d: relay.push made %d messages for %d receivers", host, len(ids), len(names))
	}
	if rand.IntN(4) == 0 {
		return ids, false, tx.Rollback()
	}
	return ids, true, tx.Commit()
}
