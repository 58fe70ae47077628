package postgres

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/dbrelay/dbrelay/dialect"
	"github.com/lib/pq"
)

// Mail-in (`dbrelay mail-in`): the statements that store one mail. The
// tables are in sql/postgres/000007_mail_in.up.sql, the hook in
// procedures/postgres/on_mail.sql.
var mailStatements = dialect.MailStatements{
	// Insert stores a mail unless its Message-ID is stored
	// already: then it returns no row (and waits for a concurrent insert of
	// the same Message-ID to commit or roll back first, so two mail-in
	// processes reading one mailbox store it once).
	Insert: `
INSERT INTO relay.inbound_mail (message_id, mailbox, from_address, from_name, to_addresses, cc_addresses,
                                in_reply_to, subject, sent_at, text_body, html_body, size, raw_message,
                                parse_error, hook_error)
VALUES ($1, $2, $3, $4, $5, $6, nullif($7, ''), $8, $9, $10, $11, $12, $13, nullif($14, ''), nullif($15, ''))
ON CONFLICT (message_id) DO NOTHING
RETURNING id`,

	// StoredID finds the row of a Message-ID already stored.
	StoredID: `SELECT id FROM relay.inbound_mail WHERE message_id = $1`,

	InsertAttachment: `
INSERT INTO relay.inbound_mail_attachment (mail_id, seq, filename, content_type, content_id, size, sha256, content, omitted)
VALUES ($1, $2, $3, $4, nullif($5, ''), $6, $7, $8, nullif($9, ''))`,

	// CallHook runs the integrator's hook in the storing transaction.
	CallHook:   `CALL relay.on_mail($1)`,
	HookRaised: hookRaised,
}

// StoreMail stores a mail, its attachments and runs relay.on_mail in one
// transaction (see dialect.MailStore).
func (d Dialect) StoreMail(ctx context.Context, db *sql.DB, m *dialect.InboundMail) (dialect.MailStored, error) {
	st := mailStatements
	st.Explain = d.Explain
	return dialect.StoreMailWith(ctx, db, m, st)
}

// hookRaised tells an error the hook raised from trouble that is worth
// retrying: the connection (class 08), a deadlock or serialization failure
// (40), resources (53), an operator or crash shutdown (57).
func hookRaised(err error) bool {
	var e *pq.Error
	if !errors.As(err, &e) {
		return false
	}
	for _, transient := range []string{"08", "40", "53", "57"} {
		if strings.HasPrefix(string(e.Code), transient) {
			return false
		}
	}
	return true
}
