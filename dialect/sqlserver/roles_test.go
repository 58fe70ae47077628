package sqlserver

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/dbrelay/dbrelay/schema"
	mssql "github.com/microsoft/go-mssqldb"
)

// docs/sqlserver-roles.sql is enough, and no more: each role does its job,
// and each denial is tried under the role (users without logins, taken on
// with EXECUTE AS USER on one session).
func TestLeastPrivilegeRoles(t *testing.T) {
	ctx := context.Background()
	c := migrated(t)
	exec(t, c, `INSERT INTO relay.channel (code, kind) VALUES (N'inbox', N'internal');
		UPDATE relay.settings SET default_channel = N'inbox'`)
	script, err := os.ReadFile("../../docs/sqlserver-roles.sql")
	if err != nil {
		t.Fatal(err)
	}
	exec(t, c, string(script))
	// relay_writer: a user a DBA let INSERT into relay.message directly.
	exec(t, c, `CREATE USER h12_host WITHOUT LOGIN;
		CREATE USER h12_listener WITHOUT LOGIN;
		CREATE USER h12_reader WITHOUT LOGIN;
		CREATE USER h12_writer WITHOUT LOGIN;
		ALTER ROLE relay_host ADD MEMBER h12_host;
		ALTER ROLE relay_listener ADD MEMBER h12_listener;
		ALTER ROLE relay_reader ADD MEMBER h12_reader;
		GRANT INSERT, SELECT ON OBJECT::relay.message TO h12_writer;`)
	conn, err := c.DB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// as runs stmt as user. EXECUTE AS is sent as a batch of its own, not
	// through sp_executesql (a parameterised query), whose scope would
	// revert it at once; the user names are this test's constants.
	as := func(user, stmt string) error {
		t.Helper()
		if _, err := conn.ExecContext(ctx, "EXECUTE AS USER = N'"+user+"';"); err != nil {
			t.Fatalf("EXECUTE AS USER %s: %v", user, err)
		}
		_, err := conn.ExecContext(ctx, stmt)
		if _, rerr := conn.ExecContext(ctx, "REVERT;"); rerr != nil {
			t.Fatalf("REVERT after %s: %v", stmt, rerr)
		}
		return err
	}
	for _, c := range []struct{ user, stmt string }{
		{"h12_host", `EXEC relay.push @Sender = N's', @Receivers = N'a,b', @Title = N't', @Context = N'x'`},
		{"h12_host", `DECLARE @id bigint; EXEC relay.enqueue @Sender = N's', @Receiver = N'c', @Channel = N'inbox', @Title = N't', @Id = @id OUTPUT`},
		{"h12_host", `SELECT COUNT(*) FROM relay_api.outbox`},
		{"h12_reader", `SELECT COUNT(*) FROM relay_api.failures`},
		{"h12_listener", `SELECT COUNT(*) FROM relay.channel`},
		{"h12_listener", `UPDATE relay.message SET status = N'dead' WHERE receiver = N'a'`},
		{"h12_listener", `UPDATE relay.message SET status = N'pending' WHERE receiver = N'a'`},
		{"h12_writer", `INSERT INTO relay.message (receiver, channel, title) VALUES (N'w', N'inbox', N't')`},
	} {
		if err := as(c.user, c.stmt); err != nil {
			t.Errorf("%s cannot %s: %v", c.user, c.stmt, err)
		}
	}
	if n := count(t, c, `SELECT COUNT(*) FROM relay.message`); n != 4 {
		t.Fatalf("%d messages, want 4 (two pushed, one enqueued, one inserted)", n)
	}
	for _, c := range []struct{ user, stmt, why string }{
		{"h12_host", `SELECT * FROM relay.channel`, "targets, header values and secret names"},
		{"h12_host", `SELECT * FROM relay.recipient`, "receivers' addresses"},
		{"h12_host", `SELECT * FROM relay.settings`, "settings"},
		{"h12_host", `INSERT INTO relay.message (receiver, channel, title, status) VALUES (N'x', N'inbox', N't', N'sent')`, "a forged outcome"},
		{"h12_host", `UPDATE relay.message SET status = N'cancelled'`, "changing messages"},
		{"h12_host", `UPDATE relay.channel SET target = N'http://evil.example/'`, "changing channels"},
		{"h12_host", `EXEC relay.on_outcome @message_id = 1, @status = N'sent', @channel = N'inbox', @receiver = N'a', @event = N'MESSAGE', @ref = NULL`, "the outcome hook"},
		{"h12_reader", `SELECT * FROM relay.channel`, "channels"},
		{"h12_reader", `EXEC relay.push @Sender = N's', @Receivers = N'a', @Title = N't', @Context = N'x'`, "pushing"},
		{"h12_listener", `SELECT * FROM relay.recipient`, "receivers' addresses"},
		{"h12_writer", `INSERT INTO relay.message (receiver, channel, title, status, response_code) VALUES (N'x', N'inbox', N't', N'sent', 200)`, "a forged outcome"},
		{"h12_writer", `INSERT INTO relay.message (receiver, channel, title, attempts) VALUES (N'x', N'inbox', N't', 3)`, "a forged attempt count"},
	} {
		err := as(c.user, c.stmt)
		var me mssql.Error
		if !errors.As(err, &me) || (me.Number != 229 && me.Number != 230 && me.Number != 50008) {
			t.Errorf("%s can do %s (%s): %v", c.user, c.why, c.stmt, err)
		}
	}
}

// No procedure or function in relay or relay_api is executable by public,
// and applying an object file takes back a grant someone made.
func TestNoProcedureExecutableByPublic(t *testing.T) {
	ctx := context.Background()
	c := migrated(t)
	const granted = `SELECT COUNT(*)
FROM sys.database_permissions AS p
INNER JOIN sys.objects AS o ON p.major_id = o.object_id
WHERE p.grantee_principal_id = DATABASE_PRINCIPAL_ID(N'public') AND p.state IN ('G', 'W')
    AND SCHEMA_NAME(o.schema_id) IN (N'relay', N'relay_api')`
	if n := count(t, c, granted); n != 0 {
		t.Fatalf("%d grants to public on relay objects after migrate up", n)
	}
	exec(t, c, `GRANT EXECUTE ON OBJECT::relay.enqueue TO public;
		DELETE FROM relay.schema_object WHERE path = N'procedures/sqlserver/enqueue.sql'`)
	if err := (&schema.Migrator{Conn: c}).Up(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, c, granted); n != 0 {
		t.Fatalf("applying enqueue.sql left public's grant (%d)", n)
	}
}
