package channel

// Attachment is a file attached to an e-mail message: a row of
// relay.attachment, carried in the database (never a path on the
// listener's disk). relay.attach checked its size and extension when it
// was enqueued.
type Attachment struct {
	Filename    string
	ContentType string // "" lets the sender guess from the file name
	Content     []byte
}

// MailAudit is the audit record of one attempt to hand a mail to an SMTP
// server, kept in relay.mail_audit (read through relay_api.mail_audit) so
// that whether and what was sent can be proven later. The email sender
// fills it in whenever a server answered the mail itself (accepted or
// refused); the listener writes it, idempotently, with the attempt's
// message id, attempt number and claim token.
type MailAudit struct {
	MessageID  string   // the Message-ID header, without angle brackets
	Server     string   // host:port of the server that answered
	Accepted   bool     // the server took the mail (its final reply was 250)
	Reply      string   // the server's final reply line, e.g. "250 2.0.0 Ok: queued as 4F3"
	From       string   // the envelope sender (MAIL FROM)
	Recipients []string // the envelope recipients (RCPT TO), the audit BCC included
	Headers    string   // the message's header block, as sent
	Size       int64    // the whole message's size in bytes
	SHA256     string   // hex SHA-256 of the whole message
	// Raw is the exact RFC 5322 message as sent (after which the server
	// answered), or nil when it was larger than MaxAuditRaw: Headers,
	// Size and SHA256 then stand for it.
	Raw []byte
}

// MaxAuditRaw is the largest message whose exact bytes are kept in
// relay.mail_audit; above it only the headers, size and SHA-256 are. 1 MiB
// keeps every ordinary notice (a few KiB) and small attachments whole; a
// mail carrying large attachments (base64 grows them by a third) is not
// copied again on every attempt: its attachments stay in relay.attachment,
// and the hash proves which bytes went out.
const MaxAuditRaw = 1 << 20
