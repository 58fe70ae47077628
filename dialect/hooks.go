package dialect

import (
	"context"
	"database/sql"
	"time"
)

// Hooks runs the integrators' hooks that dbrelay calls after the fact.
//
// Why after the fact: an outcome hook (relay.on_outcome) used to run inside
// the listener's write-back transaction, so one broken hook could roll back
// the outcomes of a whole batch (on SQL Server, where most errors raised in
// a trigger doom the transaction) and have those messages delivered again.
// Now the outcome trigger only queues a row in relay.hook_run; the
// listener's hook runner calls RunHooks, which runs each queued hook in a
// transaction of its own, after the outcome is committed.
type Hooks interface {
	// RunHooks runs up to p.Max due hook runs (relay.run_hooks), each in
	// its own transaction together with the removal of its queue row, so
	// that a hook's work and its dequeue commit or roll back together. A
	// failing hook's transaction is rolled back and the failure recorded in
	// its row (relay_api.hook_failures), due again after a backoff.
	RunHooks(ctx context.Context, db *sql.DB, p RunHooksParams) (HookRuns, error)
}

// RunHooksParams tunes one call of RunHooks.
type RunHooksParams struct {
	Max int // most hook runs in this call
	// RetryBase is the delay after a hook's first failure; it doubles with
	// each further failure, up to RetryMax.
	RetryBase time.Duration
	RetryMax  time.Duration
}

// HookRuns counts what one call of RunHooks did.
type HookRuns struct {
	Ran    int // hooks that ran and committed
	Failed int // hooks that failed (rolled back, to be retried)
}
