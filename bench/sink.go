package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The sink is the endpoint every system delivers to: it answers 200, counts
// requests and keeps one latency sample per request that carries a "t". It
// runs as its own process (the bench binary re-executed with modeSink) so
// that its CPU is measured apart from the system under test and from the
// orchestrator. Its control endpoints live under /_sink/ and are used by the
// orchestrator only between or at the edges of measured phases.

const modeSink = "sink"

// sinkState is what the sink's handlers share.
type sinkState struct {
	count atomic.Int64

	mu      sync.Mutex
	samples []int64       // arrival − t, ns
	target  int64         // a waiter's count; 0 = nobody waits
	reached chan struct{} // closed when count reaches target
}

// runSink serves until SIGTERM. It prints "addr HOST:PORT" on stdout once
// it listens, which is how the orchestrator learns the port.
func runSink(args []string) error {
	fs := flag.NewFlagSet(modeSink, flag.ContinueOnError)
	addr := fs.String("listen", "127.0.0.1:0", "address to listen on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("sink: listen: %w", err)
	}
	s := &sinkState{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_sink/wait", s.handleWait)
	mux.HandleFunc("POST /_sink/reset", s.handleReset)
	mux.HandleFunc("GET /_sink/samples", s.handleSamples)
	mux.HandleFunc("/", s.handleMessage)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	fmt.Printf("addr %s\n", ln.Addr())

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
	go func() {
		<-stop
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("sink: serve: %w", err)
	}
	return nil
}

// bodyPool keeps request buffers: the sink's own allocations are part of
// every row's sink column, and should stay as small as a real receiver's.
var bodyPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

func (s *sinkState) handleMessage(w http.ResponseWriter, r *http.Request) {
	bp := bodyPool.Get().(*[]byte)
	body, err := readAll((*bp)[:0], r.Body)
	if err != nil {
		*bp = body
		bodyPool.Put(bp)
		http.Error(w, "read body: "+err.Error(), http.StatusBadRequest)
		return
	}
	now := time.Now().UnixNano()
	t, ok := insertTime(body)
	*bp = body
	bodyPool.Put(bp)

	n := s.count.Add(1)
	s.mu.Lock()
	if ok {
		s.samples = append(s.samples, now-t)
	}
	if s.target > 0 && n >= s.target {
		close(s.reached)
		s.target = 0
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// readAll is io.ReadAll into a caller's buffer.
func readAll(b []byte, r io.Reader) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// handleWait blocks until the count reaches n or timeout passes (0: not
// at all), then answers the count: the orchestrator awaits a condition instead of
// polling it, so waiting costs the sink nothing per message.
func (s *sinkState) handleWait(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.ParseInt(r.URL.Query().Get("n"), 10, 64)
	if err != nil || n < 1 {
		http.Error(w, "n: want a positive count", http.StatusBadRequest)
		return
	}
	timeout, err := time.ParseDuration(r.URL.Query().Get("timeout"))
	if err != nil {
		http.Error(w, "timeout: want a duration", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	var reached chan struct{}
	if s.count.Load() < n && timeout > 0 {
		reached = make(chan struct{})
		s.target, s.reached = n, reached
	}
	s.mu.Unlock()
	if reached != nil {
		select {
		case <-reached:
		case <-time.After(timeout):
			s.mu.Lock()
			s.target = 0
			s.mu.Unlock()
		case <-r.Context().Done():
		}
	}
	fmt.Fprintf(w, "%d\n", s.count.Load())
}

func (s *sinkState) handleReset(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.count.Store(0)
	s.samples = s.samples[:0]
	s.target = 0
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (s *sinkState) handleSamples(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	out := sinkSamples{Count: s.count.Load(), LatencyNs: append([]int64(nil), s.samples...)}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

// sinkSamples is the sink's answer to /_sink/samples.
type sinkSamples struct {
	Count     int64   `json:"count"`
	LatencyNs []int64 `json:"latency_ns"`
}

// sink is the orchestrator's handle on the sink process.
type sink struct {
	proc *child
	base string // http://127.0.0.1:PORT
	ctl  *http.Client
}

// startSink starts the sink process and waits for its address.
func startSink(self, logDir string) (*sink, error) {
	p, err := startChild("sink", logDir, self, nil, modeSink)
	if err != nil {
		return nil, err
	}
	line, err := p.waitLine("addr ", 30*time.Second)
	if err != nil {
		p.stop(5 * time.Second)
		return nil, err
	}
	return &sink{proc: p, base: "http://" + line[len("addr "):], ctl: &http.Client{}}, nil
}

// URL is where systems deliver to.
func (s *sink) URL() string { return s.base + "/hook" }

func (s *sink) reset(ctx context.Context) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.base+"/_sink/reset", nil)
	resp, err := s.ctl.Do(req)
	if err != nil {
		return fmt.Errorf("sink reset: %w", err)
	}
	resp.Body.Close()
	return nil
}

// waitCount waits until the sink has counted n requests. It gives up at
// deadline, or as soon as sut (when not nil) exits, since then the count
// will never come.
func (s *sink) waitCount(ctx context.Context, n int64, deadline time.Time, sut *child) (int64, error) {
	for {
		step := min(time.Until(deadline), time.Second)
		if step <= 0 {
			got, _ := s.waitOnce(ctx, n, 0)
			return got, fmt.Errorf("sink counted %d of %d requests before the deadline", got, n)
		}
		got, err := s.waitOnce(ctx, n, step)
		if err != nil {
			return got, err
		}
		if got >= n {
			return got, nil
		}
		if sut != nil && sut.exited() {
			return got, fmt.Errorf("sink counted %d of %d requests, and %s exited: %s", got, n, sut.name, sut.tail())
		}
	}
}

func (s *sink) waitOnce(ctx context.Context, n int64, timeout time.Duration) (int64, error) {
	url := fmt.Sprintf("%s/_sink/wait?n=%d&timeout=%s", s.base, n, timeout)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := s.ctl.Do(req)
	if err != nil {
		return 0, fmt.Errorf("sink wait: %w", err)
	}
	defer resp.Body.Close()
	var got int64
	if _, err := fmt.Fscan(resp.Body, &got); err != nil {
		return 0, fmt.Errorf("sink wait: reading the count: %w", err)
	}
	return got, nil
}

// count is the number of requests so far.
func (s *sink) count(ctx context.Context) (int64, error) {
	return s.waitOnce(ctx, 1<<62, 0)
}

func (s *sink) samples(ctx context.Context) (sinkSamples, error) {
	var out sinkSamples
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.base+"/_sink/samples", nil)
	resp, err := s.ctl.Do(req)
	if err != nil {
		return out, fmt.Errorf("sink samples: %w", err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return out, fmt.Errorf("sink samples: decoding: %w", err)
	}
	return out, nil
}
