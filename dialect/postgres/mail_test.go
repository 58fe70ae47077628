package postgres_test

// OnMailHook implements dialecttest.MailHarness.
func (harness) OnMailHook(kind string) []string {
	raise := ""
	if kind == "raise" {
		raise = `RAISE EXCEPTION 'mail refused by the hook (mail %)', mail_id;`
	}
	return []string{
		`CREATE TABLE relay_test_mail_seen (mail_id bigint, subject text, attachments integer)`,
		`CREATE OR REPLACE PROCEDURE relay.on_mail(mail_id bigint) LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO relay_test_mail_seen (mail_id, subject, attachments)
    SELECT m.id, m.subject, (SELECT count(*) FROM relay.inbound_mail_attachment a WHERE a.mail_id = m.id)
    FROM relay.inbound_mail m WHERE m.id = on_mail.mail_id;
    ` + raise + `
END
$$`,
	}
}
