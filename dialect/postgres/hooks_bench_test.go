package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/dialect"
	"github.com/dbrelay/dbrelay/pgserver/pgtest"
)

// BenchmarkRunHooks measures the hook runner with the default (empty)
// relay.on_outcome: relay.run_hooks in batches of 100, a transaction per
// hook. ns/op is per hook run. Run it with
//
//	go test -run '^$' -bench RunHooks ./dialect/postgres/
func BenchmarkRunHooks(b *testing.B) {
	ctx := context.Background()
	c, err := dialect.Open(pgtest.Migrated(b))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	if _, err := c.DB.Exec(`INSERT INTO relay.hook_run (message_id, status, channel, receiver, event)
		SELECT g, 'sent', 'inbox', 'r', 'MESSAGE' FROM generate_series(1, $1) AS g`, b.N); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	done := 0
	for done < b.N {
		runs, err := c.Dialect.RunHooks(ctx, c.DB, dialect.RunHooksParams{Max: 100, RetryBase: time.Second, RetryMax: time.Hour})
		if err != nil {
			b.Fatal(err)
		}
		if runs.Ran == 0 {
			b.Fatalf("ran %d of %d, then nothing", done, b.N)
		}
		done += runs.Ran
	}
}
