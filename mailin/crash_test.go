package mailin_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/dialect"
	"github.com/dbrelay/dbrelay/mailin"
)

// The crash test runs mail-in in a child process (this test binary again,
// with childEnv set) that kills itself with SIGKILL right after a mail's
// transaction commits and before the mail is flagged: the worst moment.
const childEnv = "DBRELAY_MAILIN_TEST_CHILD"

// runChild is the child's main: configuration from the environment.
func runChild() int {
	ca, err := os.ReadFile(os.Getenv("CHILD_CA_FILE"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	conn, err := dialect.Open(os.Getenv("CHILD_DATABASE_URL"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	cfg := mailin.Config{
		Server:       os.Getenv("CHILD_IMAP_SERVER"),
		TLSConfig:    &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"},
		User:         os.Getenv("CHILD_IMAP_USER"),
		Password:     os.Getenv("CHILD_IMAP_PASSWORD"),
		PollInterval: time.Hour,
	}
	mailin.SetAfterStore(&cfg, func() { syscall.Kill(os.Getpid(), syscall.SIGKILL) })
	reader, err := mailin.New(context.Background(), conn, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	if err := reader.Run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	return 0
}

// Killed between the commit and the flag: the mail is stored, not flagged;
// the next reader reads it again, stores nothing new, runs no hook again,
// and flags it.
func TestMailInKilledBetweenCommitAndFlag(t *testing.T) {
	r := newRig(t)
	r.imap.Deliver(t, simpleMail("crash@example.com", "崩溃测试", "正文"))
	r.imap.Deliver(t, simpleMail("", "没有 Message-ID 的邮件", "正文二"))

	// One child per mail: each stores one mail and dies before flagging it.
	for i := 1; i <= 2; i++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"=1",
			"CHILD_CA_FILE="+r.imap.CAFile, "CHILD_DATABASE_URL="+r.url, "CHILD_IMAP_SERVER="+r.imap.Addr,
			"CHILD_IMAP_USER="+r.imap.User, "CHILD_IMAP_PASSWORD="+r.imap.Password)
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("child %d: %v (want killed by SIGKILL)\n%s", i, err, out)
		}
		if n := r.count(`SELECT count(*) FROM relay.inbound_mail`); n != i {
			t.Fatalf("after child %d: %d mails stored", i, n)
		}
	}
	// Both crashed first on the oldest unflagged mail: the first child
	// stored mail 1, the second read mail 1 again (a duplicate: no
	// commit, so it went on) and died after storing mail 2.
	for _, m := range r.imap.Messages(t, "INBOX") {
		if m.HasFlag(mailin.DefaultDoneFlag) {
			// The second child flagged the duplicate mail 1 before
			// storing mail 2: that is right, it was already stored.
			if m.MessageID != "crash@example.com" {
				t.Fatalf("mail %q flagged by a child that was killed before flagging it", m.MessageID)
			}
		}
	}
	r.start()
	r.waitStored(2)
	if n := r.count(`SELECT count(*) FROM relay.inbound_mail`); n != 2 {
		t.Fatalf("%d rows after the restart, want 2", n)
	}
	if n := r.count(`SELECT count(*) FROM mail_seen`); n != 2 {
		t.Fatalf("the hook ran %d times for 2 mails", n)
	}
	if got := r.outcomes(); got[mailin.OutcomeDuplicate] < 1 || got[mailin.OutcomeStored] != 0 {
		t.Fatalf("the restarted reader's outcomes %v: want the re-read mail as a duplicate and nothing newly stored", got)
	}
}
