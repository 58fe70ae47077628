package sqlserver

import "github.com/dbrelay/dbrelay/dialect"

var _ dialect.ChannelDialect = Dialect{}

// ChannelTables is `dbrelay channel`'s SQL.
func (Dialect) ChannelTables() dialect.ChannelTables {
	return dialect.ChannelTables{
		ListChannels: `
SELECT code, kind, target, config, ISNULL(secret_env, N''), enabled, max_attempts, timeout_ms,
    ISNULL(rate_per_minute, 0)
FROM relay.channel
ORDER BY code;`,
		InsertChannel: `
INSERT INTO relay.channel (code, kind, target, config, secret_env, enabled, max_attempts, timeout_ms, rate_per_minute)
VALUES (@p1, @p2, @p3, @p4, NULLIF(@p5, N''), @p6, @p7, @p8, NULLIF(@p9, 0));`,
		SetEnabled: `UPDATE relay.channel SET enabled = @p2 WHERE code = @p1;`,
		Stats:      `SELECT * FROM relay_api.channel_stats WHERE channel = @p1;`,
		InsertEcho: `
SET NOCOUNT ON;
DECLARE @id bigint;
DECLARE @address nvarchar(400) = NULLIF(@p3, N'');
EXEC relay.enqueue
    @Sender = N'dbrelay', @Receiver = @p2, @Channel = @p1, @Title = N'ECHO',
    @Body = N'dbrelay channel test', @Payload = @p4, @Event = N'ECHO',
    @Ref = N'dbrelay channel test', @Address = @address, @Id = @id OUTPUT;
SELECT @id;`,
		FirstAttempt: `
SELECT TOP (1) d.outcome, ISNULL(d.response_code, 0), ISNULL(d.duration_ms, 0), ISNULL(d.error, N''),
    ISNULL(o.response_body, N''), o.status
FROM relay_api.deliveries AS d
INNER JOIN relay_api.outbox AS o ON d.message_id = o.id
WHERE d.message_id = @p1
ORDER BY d.attempt;`,
		CancelPending: `UPDATE relay.message SET status = N'cancelled' WHERE id = @p1 AND status = N'pending';`,
		Duplicate:     func(err error) bool { return number(err) == 2627 }, // PRIMARY KEY violation
		Explain:       Dialect{}.Explain,
	}
}
