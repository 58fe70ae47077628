package sqlserver

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/dbrelay/dbrelay/dialect"
	mssql "github.com/microsoft/go-mssqldb"
)

// relay.channel_health (migration 10) and what reads it.
const (
	// reportHealth replaces a listener's rows (@p1) with the JSON array
	// @p2 in one transaction, and deletes every row no listener wrote for
	// a day (listeners that died without saying so). parked_ms is counted
	// from now on the database's clock (0: not parked), as the view
	// compares parked_until with SYSUTCDATETIME().
	reportHealth = `
SET NOCOUNT ON;
SET XACT_ABORT ON;
BEGIN TRANSACTION;
DELETE FROM relay.channel_health
WHERE listener = @p1 OR reported_at < DATEADD(day, -1, SYSUTCDATETIME());
INSERT INTO relay.channel_health (channel, listener, up, reason, parked_until)
SELECT j.channel, @p1, j.up, NULLIF(j.reason, N''),
       CASE WHEN j.parked_ms > 0 THEN DATEADD(millisecond, j.parked_ms, SYSUTCDATETIME()) END
FROM OPENJSON(@p2) WITH (
    channel nvarchar(100) '$.channel',
    up bit '$.up',
    reason nvarchar(1000) '$.reason',
    parked_ms int '$.parked_ms'
) AS j;
COMMIT TRANSACTION;`

	forgetHealth = `
DELETE FROM relay.channel_health
WHERE listener = @p1 OR reported_at < DATEADD(day, -1, SYSUTCDATETIME());`

	// waitingByChannel counts unfinished messages per channel: exactly the
	// rows with a next_attempt_at, which message_due seeks.
	waitingByChannel = `
SELECT channel, COUNT_BIG(*) FROM relay.message WHERE next_attempt_at IS NOT NULL GROUP BY channel;`

	channelStats = `
SELECT channel, kind, enabled, pending, sending, sent, dead, cancelled, up, reason, parked_until, waiting
FROM relay_api.channel_stats ORDER BY channel;`
)

type healthRow struct {
	Channel  string `json:"channel"`
	Up       bool   `json:"up"`
	Reason   string `json:"reason"`
	ParkedMS int64  `json:"parked_ms"`
}

func (d Dialect) ReportHealth(ctx context.Context, db *sql.DB, listener string, hs []dialect.ChannelHealth) error {
	rows := make([]healthRow, len(hs))
	for i, h := range hs {
		rows[i] = healthRow{Channel: h.Channel, Up: h.Up, Reason: dialect.TrimReason(h.Reason)}
		if !h.ParkedUntil.IsZero() {
			// Parks last minutes at most: an int of milliseconds holds them.
			rows[i].ParkedMS = max(1, min(time.Until(h.ParkedUntil).Milliseconds(), 1<<31-1))
		}
	}
	payload, err := json.Marshal(rows)
	if err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, reportHealth, mssql.NVarCharMax(listener), mssql.NVarCharMax(payload))
	return d.Explain(err)
}

func (d Dialect) ForgetHealth(ctx context.Context, db *sql.DB, listener string) error {
	_, err := db.ExecContext(ctx, forgetHealth, mssql.NVarCharMax(listener))
	return d.Explain(err)
}

func (d Dialect) Waiting(ctx context.Context, db *sql.DB) (map[string]int64, error) {
	return dialect.QueryScan(ctx, db, d.Explain, dialect.ScanWaiting, waitingByChannel)
}

func (d Dialect) ChannelStats(ctx context.Context, db *sql.DB) ([]dialect.ChannelStat, error) {
	return dialect.QueryScan(ctx, db, d.Explain, dialect.ScanChannelStats, channelStats)
}
