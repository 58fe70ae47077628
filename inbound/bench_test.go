package inbound

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/dialect"
	"github.com/dbrelay/dbrelay/dialect/dialecttest"
	"github.com/dbrelay/dbrelay/pgserver"
	"github.com/dbrelay/dbrelay/schema"
	"github.com/dbrelay/dbrelay/secret"
)

// The throughput of `dbrelay serve` against a bare Go HTTP server on the
// same machine: 32 keep-alive clients POST a ~100-byte JSON body; serve
// authenticates each (bearer token), records it in relay.inbound and calls
// a function that inserts one row, in one transaction, on a PostgreSQL
// with default durability (fsync and synchronous_commit on). Run:
//
//	go test -run '^$' -bench 'Serve|BareHTTP' -benchtime 3x ./inbound/
//
// Each iteration sends benchRequests requests; the result is requests/s.
// ServeIdempotent adds an Idempotency-Key to every request (one more row,
// in relay.inbound_seen).
const (
	benchRequests = 5000
	benchClients  = 32
)

func BenchmarkServe(b *testing.B)           { benchServe(b, false) }
func BenchmarkServeIdempotent(b *testing.B) { benchServe(b, true) }

func benchServe(b *testing.B, keyed bool) {
	ctx := context.Background()
	pg, err := pgserver.Start(ctx, pgserver.Options{Durable: true})
	if err != nil {
		b.Fatal(err)
	}
	defer pg.Stop()
	if err := pg.CreateDatabase(ctx, "bench", ""); err != nil {
		b.Fatal(err)
	}
	conn, err := dialect.Open(pg.URL("bench"))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	if err := (&schema.Migrator{Conn: conn}).Up(ctx); err != nil {
		b.Fatal(err)
	}
	for _, batch := range dialecttest.AppSchema("postgres") {
		if _, err := conn.DB.Exec(batch); err != nil {
			b.Fatal(err)
		}
	}
	in, _ := dialect.InboundOf(conn)
	if err := in.AddEndpoint(ctx, conn.DB, testEndpoint("/orders", dialect.AuthBearer)); err != nil {
		b.Fatal(err)
	}
	srv, err := New(ctx, conn, Config{Secrets: secret.FromMap(testEnv), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sctx, ln) }()
	defer func() { stop(); <-done }()

	var seq atomic.Int64
	req := func(i int) *http.Request {
		r, _ := http.NewRequest("POST", "http://"+ln.Addr().String()+"/orders",
			bytes.NewReader([]byte(`{"order": `+strconv.Itoa(i)+`, "item": "钢笔", "qty": 2, "note": "benchmark order"}`)))
		r.Header.Set("Authorization", "Bearer "+bearerToken)
		r.Header.Set("Content-Type", "application/json")
		if keyed {
			r.Header.Set("Idempotency-Key", "k"+strconv.FormatInt(seq.Add(1), 10))
		}
		return r
	}
	drive(b, req, http.StatusCreated)
	var rows int
	conn.DB.QueryRow(`SELECT count(*) FROM app.orders`).Scan(&rows)
	if want := (b.N + 1) * benchRequests; rows != want {
		b.Fatalf("%d rows inserted, want %d", rows, want)
	}
}

// BenchmarkBareHTTP is the ceiling: the same clients and bodies against a
// Go HTTP server that reads the body and answers a small JSON.
func BenchmarkBareHTTP(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	sink := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte(`{"order": 1, "caller": "crm"}`))
	})}
	go sink.Serve(ln)
	defer sink.Close()
	drive(b, func(i int) *http.Request {
		r, _ := http.NewRequest("POST", "http://"+ln.Addr().String()+"/orders",
			bytes.NewReader([]byte(`{"order": `+strconv.Itoa(i)+`, "item": "钢笔", "qty": 2, "note": "benchmark order"}`)))
		r.Header.Set("Authorization", "Bearer "+bearerToken)
		r.Header.Set("Content-Type", "application/json")
		return r
	}, http.StatusCreated)
}

// drive warms up with one round of benchRequests, then sends b.N rounds
// from benchClients clients and reports requests/s.
func drive(b *testing.B, req func(i int) *http.Request, status int) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: benchClients}, Timeout: time.Minute}
	round := func() error {
		var next atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, benchClients)
		for range benchClients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1))
					if i > benchRequests {
						return
					}
					resp, err := client.Do(req(i))
					if err != nil {
						errs <- err
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != status {
						errs <- fmt.Errorf("status %d", resp.StatusCode)
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		return <-errs
	}
	if err := round(); err != nil { // warm-up: connections, prepared statements
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if err := round(); err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	b.ReportMetric(float64(b.N*benchRequests)/elapsed.Seconds(), "req/s")
	b.ReportMetric(0, "ns/op")
}
