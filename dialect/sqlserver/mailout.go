package sqlserver

import (
	"context"
	"database/sql"

	"github.com/dbrelay/dbrelay/channel"
	"github.com/dbrelay/dbrelay/dialect"
)

// The email channel's statements (dialect.MailOut). Tables in
// sql/sqlserver/000010_mail.up.sql.
var mailOutStatements = dialect.MailOutStatements{
	Attachments: `SELECT filename, content_type, content FROM relay.attachment WHERE message_id = @p1 ORDER BY seq`,
	// UPDLOCK + HOLDLOCK lock the key from the check to the end of the
	// transaction, so two writers of the same record insert it once.
	InsertAudit: `
IF NOT EXISTS (SELECT 1 FROM relay.mail_audit WITH (UPDLOCK, HOLDLOCK)
               WHERE message_id = @p1 AND attempt = @p2 AND claim_token = @p3)
    INSERT INTO relay.mail_audit (message_id, attempt, claim_token, channel, server, accepted, reply, mail_message_id,
                                  envelope_from, recipients, headers, size, sha256, raw_message)
    VALUES (@p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, @p9, @p10, @p11, @p12, @p13, @p14);`,
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
