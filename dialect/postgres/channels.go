package postgres

import (
	"errors"

	"github.com/dbrelay/dbrelay/dialect"
	"github.com/lib/pq"
)

var _ dialect.ChannelDialect = Dialect{}

// ChannelTables is `dbrelay channel`'s SQL.
func (Dialect) ChannelTables() dialect.ChannelTables {
	return dialect.ChannelTables{
		ListChannels: `
SELECT code, kind, target, config::text, coalesce(secret_env, ''), enabled, max_attempts, timeout_ms,
       coalesce(rate_per_minute, 0)
FROM relay.channel
ORDER BY code`,
		InsertChannel: `
INSERT INTO relay.channel (code, kind, target, config, secret_env, enabled, max_attempts, timeout_ms, rate_per_minute)
VALUES ($1, $2, $3, $4::jsonb, nullif($5, ''), $6, $7, $8, nullif($9, 0))`,
		SetEnabled: `UPDATE relay.channel SET enabled = $2 WHERE code = $1`,
		Stats:      `SELECT * FROM relay_api.channel_stats WHERE channel = $1`,
		InsertEcho: `
SELECT relay.enqueue('dbrelay', $2, $1, 'ECHO', 'dbrelay channel test', $4::jsonb, 'ECHO', 'dbrelay channel test', nullif($3, ''))`,
		FirstAttempt: `
SELECT d.outcome, coalesce(d.response_code, 0), coalesce(d.duration_ms, 0), coalesce(d.error, ''),
       coalesce(o.response_body, ''), o.status
FROM relay_api.deliveries d
JOIN relay_api.outbox o ON o.id = d.message_id
WHERE d.message_id = $1
ORDER BY d.attempt
LIMIT 1`,
		CancelPending: `UPDATE relay.message SET status = 'cancelled' WHERE id = $1 AND status = 'pending'`,
		Duplicate: func(err error) bool {
			var pqErr *pq.Error
			return errors.As(err, &pqErr) && pqErr.Code == "23505" // unique_violation
		},
		Explain: Dialect{}.Explain,
	}
}
