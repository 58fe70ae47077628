// Package mailin turns a mailbox into rows: `dbrelay mail-in` reads new mail
// over IMAP (TLS, IDLE where the server offers it, polling otherwise),
// parses it (MIME, RFC 2047 headers, any charset, attachments) and stores
// each mail in relay.inbound_mail, its attachments in
// relay.inbound_mail_attachment, calling the integrator's hook
// relay.on_mail in the same transaction. Only after that transaction
// commits is the mail flagged (or moved to a done folder) on the server.
//
// Why that order: a mail is never marked before it is safely stored. If
// the process dies between the commit and the flag, the mail is read again
// on the next start, and its Message-ID (unique in the table) makes the
// second store a no-op: at-least-once reading, exactly-once rows. A mail
// without a Message-ID is keyed by the SHA-256 of its raw bytes, which are
// the same at every reading.
//
// Mail that cannot be parsed completely is stored with its raw bytes and
// the reason, and flagged like any other: it never blocks the mailbox. See
// docs/mail-in.md.
package mailin
