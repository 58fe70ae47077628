package dialect

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// MailStore is implemented by dialects that can store inbound mail
// (`dbrelay mail-in`): both do. It is an interface of its own, found with a
// type assertion on Conn.Dialect, so that the listener's Dialect stays as
// it is.
type MailStore interface {
	// StoreMail inserts mail into relay.inbound_mail and its attachments
	// into relay.inbound_mail_attachment in one transaction and, unless
	// mail.HookError is set, calls relay.on_mail with the new id in the
	// same transaction before committing.
	//
	// A mail whose MessageID is already stored is not stored again and the
	// hook is not called: the result has Duplicate set and the stored
	// row's ID. That makes re-reading a mail (after a crash between the
	// commit and the IMAP flag) harmless.
	//
	// When relay.on_mail raises, the transaction is rolled back, nothing is
	// stored, and the error is a *HookError: the caller stores the mail
	// again with HookError set, so that the mail is kept and the failure
	// recorded. Other errors (the database is unreachable, a deadlock) are
	// returned as they are: nothing was stored, try again later.
	StoreMail(ctx context.Context, db *sql.DB, mail *InboundMail) (MailStored, error)
}

// InboundMail is one mail as relay.inbound_mail stores it. Every text is
// valid UTF-8 without NUL characters (both databases' text columns need
// that): the mail-in reader decodes and cleans them.
type InboundMail struct {
	// MessageID is the Message-ID header without its angle brackets, or a
	// stable substitute ("sha256:" and the hex SHA-256 of the raw message)
	// when the mail has none; at most MaxMessageIDLen characters. Unique.
	MessageID string
	Mailbox   string // the IMAP mailbox it was read from
	From      string // the From address (user@host)
	FromName  string // the From display name, decoded
	To, Cc    string // addresses, separated by ", "
	InReplyTo string // In-Reply-To without angle brackets, or ""
	Subject   string
	SentAt    time.Time // the Date header; zero when missing or unreadable (NULL)
	Text      string    // the text/plain parts, decoded
	HTML      string    // the text/html parts, decoded
	Size      int64     // the raw message's size in bytes
	// Raw is the raw message, kept only when it could not be parsed
	// completely (ParseError is set then); nil otherwise (NULL).
	Raw []byte
	// ParseError says why the mail could not be parsed completely; ""
	// (NULL) when it was.
	ParseError string
	// HookError is relay.on_mail's error when it raised for this mail; set,
	// it also means "store without calling the hook".
	HookError   string
	Attachments []MailAttachment
}

// MaxMessageIDLen is the longest MessageID the table takes (an index key
// must stay under SQL Server's 900-byte limit in nvarchar).
const MaxMessageIDLen = 450

// MailAttachment is a row of relay.inbound_mail_attachment.
type MailAttachment struct {
	Filename    string
	ContentType string // e.g. application/pdf
	ContentID   string // for inline parts referenced by the HTML (cid:), or ""
	Size        int64  // decoded size in bytes, also when Content is omitted
	SHA256      string // hex SHA-256 of the decoded content
	// Content is the decoded content; nil when Omitted says why it was not
	// kept (over the size limit).
	Content []byte
	Omitted string
}

// MailStored is what StoreMail did.
type MailStored struct {
	ID        int64 // the row in relay.inbound_mail (the existing one for a duplicate)
	Duplicate bool  // the Message-ID was already stored: nothing written, no hook
}

// HookError is relay.on_mail raising an error: the integrator's code
// refused the mail or failed.
type HookError struct{ Err error }

func (e *HookError) Error() string { return "relay.on_mail failed: " + e.Err.Error() }
func (e *HookError) Unwrap() error { return e.Err }

// MailStatements are one dialect's statements and error tests for
// StoreMailWith.
type MailStatements struct {
	// Insert inserts the mail unless its Message-ID is stored, taking the
	// columns message_id, mailbox, from_address, from_name, to_addresses,
	// cc_addresses, in_reply_to, subject, sent_at, text_body, html_body,
	// size, raw_message, parse_error, hook_error in that order ("" for
	// NULL), and yields the new id; no row for a duplicate.
	Insert string
	// StoredID yields the id of the row with Message-ID $1.
	StoredID string
	// InsertAttachment takes mail_id, seq, filename, content_type,
	// content_id, size, sha256, content, omitted.
	InsertAttachment string
	// CallHook calls relay.on_mail with the id.
	CallHook string
	// IsDuplicate tells a unique-key violation from Insert (a concurrent
	// insert of the same Message-ID won); nil when Insert cannot raise one.
	IsDuplicate func(error) bool
	// HookRaised tells an error raised by the hook's code from one worth
	// retrying (connection lost, deadlock).
	HookRaised func(error) bool
	// Explain is the dialect's Explain.
	Explain func(error) error
}

// StoreMailWith is StoreMail (see MailStore) written once for every
// dialect, on that dialect's statements.
func StoreMailWith(ctx context.Context, db *sql.DB, m *InboundMail, st MailStatements) (MailStored, error) {
	var res MailStored
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return res, st.Explain(err)
	}
	defer tx.Rollback()
	var sentAt sql.NullTime
	if !m.SentAt.IsZero() {
		// UTC: SQL Server's datetime2 has no zone, and its driver would
		// send the local time with an offset the column drops.
		sentAt = sql.NullTime{Time: m.SentAt.UTC(), Valid: true}
	}
	err = tx.QueryRowContext(ctx, st.Insert, m.MessageID, m.Mailbox, m.From, m.FromName, m.To, m.Cc,
		m.InReplyTo, m.Subject, sentAt, m.Text, m.HTML, m.Size, m.Raw, m.ParseError, m.HookError).Scan(&res.ID)
	if errors.Is(err, sql.ErrNoRows) || (err != nil && st.IsDuplicate != nil && st.IsDuplicate(err)) {
		tx.Rollback()
		res.Duplicate = true
		if err := db.QueryRowContext(ctx, st.StoredID, m.MessageID).Scan(&res.ID); err != nil {
			return res, st.Explain(err)
		}
		return res, nil
	}
	if err != nil {
		return res, st.Explain(err)
	}
	for i, a := range m.Attachments {
		if _, err := tx.ExecContext(ctx, st.InsertAttachment, res.ID, i+1, a.Filename, a.ContentType, a.ContentID,
			a.Size, a.SHA256, a.Content, a.Omitted); err != nil {
			return MailStored{}, st.Explain(err)
		}
	}
	if m.HookError == "" {
		if _, err := tx.ExecContext(ctx, st.CallHook, res.ID); err != nil {
			if st.HookRaised(err) {
				return MailStored{}, &HookError{Err: st.Explain(err)}
			}
			return MailStored{}, st.Explain(err)
		}
	}
	if err := tx.Commit(); err != nil {
		return MailStored{}, st.Explain(err)
	}
	return res, nil
}
