-- dbrelay 000007 (SQL Server): mail-in, a mailbox turned into rows.
--
-- `dbrelay mail-in` reads a mailbox over IMAP and stores each new mail here,
-- then calls the hook relay.on_mail in the same transaction
-- (procedures/sqlserver/on_mail.sql). See docs/mail-in.md.
--
-- One batch, one transaction, no GO (golang-migrate's sqlserver driver
-- sends the file as it is). No filtered index (error 1934, see 000001).

SET XACT_ABORT ON;
BEGIN TRANSACTION;

-- One row per mail, unique by Message-ID: a mail read twice (mail-in was
-- stopped between storing it and flagging it in the mailbox) is stored
-- once. A mail without a Message-ID gets N'sha256:' and the hex SHA-256 of
-- its raw bytes instead, stable across re-reads. message_id compares by
-- code point (a binary collation): Message-IDs are case-sensitive, and the
-- database's default collation may not be. nvarchar(450) keeps the unique
-- index's key under 900 bytes.
--
-- Texts are decoded from the mail's charsets (GB2312/GBK/GB18030, Big5,
-- ISO-2022-JP, …) into nvarchar. A mail that could not be parsed
-- completely keeps its raw bytes in raw_message and the reason in
-- parse_error (both NULL otherwise), with whatever fields could be read.
-- hook_error is relay.on_mail's error when it raised: the mail is then
-- stored without the hook's changes.
CREATE TABLE relay.inbound_mail (
    id           bigint         IDENTITY (1, 1) NOT NULL,
    message_id   nvarchar(450)  COLLATE Latin1_General_100_BIN2 NOT NULL,
    mailbox      nvarchar(max)  NOT NULL,
    from_address nvarchar(max)  NOT NULL CONSTRAINT inbound_mail_from_address_default DEFAULT N'',
    from_name    nvarchar(max)  NOT NULL CONSTRAINT inbound_mail_from_name_default DEFAULT N'',
    to_addresses nvarchar(max)  NOT NULL CONSTRAINT inbound_mail_to_addresses_default DEFAULT N'',
    cc_addresses nvarchar(max)  NOT NULL CONSTRAINT inbound_mail_cc_addresses_default DEFAULT N'',
    in_reply_to  nvarchar(max)  NULL,
    subject      nvarchar(max)  NOT NULL CONSTRAINT inbound_mail_subject_default DEFAULT N'',
    sent_at      datetime2(6)   NULL,
    received_at  datetime2(6)   NOT NULL CONSTRAINT inbound_mail_received_at_default DEFAULT SYSUTCDATETIME(),
    text_body    nvarchar(max)  NOT NULL CONSTRAINT inbound_mail_text_body_default DEFAULT N'',
    html_body    nvarchar(max)  NOT NULL CONSTRAINT inbound_mail_html_body_default DEFAULT N'',
    size         bigint         NOT NULL,
    raw_message  varbinary(max) NULL,
    parse_error  nvarchar(max)  NULL,
    hook_error   nvarchar(max)  NULL,
    CONSTRAINT inbound_mail_pkey PRIMARY KEY (id),
    CONSTRAINT inbound_mail_message_id_unique UNIQUE (message_id),
    CONSTRAINT inbound_mail_message_id_check CHECK (message_id <> N''),
    CONSTRAINT inbound_mail_size_check CHECK (size >= 0)
);
CREATE NONCLUSTERED INDEX inbound_mail_received ON relay.inbound_mail (received_at);

-- The attachments of a mail (and its inline parts that are not the text:
-- images referenced by content_id from the HTML), in the order of the mail.
-- content is NULL, and omitted says why, when the part was over mail-in's
-- --attachment-max; size and sha256 are always those of the whole part.
CREATE TABLE relay.inbound_mail_attachment (
    id           bigint         IDENTITY (1, 1) NOT NULL,
    mail_id      bigint         NOT NULL,
    seq          int            NOT NULL,
    filename     nvarchar(max)  NOT NULL CONSTRAINT inbound_mail_attachment_filename_default DEFAULT N'',
    content_type nvarchar(400)  NOT NULL,
    content_id   nvarchar(max)  NULL,
    size         bigint         NOT NULL,
    sha256       nvarchar(64)   NOT NULL,
    content      varbinary(max) NULL,
    omitted      nvarchar(max)  NULL,
    CONSTRAINT inbound_mail_attachment_pkey PRIMARY KEY (id),
    CONSTRAINT inbound_mail_attachment_mail_fkey FOREIGN KEY (mail_id)
        REFERENCES relay.inbound_mail (id) ON DELETE CASCADE,
    CONSTRAINT inbound_mail_attachment_seq_unique UNIQUE (mail_id, seq),
    CONSTRAINT inbound_mail_attachment_content_check CHECK (
        (content IS NULL AND omitted IS NOT NULL) OR (content IS NOT NULL AND omitted IS NULL)
    ),
    CONSTRAINT inbound_mail_attachment_size_check CHECK (size >= 0)
);

COMMIT TRANSACTION;
