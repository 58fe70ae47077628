package dialect

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/dbrelay/dbrelay/channel"
)

// MailOut is implemented by dialects that serve the email channel kind
// (both do): reading a message's attachments (relay.attachment) and
// recording each SMTP attempt in relay.mail_audit. An interface of its
// own, found with a type assertion on Conn.Dialect, so that Dialect and
// Queue stay as they are.
type MailOut interface {
	// Attachments returns the attachments of a message, in order.
	Attachments(ctx context.Context, q Querier, messageID int64) ([]channel.Attachment, error)
	// RecordMailAudits inserts audit records in one transaction. A record
	// whose (message, attempt, claim token) is stored already is skipped,
	// so writing a batch again after an error (or a lost reply) never
	// duplicates a row.
	RecordMailAudits(ctx context.Context, db *sql.DB, recs []MailAuditRecord) error
}

// MailAuditRecord is one row of relay.mail_audit: the sender's audit of
// an attempt, and which attempt of which claim it was.
type MailAuditRecord struct {
	MessageID int64
	Attempt   int
	Token     string // the claim's token: part of the row's unique key
	Channel   string
	channel.MailAudit
}

// MailOutStatements are one dialect's SQL for MailOut.
type MailOutStatements struct {
	// Attachments selects filename, content_type, content of message $1
	// in order.
	Attachments string
	// InsertAudit inserts one record unless its key is stored, taking in
	// order: message_id, attempt, claim_token, channel, server, accepted,
	// reply, mail_message_id, envelope_from, recipients, headers, size,
	// sha256, raw_message.
	InsertAudit string
}

// AttachmentsWith runs st.Attachments.
func AttachmentsWith(ctx context.Context, q Querier, messageID int64, st MailOutStatements) ([]channel.Attachment, error) {
	rows, err := q.QueryContext(ctx, st.Attachments, messageID)
	if err != nil {
		return nil, fmt.Errorf("reading relay.attachment: %w", err)
	}
	defer rows.Close()
	var out []channel.Attachment
	for rows.Next() {
		var a channel.Attachment
		if err := rows.Scan(&a.Filename, &a.ContentType, &a.Content); err != nil {
			return nil, fmt.Errorf("reading relay.attachment: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading relay.attachment: %w", err)
	}
	return out, nil
}

// RecordMailAuditsWith runs st.InsertAudit for each record in one
// transaction.
func RecordMailAuditsWith(ctx context.Context, db *sql.DB, recs []MailAuditRecord, st MailOutStatements) error {
	if len(recs) == 0 {
		return nil
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("writing relay.mail_audit: %w", err)
	}
	defer tx.Rollback()
	for _, r := range recs {
		// A typed nil: go-mssqldb sends it as a varbinary NULL.
		raw := r.Raw
		if raw == nil {
			raw = []byte(nil)
		}
		if _, err := tx.ExecContext(ctx, st.InsertAudit, r.MessageID, r.Attempt, r.Token, r.Channel, r.Server,
			r.Accepted, r.Reply, r.MailAudit.MessageID, r.From, strings.Join(r.Recipients, ", "), r.Headers,
			r.Size, r.SHA256, raw); err != nil {
			return fmt.Errorf("writing relay.mail_audit for message %d attempt %d: %w", r.MessageID, r.Attempt, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("writing relay.mail_audit: %w", err)
	}
	return nil
}

// AttachmentSource is the attachment reader of the email channel kind over
// conn (channel/email's Store), or nil when conn's dialect has none.
//
// It runs at most attachmentLookups queries at a time: every email
// message is looked up, from as many workers as the listener has, and a
// pool holding fewer idle connections than that would open and close a
// PostgreSQL backend per lookup (measured: the email drain fell to a fifth
// of the webhook drain). Fewer concurrent lookups, each a primary-key
// read, keep to the pool's idle connections.
func AttachmentSource(conn *Conn) interface {
	Attachments(ctx context.Context, messageID int64) ([]channel.Attachment, error)
} {
	m, ok := conn.Dialect.(MailOut)
	if !ok {
		return nil
	}
	return attachmentSource{m: m, db: conn.DB, slots: make(chan struct{}, attachmentLookups)}
}

// attachmentLookups is below the pool's idle connections (maxIdleConns),
// leaving room for the claimer, the writer and the hook runner.
const attachmentLookups = 4

type attachmentSource struct {
	m     MailOut
	db    *sql.DB
	slots chan struct{}
}

func (a attachmentSource) Attachments(ctx context.Context, messageID int64) ([]channel.Attachment, error) {
	select {
	case a.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-a.slots }()
	return a.m.Attachments(ctx, a.db, messageID)
}
