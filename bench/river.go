package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// River (riverqueue/river with its pgx v5 driver) is what a Go team would
// pick instead of dbrelay, so it does the same job side by side: a worker
// POSTs each job's payload to the sink. It runs in its own process (the
// bench binary re-executed with modeRiver) so its CPU and memory are its
// own. Its tables are installed with its own migrator, in schema public of
// a fresh database of the same PostgreSQL server.

const modeRiver = "river"

// riverSetup is one River configuration under test.
type riverSetup struct {
	// MaxWorkers is the default queue's worker count. River has no default
	// for it; 100 is the value of River's own getting-started example.
	MaxWorkers int
	// FetchCooldown is the client's (0 = River's default, 100 ms). The same
	// value goes to the inserting client, whose insert notifications River
	// rate-limits by it.
	FetchCooldown time.Duration
}

func riverDefaults() riverSetup { return riverSetup{MaxWorkers: 100} }

// riverFast is River tuned for throughput and latency as far as its
// configuration allows: a 1 ms fetch cooldown (FetchPollInterval stays at
// its 1 s default, which River requires to be ≥ the cooldown) and as many
// workers as dbrelay's listener has.
func riverFast(c config) riverSetup {
	return riverSetup{MaxWorkers: c.Listener.Workers, FetchCooldown: time.Millisecond}
}

// riverFast100 is River with the 1 ms cooldown and 100 workers: on this
// machine its best drain (issue 13 measured 7.0k/s there against
// 3.7–7.8k/s at 32), so that the headline compares each peer at its best.
func riverFast100() riverSetup {
	return riverSetup{MaxWorkers: 100, FetchCooldown: time.Millisecond}
}

func (s riverSetup) args() []string {
	return []string{"-max-workers", fmt.Sprint(s.MaxWorkers), "-fetch-cooldown", s.FetchCooldown.String()}
}

// postArgs is the job: the payload to POST.
type postArgs struct {
	Payload json.RawMessage `json:"payload"`
}

func (postArgs) Kind() string { return "bench_post" }

// postWorker POSTs a job's payload to the sink with a shared keep-alive
// client, as dbrelay's webhook sender does.
type postWorker struct {
	river.WorkerDefaults[postArgs]
	client *http.Client
	url    string
}

func (w *postWorker) Work(ctx context.Context, job *river.Job[postArgs]) error {
	return post(ctx, w.client, w.url, job.Args.Payload)
}

// runRiverProcess is the River worker process: it works the default queue
// until SIGTERM, after printing "ready" once River has started.
func runRiverProcess(args []string) error {
	fs := flag.NewFlagSet(modeRiver, flag.ContinueOnError)
	dbURL := fs.String("database-url", "", "PostgreSQL URL")
	sinkURL := fs.String("sink", "", "where workers POST")
	var setup riverSetup
	fs.IntVar(&setup.MaxWorkers, "max-workers", 100, "workers of the default queue")
	fs.DurationVar(&setup.FetchCooldown, "fetch-cooldown", 0, "River's FetchCooldown (0: its default)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	pool, err := pgxpool.New(ctx, *dbURL)
	if err != nil {
		return fmt.Errorf("river: connecting: %w", err)
	}
	defer pool.Close()
	workers := river.NewWorkers()
	river.AddWorker(workers, &postWorker{client: newHTTPClient(setup.MaxWorkers), url: *sinkURL})
	cfg := &river.Config{
		FetchCooldown: setup.FetchCooldown,
		Queues:        map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: setup.MaxWorkers}},
		Workers:       workers,
		Logger:        slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	client, err := river.NewClient(riverpgxv5.New(pool), cfg)
	if err != nil {
		return fmt.Errorf("river: new client: %w", err)
	}
	if err := client.Start(ctx); err != nil {
		return fmt.Errorf("river: start: %w", err)
	}
	fmt.Println("ready")
	<-ctx.Done()
	stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return client.Stop(stopCtx)
}

// installRiver runs River's migrations in d.
func installRiver(ctx context.Context, d *database) error {
	mig, err := rivermigrate.New(riverpgxv5.New(d.pool), nil)
	if err != nil {
		return fmt.Errorf("river migrator: %w", err)
	}
	if _, err := mig.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("installing River's schema in %s: %w", d.name, err)
	}
	return nil
}

// riverInserter is an insert-only River client in the orchestrator: the
// host's side of River.
func riverInserter(d *database, s riverSetup) (*river.Client[pgx.Tx], error) {
	c, err := river.NewClient(riverpgxv5.New(d.pool), &river.Config{
		FetchCooldown: s.FetchCooldown,
		Logger:        slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		return nil, fmt.Errorf("river insert client: %w", err)
	}
	return c, nil
}

// startRiver starts the River worker process and waits until it runs.
func (l *lab) startRiver(d *database, s riverSetup) (*child, error) {
	args := append([]string{modeRiver, "-database-url", d.url, "-sink", l.sink.URL()}, s.args()...)
	p, err := startChild("river", l.tmp, l.self, nil, args...)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// runRiverDrain measures River completing N jobs inserted before it
// started, the way runDrain measures dbrelay: the clock runs from starting
// the process until every job is completed.
func runRiverDrain(ctx context.Context, l *lab, s riverSetup) (measurement, error) {
	var m measurement
	d, err := l.freshDB(ctx, "river")
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
	n := l.cfg.N
	t := time.Now().UnixNano()
	const chunk = 5000
	for first := 0; first < n; first += chunk {
		params := make([]river.InsertManyParams, 0, chunk)
		for i := first; i < min(first+chunk, n); i++ {
			params = append(params, river.InsertManyParams{Args: postArgs{Payload: appendPayload(nil, i+1, t)}})
		}
		if _, err := ins.InsertMany(ctx, params); err != nil {
			return m, fmt.Errorf("river InsertMany: %w", err)
		}
	}
	if _, err := d.pool.Exec(ctx, `VACUUM ANALYZE river_job`); err != nil {
		return m, fmt.Errorf("VACUUM ANALYZE river_job: %w", err)
	}
	if err := checkpoint(ctx, d); err != nil {
		return m, err
	}
	if err := l.sink.reset(ctx); err != nil {
		return m, err
	}

	before := l.sample(nil)
	start := time.Now()
	p, err := l.startRiver(d, s)
	if err != nil {
		return m, err
	}
	defer p.stop(30 * time.Second)
	deadline := deadlineFor(n)
	if _, err := l.sink.waitCount(ctx, int64(n), deadline, p); err != nil {
		return m, fmt.Errorf("river drain: %w", err)
	}
	if err := waitRiverFinished(ctx, d, deadline); err != nil {
		return m, err
	}
	elapsed := time.Since(start)
	used := l.sample(p).sub(before)
	m.RSS = p.peakRSS()
	if err := p.stop(30 * time.Second); err != nil {
		return m, err
	}
	var done int
	if err := d.pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE state = 'completed'`).Scan(&done); err != nil {
		return m, fmt.Errorf("counting completed jobs: %w", err)
	}
	if done != n {
		return m, fmt.Errorf("river drain: %d of %d jobs completed", done, n)
	}
	m.Rate = float64(n) / elapsed.Seconds()
	m.CPU = used.perUnit(int64(n))
	return m, nil
}

// waitRiverFinished waits until no job is left to run or being completed.
// The states it counts lead river_job_prioritized_fetching_index, so the
// poll reads only unfinished jobs.
func waitRiverFinished(ctx context.Context, d *database, deadline time.Time) error {
	for {
		var open int
		err := d.pool.QueryRow(ctx, `
SELECT count(*) FROM river_job
WHERE state IN ('available', 'pending', 'retryable', 'running', 'scheduled')`).Scan(&open)
		if err != nil {
			return fmt.Errorf("waiting for River's completions: %w", err)
		}
		if open == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("river drain: %d jobs unfinished at the deadline", open)
		}
		time.Sleep(2 * time.Millisecond) // bounded polling of a database condition
	}
}
