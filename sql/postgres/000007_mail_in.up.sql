-- dbrelay 000007 (PostgreSQL): mail-in, a mailbox turned into rows.
--
-- `dbrelay mail-in` reads a mailbox over IMAP and stores each new mail here,
-- then calls the hook relay.on_mail(id) in the same transaction
-- (procedures/postgres/on_mail.sql). See docs/mail-in.md.

-- One row per mail, unique by Message-ID: a mail read twice (mail-in was
-- stopped between storing it and flagging it in the mailbox) is stored
-- once. A mail without a Message-ID gets "sha256:" and the hex SHA-256 of
-- its raw bytes instead, stable across re-reads.
--
-- Texts are decoded to UTF-8 (RFC 2047 headers, quoted-printable and
-- base64 bodies, any charset: GB2312/GBK/GB18030, Big5, ISO-2022-JP, …).
-- A mail that could not be parsed completely keeps its raw bytes in
-- raw_message and the reason in parse_error (both NULL otherwise), with
-- whatever fields could be read. hook_error is relay.on_mail's error when
-- it raised: the mail is then stored without the hook's changes.
CREATE TABLE relay.inbound_mail (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id   text        NOT NULL,
    mailbox      text        NOT NULL,
    from_address text        NOT NULL DEFAULT '',
    from_name    text        NOT NULL DEFAULT '',
    to_addresses text        NOT NULL DEFAULT '',
    cc_addresses text        NOT NULL DEFAULT '',
    in_reply_to  text,
    subject      text        NOT NULL DEFAULT '',
    sent_at      timestamptz,
    received_at  timestamptz NOT NULL DEFAULT now(),
    text_body    text        NOT NULL DEFAULT '',
    html_body    text        NOT NULL DEFAULT '',
    size         bigint      NOT NULL,
    raw_message  bytea,
    parse_error  text,
    hook_error   text,
    CONSTRAINT inbound_mail_message_id_unique UNIQUE (message_id),
    CONSTRAINT inbound_mail_message_id_check CHECK (message_id <> '' AND length(message_id) <= 450),
    CONSTRAINT inbound_mail_size_check CHECK (size >= 0)
);
CREATE INDEX inbound_mail_received ON relay.inbound_mail (received_at);

-- The attachments of a mail (and its inline parts that are not the text:
-- images referenced by content_id from the HTML), in the order of the mail.
-- content is NULL, and omitted says why, when the part was over mail-in's
-- --attachment-max; size and sha256 are always those of the whole part.
CREATE TABLE relay.inbound_mail_attachment (
    id           bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mail_id      bigint  NOT NULL REFERENCES relay.inbound_mail (id) ON DELETE CASCADE,
    seq          integer NOT NULL,
    filename     text    NOT NULL DEFAULT '',
    content_type text    NOT NULL,
    content_id   text,
    size         bigint  NOT NULL,
    sha256       text    NOT NULL,
    content      bytea,
    omitted      text,
    CONSTRAINT inbound_mail_attachment_seq_unique UNIQUE (mail_id, seq),
    CONSTRAINT inbound_mail_attachment_content_check CHECK ((content IS NULL) = (omitted IS NOT NULL)),
    CONSTRAINT inbound_mail_attachment_size_check CHECK (size >= 0)
);
