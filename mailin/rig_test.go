package mailin_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/dialect"
	"github.com/dbrelay/dbrelay/internal/imaptest"
	"github.com/dbrelay/dbrelay/internal/logbuf"
	"github.com/dbrelay/dbrelay/mailin"
	"github.com/dbrelay/dbrelay/pgserver/pgtest"
	"github.com/prometheus/client_golang/prometheus"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(runChild())
	}
	pgtest.Main(m)
}

// rig is a dovecot with a test user, a migrated PostgreSQL database whose
// relay.on_mail records each call in mail_seen, and a mail-in
// configuration for both.
type rig struct {
	t    *testing.T
	imap *imaptest.Server
	url  string
	conn *dialect.Conn
	cfg  mailin.Config
	reg  *prometheus.Registry
	logs *logbuf.Buffer
}

func newRig(t *testing.T) *rig {
	t.Helper()
	t.Parallel()
	r := &rig{t: t, imap: imaptest.Start(t), url: pgtest.Migrated(t), reg: prometheus.NewRegistry(), logs: &logbuf.Buffer{}}
	conn, err := dialect.Open(r.url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	r.conn = conn
	r.exec(`CREATE TABLE mail_seen (mail_id bigint NOT NULL, subject text NOT NULL)`)
	r.exec(`CREATE OR REPLACE PROCEDURE relay.on_mail(mail_id bigint) LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO mail_seen SELECT id, subject FROM relay.inbound_mail WHERE id = on_mail.mail_id;
    IF (SELECT subject FROM relay.inbound_mail WHERE id = on_mail.mail_id) LIKE '%refuse me%' THEN
        RAISE EXCEPTION 'the hook refuses mail %', on_mail.mail_id;
    END IF;
END
$$`)
	r.cfg = mailin.Config{
		Server:       r.imap.Addr,
		TLSConfig:    r.imap.TLSConfig(),
		User:         r.imap.User,
		Password:     r.imap.Password,
		PollInterval: time.Hour, // only IDLE wakes the reader, unless a test says otherwise
		Logger:       slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Metrics:      mailin.NewMetrics(r.reg),
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("mail-in log:\n%s", r.logs.String())
		}
	})
	return r
}

func (r *rig) exec(q string, args ...any) {
	r.t.Helper()
	if _, err := r.conn.DB.Exec(q, args...); err != nil {
		r.t.Fatalf("%s: %v", q, err)
	}
}

func (r *rig) count(q string, args ...any) int {
	r.t.Helper()
	var n int
	if err := r.conn.DB.QueryRow(q, args...).Scan(&n); err != nil {
		r.t.Fatalf("%s: %v", q, err)
	}
	return n
}

// start runs a reader with the rig's configuration until the test ends;
// stop ends it and fails the test if Run returned an error.
func (r *rig) start() (stop func()) {
	r.t.Helper()
	reader, err := mailin.New(context.Background(), r.conn, r.cfg)
	if err != nil {
		r.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- reader.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					r.t.Errorf("mail-in Run: %v", err)
				}
			case <-time.After(30 * time.Second):
				r.t.Errorf("mail-in did not stop within 30s of its context ending")
			}
		})
	}
	r.t.Cleanup(stop)
	return stop
}

// waitFor polls cond until it holds, failing the test after timeout. The
// timeout is a deadline against hanging, not a speed requirement.
func (r *rig) waitFor(what string, cond func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			r.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitStored waits until n mails are stored and none is left unflagged in
// INBOX.
func (r *rig) waitStored(n int) {
	r.t.Helper()
	r.waitFor(fmt.Sprintf("%d mails stored and flagged", n), func() bool {
		if r.count(`SELECT count(*) FROM relay.inbound_mail`) < n {
			return false
		}
		for _, m := range r.imap.Messages(r.t, "INBOX") {
			if !m.HasFlag(mailin.DefaultDoneFlag) {
				return false
			}
		}
		return true
	})
}

// outcomes reads dbrelay_mail_in_mails_total by outcome.
func (r *rig) outcomes() map[string]int {
	r.t.Helper()
	families, err := r.reg.Gather()
	if err != nil {
		r.t.Fatal(err)
	}
	out := map[string]int{}
	for _, f := range families {
		if f.GetName() != "dbrelay_mail_in_mails_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			out[m.GetLabel()[0].GetValue()] = int(m.GetCounter().GetValue())
		}
	}
	return out
}

// row is a stored mail's columns the tests compare.
type row struct {
	ID                            int64
	MessageID, From, FromName, To string
	Subject, Text, HTML           string
	Raw                           []byte
	ParseError, HookError         sql.NullString
	Attachments                   int
}

func (r *rig) mail(messageID string) row {
	r.t.Helper()
	var m row
	err := r.conn.DB.QueryRow(`SELECT id, message_id, from_address, from_name, to_addresses, subject, text_body, html_body,
		raw_message, parse_error, hook_error, (SELECT count(*) FROM relay.inbound_mail_attachment a WHERE a.mail_id = m.id)
		FROM relay.inbound_mail m WHERE message_id = $1`, messageID).Scan(&m.ID, &m.MessageID, &m.From, &m.FromName, &m.To,
		&m.Subject, &m.Text, &m.HTML, &m.Raw, &m.ParseError, &m.HookError, &m.Attachments)
	if err != nil {
		r.t.Fatalf("mail %s: %v", messageID, err)
	}
	return m
}
