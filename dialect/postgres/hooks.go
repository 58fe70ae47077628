package postgres

import (
	"context"
	"database/sql"

	"github.com/dbrelay/dbrelay/dialect"
)

// runHooks calls relay.run_hooks (procedures/postgres/run_hooks.sql), which
// commits after each hook: it must be called outside a transaction block.
const runHooks = `CALL relay.run_hooks($1, $2, $3, NULL, NULL)`

// RunHooks runs due hook runs in one call of relay.run_hooks: one round trip
// for the batch, a transaction per hook inside it.
func (d Dialect) RunHooks(ctx context.Context, db *sql.DB, p dialect.RunHooksParams) (dialect.HookRuns, error) {
	var r dialect.HookRuns
	err := db.QueryRowContext(ctx, runHooks, p.Max, p.RetryBase.Milliseconds(), p.RetryMax.Milliseconds()).Scan(&r.Ran, &r.Failed)
	return r, d.Explain(err)
}
