package email

import (
	"context"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/channel"
	"github.com/dbrelay/dbrelay/internal/smtptest"
)

// BenchmarkEmailDrain measures how fast one email channel hands mails to
// an SMTP server on 127.0.0.1 (go-smtp, in this process: it shares the
// CPU): a short Chinese notice per message over 4 reused connections,
// sent by 8 concurrent workers as the listener's would. Run with
//
//	go test -run '^$' -bench Email -benchtime 5000x ./channel/email/
//
// and read msgs/s. The database is not involved (see
// listener/drain_bench_test.go for the whole pipeline).
func BenchmarkEmailDrain(b *testing.B) {
	srv := smtptest.Start(b, smtptest.Options{})
	s, err := New(channel.Channel{Code: "bench", Kind: Kind, Target: srv.Addr, Enabled: true, MaxAttempts: 5,
		Timeout: 10 * time.Second, Config: []byte(`{"from": "OA <oa@example.com>", "tls": "none", "connections": 4}`)},
		testEnv, Options{Store: attachments{}})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.SetParallelism(4) // 4 goroutines per GOMAXPROCS: 8 on this 2-core machine
	start := time.Now()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		m := message(1, "lisi@example.com")
		for pb.Next() {
			if res := s.Send(context.Background(), m); res.Outcome != channel.Sent {
				b.Errorf("send: %s", res.Err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
	srv.Wait(b, b.N, time.Minute)
}
