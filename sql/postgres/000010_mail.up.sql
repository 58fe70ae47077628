-- dbrelay 000010 (PostgreSQL): e-mail out: attachments and the mail audit.
--
-- The email channel kind (channel/email, docs/channels.md "email") needs
-- two tables and two settings:
--
--   relay.attachment    files attached to an email message, carried in the
--                       database (never a path on the listener's disk);
--                       written by relay.attach (procedures/postgres/
--                       attach.sql), which enforces the two settings below.
--   relay.mail_audit    one row per attempt that reached an SMTP server:
--                       the message exactly as sent, its Message-ID, the
--                       server that answered and its final reply line.
--                       Read through relay_api.mail_audit.
--   relay.settings.mail_max_attachment_bytes   (default 1048576, 1 MB, as
--                       SQL Server Database Mail's MaxFileSize)
--   relay.settings.mail_prohibited_extensions  (default 'exe,dll,vbs,js',
--                       as Database Mail's ProhibitedExtensions)
--
-- Nothing existing changes: no upgrade step. Down (000010_mail.down.sql)
-- drops relay.attach, relay_api.mail_audit, both tables and both settings.

ALTER TABLE relay.settings
    ADD COLUMN mail_max_attachment_bytes integer NOT NULL DEFAULT 1048576
        CONSTRAINT settings_mail_max_attachment_bytes_check CHECK (mail_max_attachment_bytes > 0),
    ADD COLUMN mail_prohibited_extensions text NOT NULL DEFAULT 'exe,dll,vbs,js';

-- One row per attached file, in the order relay.attach added them. The
-- message owns its attachments: they go when it is deleted.
CREATE TABLE relay.attachment (
    message_id   bigint  NOT NULL REFERENCES relay.message (id) ON DELETE CASCADE,
    seq          integer NOT NULL,
    filename     text    NOT NULL,
    content_type text    NOT NULL DEFAULT '',
    content      bytea   NOT NULL,
    PRIMARY KEY (message_id, seq),
    CONSTRAINT attachment_filename_check CHECK (filename <> '' AND length(filename) <= 255)
);

-- One row per SMTP attempt that a server answered (accepted or refused).
-- Unique per (message, attempt, claim token), so that a listener writing
-- the same record again (a write-back retried after a lost reply) never
-- duplicates it. No foreign key to relay.message: the audit outlives a
-- message deleted by a clean-up, which is what it is for.
--
-- raw_message is the exact RFC 5322 message as sent, when it was at most
-- 1 MiB (1048576 bytes); a larger one (big attachments) keeps only its
-- headers, size and SHA-256 here, the attachments themselves being in
-- relay.attachment. headers, size and sha256 are always set.
CREATE TABLE relay.mail_audit (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id      bigint      NOT NULL,
    attempt         integer     NOT NULL,
    claim_token     text        NOT NULL,
    channel         text        NOT NULL,
    server          text        NOT NULL,
    accepted        boolean     NOT NULL,
    reply           text        NOT NULL,
    mail_message_id text        NOT NULL,
    envelope_from   text        NOT NULL,
    recipients      text        NOT NULL,
    headers         text        NOT NULL,
    size            bigint      NOT NULL,
    sha256          text        NOT NULL,
    raw_message     bytea,
    sent_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT mail_audit_attempt_unique UNIQUE (message_id, attempt, claim_token)
);
CREATE INDEX mail_audit_sent_at ON relay.mail_audit (sent_at);
CREATE INDEX mail_audit_mail_message_id ON relay.mail_audit (mail_message_id);
