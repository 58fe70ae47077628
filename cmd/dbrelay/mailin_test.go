package main

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/internal/imaptest"
	"github.com/dbrelay/dbrelay/pgserver/pgtest"
)

// `dbrelay mail-in` as an operator runs it, under the least-privilege role
// of docs/postgres-roles.sql: the password from an allowed environment
// variable, a CA file, /metrics; SIGTERM ends it with exit 0.
func TestMailInCommand(t *testing.T) {
	srv := imaptest.Start(t)
	url := pgtest.Migrated(t)
	// Closed by a cleanup, so that it is still open for createRoles' own
	// (which drops the roles, and runs first).
	db := openDB(t, url)
	createRoles(t, db)
	if _, err := db.Exec(`ALTER ROLE relay_mailin LOGIN`); err != nil {
		t.Fatal(err)
	}
	srv.Deliver(t, []byte("Message-ID: <cli@test>\r\nSubject: =?UTF-8?B?5ZG95Luk6KGM?=\r\nFrom: a@example.com\r\n\r\nhello\r\n"))

	t.Setenv("OA_MAILBOX_PASSWORD", srv.Password)
	p := startDbrelay(t, "mail-in", "--database-url", strings.Replace(url, "postgres@", "relay_mailin@", 1),
		"--imap-server", srv.Addr, "--imap-ca-file", srv.CAFile, "--imap-user", srv.User,
		"--imap-password-env", "OA_MAILBOX_PASSWORD", "--allow-secret-env", "OA_MAILBOX_PASSWORD",
		"--http", "127.0.0.1:0", "--log-format", "text")
	waitFor(t, db, "the mail stored by mail-in", 60*time.Second, `SELECT count(*) = 1 FROM relay.inbound_mail WHERE subject = '命令行'`)
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("mail-in exited %d:\n%s", code, p.out.String())
	}
	if msgs := srv.Messages(t, "INBOX"); len(msgs) != 1 || !msgs[0].HasFlag("DbrelayStored") {
		t.Fatalf("INBOX after mail-in: %+v", msgs)
	}
	if strings.Contains(p.out.String(), srv.Password) {
		t.Fatal("the IMAP password reached the log")
	}
}

// Usage errors: exit 2 and a line saying what to do, before connecting.
func TestMailInUsageErrors(t *testing.T) {
	t.Setenv("NOT_ALLOWED_PASSWORD", "x")
	t.Setenv("DBRELAY_SECRET_IMAP_PASSWORD", "")
	cases := []struct {
		args []string
		says string
	}{
		{[]string{"--imap-server", "imap.example.com", "--imap-user", "u"}, "DBRELAY_SECRET_IMAP_PASSWORD is not set"},
		{[]string{"--imap-server", "imap.example.com", "--imap-user", "u", "--imap-password-env", "NOT_ALLOWED_PASSWORD"}, "--allow-secret-env NOT_ALLOWED_PASSWORD"},
		{[]string{"--attachment-max", "ten"}, "--attachment-max"},
		{[]string{"--done-folder", "Done", "--done-flag", "X"}, "choose one"},
	}
	for _, c := range cases {
		code, _, errOut := runCLI(t, append([]string{"mail-in", "--database-url", "postgres://nowhere.invalid/x"}, c.args...)...)
		if code != 2 || !strings.Contains(errOut, c.says) {
			t.Errorf("mail-in %s: exit %d, %q; want 2 and %q", strings.Join(c.args, " "), code, errOut, c.says)
		}
	}
}
