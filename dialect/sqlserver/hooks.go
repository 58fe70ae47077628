package sqlserver

import (
	"context"
	"database/sql"

	"github.com/dbrelay/dbrelay/dialect"
)

// runHooks calls relay.run_hooks (procedures/sqlserver/run_hooks.sql), which
// begins and commits a transaction per hook: it must be called outside a
// transaction. It returns one row: (ran, failed).
const runHooks = `
SET NOCOUNT ON;
DECLARE @ran int;
DECLARE @failed int;
EXEC relay.run_hooks @max_runs = @p1, @retry_base_ms = @p2, @retry_max_ms = @p3,
    @ran = @ran OUTPUT, @failed = @failed OUTPUT;
SELECT @ran, @failed;`

// RunHooks runs due hook runs in one call of relay.run_hooks: one round trip
// for the batch, a transaction per hook inside it.
func (d Dialect) RunHooks(ctx context.Context, db *sql.DB, p dialect.RunHooksParams) (dialect.HookRuns, error) {
	var r dialect.HookRuns
	err := db.QueryRowContext(ctx, runHooks, p.Max, p.RetryBase.Milliseconds(), p.RetryMax.Milliseconds()).Scan(&r.Ran, &r.Failed)
	return r, d.Explain(err)
}
