package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"
)

// The latency rows: messages pushed one per transaction at a steady rate
// while the system idles between them; each message's insert time travels
// in its payload and the sink records arrival − insert.

// latencyStats summarises one run's samples, in milliseconds.
type latencyStats struct {
	P50, P99, Max float64
	Samples       int
}

func summarise(ns []int64) *latencyStats {
	if len(ns) == 0 {
		return nil
	}
	s := slices.Clone(ns)
	slices.Sort(s)
	at := func(q float64) float64 {
		i := int(q*float64(len(s))+0.5) - 1
		i = max(0, min(i, len(s)-1))
		return float64(s[i]) / 1e6
	}
	return &latencyStats{P50: at(0.50), P99: at(0.99), Max: float64(s[len(s)-1]) / 1e6, Samples: len(s)}
}

// pushFunc inserts one message with the given payload in its own
// transaction.
type pushFunc func(ctx context.Context, payload []byte) error

// pushers is how many connections share the schedule, so that one slow
// commit (an fsync) does not delay the next message's insert.
const pushers = 4

// pace pushes rate messages per second for d. Message i is due at
// start + i/rate; its "t" is taken just before its push, so a push that
// starts late is measured from when it really started. It returns the
// number pushed.
func pace(ctx context.Context, rate int, d time.Duration, push pushFunc) (int, error) {
	total := int(d.Seconds() * float64(rate))
	interval := time.Second / time.Duration(rate)
	slots := make(chan int, total)
	errs := make(chan error, pushers)
	var wg sync.WaitGroup
	for range pushers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 0, 512)
			for seq := range slots {
				buf = appendPayload(buf[:0], seq, time.Now().UnixNano())
				if err := push(ctx, buf); err != nil {
					errs <- fmt.Errorf("push %d: %w", seq, err)
					return
				}
			}
		}()
	}
	start := time.Now()
	pushed := 0
	var err error
schedule:
	for i := range total {
		select {
		case <-time.After(time.Until(start.Add(time.Duration(i) * interval))):
		case err = <-errs:
			break schedule
		case <-ctx.Done():
			err = ctx.Err()
			break schedule
		}
		slots <- i + 1
		pushed++
	}
	close(slots)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errs:
		default:
		}
	}
	return pushed, err
}

// measureLatency runs the paced phase against a warmed-up system under
// test and collects the sink's samples.
func (l *lab) measureLatency(ctx context.Context, sut *child, push pushFunc) (measurement, error) {
	var m measurement
	// Warm up: one message end to end proves the system is up and
	// listening, and opens the connections the phase will reuse.
	if err := l.sink.reset(ctx); err != nil {
		return m, err
	}
	buf := appendPayload(nil, 0, time.Now().UnixNano())
	if err := push(ctx, buf); err != nil {
		return m, fmt.Errorf("warm-up push: %w", err)
	}
	warm := l.cfg.Listener.PollInterval + 30*time.Second
	if _, err := l.sink.waitCount(ctx, 1, time.Now().Add(warm), sut); err != nil {
		return m, fmt.Errorf("warm-up message: %w", err)
	}
	if err := l.sink.reset(ctx); err != nil {
		return m, err
	}

	before := l.sample(sut)
	start := time.Now()
	pushed, err := pace(ctx, l.cfg.LatencyRate, l.cfg.LatencyDuration, push)
	if err != nil {
		return m, err
	}
	if _, err := l.sink.waitCount(ctx, int64(pushed), time.Now().Add(l.cfg.Listener.PollInterval+30*time.Second), sut); err != nil {
		return m, fmt.Errorf("latency: %w", err)
	}
	elapsed := time.Since(start)
	used := l.sample(sut).sub(before)
	m.RSS = sut.peakRSS()
	got, err := l.sink.samples(ctx)
	if err != nil {
		return m, err
	}
	if len(got.LatencyNs) < pushed {
		return m, fmt.Errorf("latency: the sink found an insert time in %d of %d requests", len(got.LatencyNs), pushed)
	}
	m.Latency = summarise(got.LatencyNs)
	m.Rate = float64(pushed) / elapsed.Seconds()
	m.CPU = used.perUnit(int64(pushed))
	return m, nil
}

// runLatencyDbrelay measures dbrelay: each message is one autocommit
// `CALL relay.push('bench', 'bench', 'order', <payload JSON>)`, the host's
// one call; the payload travels as the message body (the context argument)
// and reaches the sink inside the webhook envelope.
func runLatencyDbrelay(ctx context.Context, l *lab, noNotify bool) (measurement, error) {
	var m measurement
	d, err := l.freshDB(ctx, "latency")
	if err != nil {
		return m, err
	}
	defer l.drop(ctx, d)
	if err := l.installRelay(ctx, d); err != nil {
		return m, err
	}
	var extra []string
	if noNotify {
		extra = append(extra, "--no-notify")
	}
	lst, err := l.startListener(d, extra...)
	if err != nil {
		return m, err
	}
	defer lst.stop(30 * time.Second)
	push := func(ctx context.Context, payload []byte) error {
		_, err := d.pool.Exec(ctx, `CALL relay.push($1, $2, $3, $4)`, "bench", "bench", "order", string(payload))
		return err
	}
	return l.measureLatency(ctx, lst, push)
}

// runLatencyRiver measures River: each message is one client.Insert (its
// own transaction) from an insert-only client with the same FetchCooldown
// as the worker process.
func runLatencyRiver(ctx context.Context, l *lab, s riverSetup) (measurement, error) {
	var m measurement
	d, err := l.freshDB(ctx, "latency_river")
	if err != nil {
		return m, err
	}
	defer l.drop(ctx, d)
	if err := installRiver(ctx, d); err != nil {
		return m, err
	}
	ins, err := riverInserter(d, s)
	if err != nil {
		return m, err
	}
	p, err := l.startRiver(d, s)
	if err != nil {
		return m, err
	}
	defer p.stop(30 * time.Second)
	if _, err := p.waitLine("ready", 60*time.Second); err != nil {
		return m, err
	}
	push := func(ctx context.Context, payload []byte) error {
		_, err := ins.Insert(ctx, postArgs{Payload: json.RawMessage(payload)}, nil)
		return err
	}
	return l.measureLatency(ctx, p, push)
}
