package sqlserver

import (
	"context"
	"database/sql"
	"errors"

	"github.com/dbrelay/dbrelay/dialect"
	mssql "github.com/microsoft/go-mssqldb"
)

// Mail-in (`dbrelay mail-in`): the statements that store one mail. The
// tables are in sql/sqlserver/000007_mail_in.up.sql, the hook in
// procedures/sqlserver/on_mail.sql.
var mailStatements = dialect.MailStatements{
	// Insert stores a mail unless its Message-ID is stored
	// already, and returns the new id (no row for a duplicate). UPDLOCK +
	// HOLDLOCK lock the Message-ID's key range from the check to the end of
	// the transaction, so two mail-in processes reading one mailbox store
	// a mail once. OUTPUT goes INTO a table variable: a bare OUTPUT is
	// refused once someone adds a trigger to the table (error 334).
	Insert: `
SET NOCOUNT ON;
DECLARE @ids TABLE (id bigint NOT NULL);
IF NOT EXISTS (SELECT 1 FROM relay.inbound_mail WITH (UPDLOCK, HOLDLOCK) WHERE message_id = @p1)
    INSERT INTO relay.inbound_mail (message_id, mailbox, from_address, from_name, to_addresses, cc_addresses,
                                    in_reply_to, subject, sent_at, text_body, html_body, size, raw_message,
                                    parse_error, hook_error)
    OUTPUT inserted.id INTO @ids (id)
    VALUES (@p1, @p2, @p3, @p4, @p5, @p6, NULLIF(@p7, N''), @p8, @p9, @p10, @p11, @p12, @p13,
            NULLIF(@p14, N''), NULLIF(@p15, N''));
SELECT id FROM @ids;`,

	// StoredID finds the row of a Message-ID already stored.
	StoredID: `SELECT id FROM relay.inbound_mail WHERE message_id = @p1`,

	InsertAttachment: `
INSERT INTO relay.inbound_mail_attachment (mail_id, seq, filename, content_type, content_id, size, sha256, content, omitted)
VALUES (@p1, @p2, @p3, @p4, NULLIF(@p5, N''), @p6, @p7, @p8, NULLIF(@p9, N''))`,

	// CallHook runs the integrator's hook in the storing transaction.
	CallHook:    `EXEC relay.on_mail @mail_id = @p1`,
	IsDuplicate: isDuplicateKey,
	HookRaised:  hookRaised,
}

// StoreMail stores a mail, its attachments and runs relay.on_mail in one
// transaction (see dialect.MailStore). A nil []byte (raw_message, content)
// goes to go-mssqldb as a varbinary NULL: a plain nil would be an nvarchar
// NULL, which SQL Server refuses to convert to varbinary.
func (d Dialect) StoreMail(ctx context.Context, db *sql.DB, m *dialect.InboundMail) (dialect.MailStored, error) {
	st := mailStatements
	st.Explain = d.Explain
	return dialect.StoreMailWith(ctx, db, m, st)
}

// isDuplicateKey is a unique-key violation (2627 constraint, 2601 index):
// a concurrent insert of the same Message-ID won the race.
func isDuplicateKey(err error) bool {
	var e mssql.Error
	return errors.As(err, &e) && (e.Number == 2627 || e.Number == 2601)
}

// hookRaised tells an error the hook raised from trouble worth retrying:
// a deadlock (1205), a lock timeout (1222), a snapshot conflict (3960).
// Connection errors are not mssql.Error.
func hookRaised(err error) bool {
	var e mssql.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Number {
	case 1205, 1222, 3960:
		return false
	}
	return true
}
