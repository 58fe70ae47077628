package postgres_test

import (
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/channel/email"
	"github.com/dbrelay/dbrelay/channel/senders"
	"github.com/dbrelay/dbrelay/dialect"
	"github.com/dbrelay/dbrelay/dialect/dialecttest"
	"github.com/dbrelay/dbrelay/internal/smtptest"
	"github.com/dbrelay/dbrelay/pgserver/pgtest"
)

// BenchmarkEmailPipeline drains b.N pending email messages through the
// whole listener (claim, SMTP over 8 reused connections, the mail audit,
// the write-back) to an SMTP server on 127.0.0.1 (go-smtp, in this
// process), on the tests' PostgreSQL (not durable: see listener's
// BenchmarkDrain10k for a durable one). Run it with
//
//	go test -run '^$' -bench EmailPipeline -benchtime 5000x ./dialect/postgres/
//
// and read msgs/s.
func BenchmarkEmailPipeline(b *testing.B) {
	c, err := dialect.Open(pgtest.Migrated(b))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	srv := smtptest.Start(b, smtptest.Options{})
	if _, err := c.DB.Exec(`INSERT INTO relay.channel (code, kind, target, config) VALUES ('mail', 'email', $1, $2)`,
		srv.Addr, `{"from": "OA 通知 <oa@example.com>", "tls": "none", "connections": 8}`); err != nil {
		b.Fatal(err)
	}
	if _, err := c.DB.Exec(`INSERT INTO relay.message (receiver, channel, address, title, body)
		SELECT 'r' || g, 'mail', 'r' || g || '@example.com', '请审批：报销单 #' || g, repeat('报销单明细 ', 20)
		FROM generate_series(1, $1) g`, b.N); err != nil {
		b.Fatal(err)
	}
	cfg := dialecttest.TestConfig(b)
	cfg.Workers = 16
	cfg.Senders = senders.Default(16, senders.Email(email.Options{Store: dialect.AttachmentSource(c)}))
	b.ResetTimer()
	start := time.Now()
	stop := dialecttest.StartListener(b, c, cfg)
	srv.Wait(b, b.N, 10*time.Minute)
	deadline := time.Now().Add(time.Minute)
	for {
		var open int
		if err := c.DB.QueryRow(`SELECT count(*) FROM relay.message WHERE next_attempt_at IS NOT NULL`).Scan(&open); err != nil {
			b.Fatal(err)
		}
		if open == 0 {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d messages still unfinished a minute after the last mail arrived", open)
		}
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	stop()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
	var audited int
	if err := c.DB.QueryRow(`SELECT count(*) FROM relay_api.mail_audit WHERE accepted`).Scan(&audited); err != nil || audited != b.N {
		b.Fatalf("%d audit rows for %d mails (%v)", audited, b.N, err)
	}
}
