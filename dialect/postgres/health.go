package postgres

import (
	"context"
	"database/sql"
	"time"

	"github.com/dbrelay/dbrelay/dialect"
	"github.com/lib/pq"
)

// relay.channel_health (migration 10) and what reads it.
const (
	// forgetHealth deletes a listener's rows, and every row no listener
	// wrote for a day (listeners that died without saying so).
	forgetHealth = `
DELETE FROM relay.channel_health
WHERE listener = $1 OR reported_at < now() - interval '1 day'`

	// reportHealth writes a listener's rows, after forgetHealth in the
	// same transaction. parked_until comes as milliseconds from now (0:
	// not parked), so that it is measured on the database's clock, as the
	// view compares it.
	reportHealth = `
INSERT INTO relay.channel_health (channel, listener, up, reason, parked_until)
SELECT h.channel, $1, h.up, nullif(h.reason, ''),
       CASE WHEN h.parked_ms > 0 THEN now() + h.parked_ms * interval '1 millisecond' END
FROM unnest($2::text[], $3::boolean[], $4::text[], $5::bigint[]) AS h(channel, up, reason, parked_ms)`

	// waitingByChannel counts unfinished messages per channel. Exactly
	// the unfinished rows have a next_attempt_at (message_due_check), so
	// the partial index message_due covers them, however many finished
	// messages the table keeps.
	waitingByChannel = `
SELECT channel, count(*) FROM relay.message WHERE next_attempt_at IS NOT NULL GROUP BY channel`

	channelStats = `
SELECT channel, kind, enabled, pending, sending, sent, dead, cancelled, up, reason, parked_until, waiting
FROM relay_api.channel_stats ORDER BY channel`
)

func (d Dialect) ReportHealth(ctx context.Context, db *sql.DB, listener string, hs []dialect.ChannelHealth) error {
	n := len(hs)
	chans, ups, reasons, parked := make([]string, n), make([]bool, n), make([]string, n), make([]int64, n)
	for i, h := range hs {
		chans[i], ups[i], reasons[i] = h.Channel, h.Up, dialect.TrimReason(h.Reason)
		if !h.ParkedUntil.IsZero() {
			parked[i] = max(1, time.Until(h.ParkedUntil).Milliseconds())
		}
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return d.Explain(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, forgetHealth, listener); err != nil {
		return d.Explain(err)
	}
	if _, err := tx.ExecContext(ctx, reportHealth, listener, pq.Array(chans), pq.Array(ups), pq.Array(reasons), pq.Array(parked)); err != nil {
		return d.Explain(err)
	}
	return d.Explain(tx.Commit())
}

func (d Dialect) ForgetHealth(ctx context.Context, db *sql.DB, listener string) error {
	_, err := db.ExecContext(ctx, forgetHealth, listener)
	return d.Explain(err)
}

func (d Dialect) Waiting(ctx context.Context, db *sql.DB) (map[string]int64, error) {
	return dialect.QueryScan(ctx, db, d.Explain, dialect.ScanWaiting, waitingByChannel)
}

func (d Dialect) ChannelStats(ctx context.Context, db *sql.DB) ([]dialect.ChannelStat, error) {
	return dialect.QueryScan(ctx, db, d.Explain, dialect.ScanChannelStats, channelStats)
}
