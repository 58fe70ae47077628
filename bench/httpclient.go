package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The HTTP ceiling: what this machine's loopback, a Go client and the sink
// manage with no database at all, at the listener's concurrency. A relay
// cannot beat it; the targets are fractions of it.

const modeHTTPClient = "httpclient"

// newHTTPClient is the client the HTTP ceiling and the River worker use:
// one shared client whose idle pool holds a keep-alive connection per
// concurrent sender, as dbrelay's webhook client does.
func newHTTPClient(conns int) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			DialContext:         dialer.DialContext,
			MaxIdleConns:        conns,
			MaxIdleConnsPerHost: conns,
			IdleConnTimeout:     90 * time.Second,
		},
	}
}

// post sends one payload and checks for a 2xx answer.
func post(ctx context.Context, c *http.Client, url string, payload []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(payload))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("sink answered %s", resp.Status)
	}
	return nil
}

// runHTTPClient posts n payloads with c goroutines, prints "done", and
// then waits for SIGTERM: it stays alive so that the orchestrator can read
// its CPU after the sink has counted the last request.
func runHTTPClient(args []string) error {
	fs := flag.NewFlagSet(modeHTTPClient, flag.ContinueOnError)
	url := fs.String("url", "", "where to post")
	n := fs.Int("n", 0, "requests in all")
	c := fs.Int("c", 32, "requests in flight")
	if err := fs.Parse(args); err != nil {
		return err
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
	client := newHTTPClient(*c)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, *c)
	for range *c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 0, 512)
			for {
				seq := next.Add(1)
				if seq > int64(*n) {
					return
				}
				buf = appendPayload(buf[:0], int(seq), time.Now().UnixNano())
				if err := post(context.Background(), client, *url, buf); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		return fmt.Errorf("httpclient: %w", err)
	default:
	}
	fmt.Println("done")
	<-stop
	return nil
}

// runHTTPCeiling measures the HTTP client process against the sink.
func runHTTPCeiling(ctx context.Context, l *lab) (measurement, error) {
	var m measurement
	n := l.cfg.N
	if err := l.sink.reset(ctx); err != nil {
		return m, err
	}
	before := l.sample(nil)
	start := time.Now()
	p, err := startChild("httpclient", l.tmp, l.self, nil, modeHTTPClient,
		"-url", l.sink.URL(), "-n", fmt.Sprint(n), "-c", fmt.Sprint(l.cfg.Listener.Workers))
	if err != nil {
		return m, err
	}
	defer p.stop(5 * time.Second)
	if _, err := l.sink.waitCount(ctx, int64(n), deadlineFor(n), p); err != nil {
		return m, fmt.Errorf("HTTP ceiling: %w", err)
	}
	elapsed := time.Since(start)
	used := l.sample(p).sub(before)
	m.RSS = p.peakRSS()
	m.Rate = float64(n) / elapsed.Seconds()
	m.CPU = used.perUnit(int64(n))
	return m, nil
}
