package postgres

import (
	"context"
	"database/sql"

	"github.com/dbrelay/dbrelay/channel"
	"github.com/dbrelay/dbrelay/dialect"
)

// The email channel's statements (dialect.MailOut). Tables in
// sql/postgres/000010_mail.up.sql.
var mailOutStatements = dialect.MailOutStatements{
	Attachments: `SELECT filename, content_type, content FROM relay.attachment WHERE message_id = $1 ORDER BY seq`,
	// ON CONFLICT on the unique (message_id, attempt, claim_token): a
	// record written again is skipped.
	InsertAudit: `
INSERT INTO relay.mail_audit (message_id, attempt, claim_token, channel, server, accepted, reply, mail_message_id,
                              envelope_from, recipients, headers, size, sha256, raw_message)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
ON CONFLICT (message_id, attempt, claim_token) DO NOTHING`,
}

// Attachments reads a message's attachments (dialect.MailOut).
func (d Dialect) Attachments(ctx context.Context, q dialect.Querier, messageID int64) ([]channel.Attachment, error) {
	return dialect.AttachmentsWith(ctx, q, messageID, mailOutStatements)
}

// RecordMailAudits writes mail audit records once each (dialect.MailOut).
func (d Dialect) RecordMailAudits(ctx context.Context, db *sql.DB, recs []dialect.MailAuditRecord) error {
	return dialect.RecordMailAuditsWith(ctx, db, recs, mailOutStatements)
}

// Both dialects serve the email channel.
var _ dialect.MailOut = Dialect{}
