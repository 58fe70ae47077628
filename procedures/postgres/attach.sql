-- relay.attach: attach a file to an email message; returns its position
-- (1 for the first).
--
-- Called by: host code, right after relay.enqueue (or relay.push) in the
-- same transaction, so the listener never sees the message without its
-- attachments:
--
--   SELECT relay.attach(relay.enqueue('oa', 'lisi', 'mail', '报销单'),
--                       '报销单.pdf', pg_read_binary_file(…) /* or a bytea parameter */,
--                       'application/pdf');
--
-- The file travels in the database; dbrelay never reads a path from the
-- listener's disk. Refused, each with its own SQLSTATE and a message that
-- starts with the error's name:
--   DR501 attachment_too_large        content over
--         relay.settings.mail_max_attachment_bytes (default 1 MB)
--   DR502 attachment_extension_prohibited   the file name's extension is
--         in relay.settings.mail_prohibited_extensions (default
--         exe,dll,vbs,js; comma separated, case-insensitive)
--   DR503 attachment_not_allowed      no such message, not on an email
--         channel, or already claimed or attempted (attach in the
--         enqueueing transaction)
--   DR504 attachment_invalid          empty or over-long file name, a
--         path (/ or \) or control characters in it, NULL content
--
-- Rights: SECURITY DEFINER with a fixed search path, like relay.enqueue:
-- a host needs only EXECUTE (docs/postgres-roles.sql grants it to
-- relay_host). dbrelay's own: `dbrelay migrate up` restores it.
CREATE OR REPLACE FUNCTION relay.attach(
    message_id   bigint,
    filename     text,
    content      bytea,
    content_type text DEFAULT NULL
) RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s        relay.settings%ROWTYPE;
    m        record;
    ext      text;
    next_seq integer;
BEGIN
    IF attach.filename IS NULL OR attach.filename = '' OR length(attach.filename) > 255
       OR attach.filename ~ '[/\\[:cntrl:]]' OR attach.content IS NULL THEN
        RAISE EXCEPTION 'relay.attach: attachment_invalid: filename must be a file name (1 to 255 characters, no / or \ or control characters) and content not NULL'
            USING ERRCODE = 'DR504', HINT = 'Pass the file''s bytes and its bare name, e.g. ''report.pdf''.';
    END IF;
    SELECT * INTO s FROM relay.settings WHERE id = 1;
    IF octet_length(attach.content) > s.mail_max_attachment_bytes THEN
        RAISE EXCEPTION 'relay.attach: attachment_too_large: % is % bytes, over relay.settings.mail_max_attachment_bytes (%)',
                        attach.filename, octet_length(attach.content), s.mail_max_attachment_bytes
            USING ERRCODE = 'DR501', HINT = 'Send a link instead, or raise relay.settings.mail_max_attachment_bytes (your mail server has its own limit too).';
    END IF;
    ext := lower(substring(attach.filename FROM '\.([^.]*)$'));
    IF ext IS NOT NULL AND ext = ANY (string_to_array(lower(replace(s.mail_prohibited_extensions, ' ', '')), ',')) THEN
        RAISE EXCEPTION 'relay.attach: attachment_extension_prohibited: % has the extension .%, listed in relay.settings.mail_prohibited_extensions (%)',
                        attach.filename, ext, s.mail_prohibited_extensions
            USING ERRCODE = 'DR502', HINT = 'Send another format (zip it, or a PDF), or change relay.settings.mail_prohibited_extensions.';
    END IF;
    SELECT msg.status, msg.attempts, msg.locked_by, c.kind INTO m
    FROM relay.message msg JOIN relay.channel c ON c.code = msg.channel
    WHERE msg.id = attach.message_id
    FOR UPDATE OF msg;
    IF NOT FOUND OR m.kind <> 'email' OR m.status <> 'pending' OR m.attempts <> 0 OR m.locked_by IS NOT NULL THEN
        RAISE EXCEPTION 'relay.attach: attachment_not_allowed: message % %', attach.message_id,
                        CASE WHEN NOT FOUND THEN 'does not exist'
                             WHEN m.kind <> 'email' THEN format('is on a %s channel; only email messages carry attachments', m.kind)
                             ELSE 'is already being delivered' END
            USING ERRCODE = 'DR503', HINT = 'Call relay.attach in the transaction that enqueued the message.';
    END IF;
    SELECT coalesce(max(a.seq), 0) + 1 INTO next_seq FROM relay.attachment a WHERE a.message_id = attach.message_id;
    INSERT INTO relay.attachment (message_id, seq, filename, content_type, content)
    VALUES (attach.message_id, next_seq, attach.filename, coalesce(attach.content_type, ''), attach.content);
    RETURN next_seq;
END
$$;

REVOKE ALL ON FUNCTION relay.attach(bigint, text, bytea, text) FROM PUBLIC;
