package sqlserver

// OnMailHook implements dialecttest.MailHarness.
func (harness) OnMailHook(kind string) []string {
	raise := ""
	if kind == "raise" {
		raise = `THROW 50100, N'mail refused by the hook', 1;`
	}
	return []string{
		`CREATE TABLE dbo.relay_test_mail_seen (mail_id bigint, subject nvarchar(max), attachments int)`,
		`CREATE OR ALTER PROCEDURE relay.on_mail @mail_id bigint AS
BEGIN
    SET NOCOUNT ON;
    INSERT INTO dbo.relay_test_mail_seen (mail_id, subject, attachments)
    SELECT m.id, m.subject, (SELECT count(*) FROM relay.inbound_mail_attachment AS a WHERE a.mail_id = m.id)
    FROM relay.inbound_mail AS m WHERE m.id = @mail_id;
    ` + raise + `
END;`,
	}
}
