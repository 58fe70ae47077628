-- dbrelay 000010 (SQL Server): e-mail out: attachments and the mail audit.
--
-- The email channel kind (channel/email, docs/channels.md "email") needs
-- two tables and two settings:
--
--   relay.attachment    files attached to an email message, carried in the
--                       database (never a path on the listener's disk);
--                       written by relay.attach (procedures/sqlserver/
--                       attach.sql), which enforces the two settings below.
--   relay.mail_audit    one row per attempt that reached an SMTP server:
--                       the message exactly as sent, its Message-ID, the
--                       server that answered and its final reply line.
--                       Read through relay_api.mail_audit.
--   relay.settings.mail_max_attachment_bytes   (default 1048576, 1 MB, as
--                       Database Mail's MaxFileSize)
--   relay.settings.mail_prohibited_extensions  (default N'exe,dll,vbs,js',
--                       as Database Mail's ProhibitedExtensions)
--
-- Nothing existing changes: no upgrade step. One batch, one transaction, no
-- GO (golang-migrate's sqlserver driver sends the file as it is). No
-- filtered index (error 1934, see 000001).

SET XACT_ABORT ON;
BEGIN TRANSACTION;

ALTER TABLE relay.settings ADD
    mail_max_attachment_bytes int NOT NULL
        CONSTRAINT settings_mail_max_attachment_bytes_default DEFAULT 1048576
        CONSTRAINT settings_mail_max_attachment_bytes_check CHECK (mail_max_attachment_bytes > 0),
    mail_prohibited_extensions nvarchar(400) NOT NULL
        CONSTRAINT settings_mail_prohibited_extensions_default DEFAULT N'exe,dll,vbs,js';

-- One row per attached file, in the order relay.attach added them. The
-- message owns its attachments: they go when it is deleted.
CREATE TABLE relay.attachment (
    message_id   bigint         NOT NULL,
    seq          int            NOT NULL,
    filename     nvarchar(255)  NOT NULL,
    content_type nvarchar(400)  NOT NULL CONSTRAINT attachment_content_type_default DEFAULT N'',
    content      varbinary(max) NOT NULL,
    CONSTRAINT attachment_pkey PRIMARY KEY (message_id, seq),
    CONSTRAINT attachment_message_fkey FOREIGN KEY (message_id)
        REFERENCES relay.message (id) ON DELETE CASCADE,
    CONSTRAINT attachment_filename_check CHECK (filename <> N'')
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
-- claim_token is nvarchar(200) as relay.message.locked_by, and keeps the
-- unique key under 900 bytes.
CREATE TABLE relay.mail_audit (
    id              bigint         IDENTITY (1, 1) NOT NULL,
    message_id      bigint         NOT NULL,
    attempt         int            NOT NULL,
    claim_token     nvarchar(200)  NOT NULL,
    channel         nvarchar(100)  NOT NULL,
    server          nvarchar(400)  NOT NULL,
    accepted        bit            NOT NULL,
    reply           nvarchar(max)  NOT NULL,
    mail_message_id nvarchar(450)  NOT NULL,
    envelope_from   nvarchar(400)  NOT NULL,
    recipients      nvarchar(max)  NOT NULL,
    headers         nvarchar(max)  NOT NULL,
    size            bigint         NOT NULL,
    sha256          nvarchar(64)   NOT NULL,
    raw_message     varbinary(max) NULL,
    sent_at         datetime2(6)   NOT NULL CONSTRAINT mail_audit_sent_at_default DEFAULT SYSUTCDATETIME(),
    CONSTRAINT mail_audit_pkey PRIMARY KEY (id),
    CONSTRAINT mail_audit_attempt_unique UNIQUE (message_id, attempt, claim_token)
);
CREATE NONCLUSTERED INDEX mail_audit_sent_at ON relay.mail_audit (sent_at);
CREATE NONCLUSTERED INDEX mail_audit_mail_message_id ON relay.mail_audit (mail_message_id);

COMMIT TRANSACTION;
