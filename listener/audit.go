package listener

import (
	"context"

	"github.com/dbrelay/dbrelay/dialect"
)

// writeAudits records the mail audit of the email attempts in batch
// (relay.mail_audit) before their outcomes are written back: the mail has
// left, so its record must not depend on the fence holding. It has its own
// statement and transaction, apart from the write-back (dialect.MailOut),
// and is idempotent per (message, attempt, claim token), so retrying it
// after an error never duplicates a row. It retries and gives up as the
// write-back does (retryWrite), logging what it could not record.
func (l *Listener) writeAudits(batch []finished) {
	var recs []dialect.MailAuditRecord
	for i := range batch {
		f := &batch[i]
		if a := f.Result.Audit; a != nil {
			recs = append(recs, dialect.MailAuditRecord{MessageID: f.ID, Attempt: f.Attempt, Token: f.Token,
				Channel: f.claimed.Channel, MailAudit: *a})
		}
	}
	if len(recs) == 0 {
		return
	}
	mo, ok := l.conn.Dialect.(dialect.MailOut)
	if !ok {
		return
	}
	l.retryWrite("writing the mail audit", "these attempts have no audit row",
		len(recs), func(i int) int64 { return recs[i].MessageID },
		func(ctx context.Context) error { return mo.RecordMailAudits(ctx, l.conn.DB, recs) })
}
