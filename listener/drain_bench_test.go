package listener_test

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/channel/senders"
	"github.com/dbrelay/dbrelay/dialect"
	_ "github.com/dbrelay/dbrelay/dialect/postgres"
	"github.com/dbrelay/dbrelay/listener"
	"github.com/dbrelay/dbrelay/pgserver"
	"github.com/dbrelay/dbrelay/schema"
)

// BenchmarkDrain10k drains 10,000 pending messages to a local HTTP sink with
// the listener's default configuration, on a PostgreSQL with default
// durability (fsync and synchronous_commit on). Run it with
//
//	go test -run '^$' -bench Drain10k -benchtime 3x ./listener/
//
// It reports messages/s and the CPU per message of PostgreSQL (the
// postmaster and all its children, /proc) and of this process (listener and
// sink). The full comparison with River and the HTTP
// ceiling is bench/ (make bench).
func BenchmarkDrain10k(b *testing.B) {
	ctx := context.Background()
	b.StopTimer()
	durable, err := pgserver.Start(ctx, pgserver.Options{Durable: true})
	if err != nil {
		b.Fatal(err)
	}
	defer durable.Stop()
	var received atomic.Int64
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	sink := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		received.Add(1)
	})}
	go sink.Serve(ln)
	defer sink.Close()

	const n = 10000
	var total, pgT, meT time.Duration
	for i := 0; i < b.N; i++ {
		name := "drain" + time.Now().Format("150405.000000")
		name = "d" + name[len(name)-6:]
		if err := durable.CreateDatabase(ctx, name, ""); err != nil {
			b.Fatal(err)
		}
		conn, err := dialect.Open(durable.URL(name))
		if err != nil {
			b.Fatal(err)
		}
		if err := (&schema.Migrator{Conn: conn}).Up(ctx); err != nil {
			b.Fatal(err)
		}
		mustExec(b, conn.DB, `INSERT INTO relay.channel (code, kind, target) VALUES ('sink', 'webhook', $1)`, "http://"+ln.Addr().String()+"/")
		mustExec(b, conn.DB, `INSERT INTO relay.message (receiver, channel, title, payload)
			SELECT 'r' || g, 'sink', 'title', jsonb_build_object('order', g, 'text', repeat('x', 240)) FROM generate_series(1, $1) g`, n)
		mustExec(b, conn.DB, `VACUUM ANALYZE relay.message`)

		l, err := listener.New(ctx, conn, listener.Config{
			Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
			Senders: senders.Default(32),
		})
		if err != nil {
			b.Fatal(err)
		}
		lctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		b.StartTimer()
		pg0, me0 := pgCPU(durable.PID()), selfCPU()
		start := time.Now()
		go func() { l.Run(lctx); close(done) }()
		// Wait cheaply: first for the sink's count, then for the last
		// write-backs, through the partial index of unfinished rows.
		for received.Load() < int64(n*(i+1)) {
			time.Sleep(time.Millisecond)
		}
		for {
			var open int
			conn.DB.QueryRow(`SELECT count(*) FROM relay.message WHERE next_attempt_at IS NOT NULL`).Scan(&open)
			if open == 0 {
				break
			}
			time.Sleep(time.Millisecond)
		}
		total += time.Since(start)
		pgT += pgCPU(durable.PID()) - pg0
		meT += selfCPU() - me0
		b.StopTimer()
		stop()
		<-done
		conn.Close()
		durable.DropDatabase(ctx, name)
	}
	b.ReportMetric(float64(n*b.N)/total.Seconds(), "msgs/s")
	b.ReportMetric(float64(pgT.Microseconds())/float64(n*b.N), "pg-µs/msg")
	b.ReportMetric(float64(meT.Microseconds())/float64(n*b.N), "go-µs/msg")
}

func mustExec(b *testing.B, db *sql.DB, q string, args ...any) {
	b.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		b.Fatalf("%s: %v", q, err)
	}
}
