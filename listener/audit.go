package listener

import (
	"context"
	"time"

	"github.com/dbrelay/dbrelay/dialect"
)

// writeAudits records the mail audit of the email attempts in batch
// (relay.mail_audit) before their outcomes are written back: the mail has
// left, so its record must not depend on the fence holding. It has its own
// statement and transaction, apart from the write-back (dialect.MailOut),
// and is idempotent per (message, attempt, claim token), so retrying it
// after an error never duplicates a row. Like flush it gives up after one
// lease, logging what it could not record.
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
	deadline := time.Now().Add(l.cfg.Lease)
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), queryTimeout)
		err := mo.RecordMailAudits(ctx, l.conn.DB, recs)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			ids := make([]int64, len(recs))
			for i := range recs {
				ids[i] = recs[i].MessageID
			}
			l.log.Error("writing the mail audit failed for a whole lease; these attempts have no audit row", "err", err, "ids", ids)
			return
		}
		wait := min(time.Duration(attempt)*100*time.Millisecond, 5*time.Second)
		l.log.Error("writing the mail audit failed; retrying", "err", err, "n", len(recs), "in", wait)
		time.Sleep(wait)
	}
}
