// Command bench measures dbrelay against the ceilings of this machine and
// against River, side by side in one invocation: `make bench` (see
// README.md). The same binary, re-executed with a mode argument, is the
// sink, the River worker process and the HTTP ceiling's client, so that
// each is a process of its own whose CPU /proc can attribute.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) > 1 {
		modes := map[string]func([]string) error{
			modeSink:       runSink,
			modeRiver:      runRiverProcess,
			modeHTTPClient: runHTTPClient,
		}
		if run, ok := modes[os.Args[1]]; ok {
			if err := run(os.Args[2:]); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			return
		}
		fmt.Fprintf(os.Stderr, "bench: unknown mode %q; run it without arguments (make bench), with settings in ROUNDS, N, ONLY and QUICK\n", os.Args[1])
		os.Exit(2)
	}
	cfg, err := configFromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	failed, err := run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	if failed {
		os.Exit(1)
	}
}

// skipError is what a workload returns when this build cannot run it (a
// listener without the switch it needs); the row says why, and the run
// does not count as failed.
type skipError struct{ why string }

func (e skipError) Error() string { return "skipped: " + e.why }

// run runs every selected workload once per round and writes the report.
// A workload that fails is reported and the others go on; failed is true
// when any did.
func run(ctx context.Context, cfg config) (failed bool, err error) {
	began := time.Now()
	progress("bench: %d round(s), N=%d", cfg.Rounds, cfg.N)
	l, err := newLab(ctx, cfg)
	if err != nil {
		return false, err
	}
	defer func() { l.close(failed || err != nil) }()
	mach := describeMachine(ctx, l)

	var rows []*rowResult
	for _, w := range workloadList(cfg) {
		if cfg.wants(w.name) {
			rows = append(rows, &rowResult{w: w})
		}
	}
	for round := 1; round <= cfg.Rounds; round++ {
		for _, r := range rows {
			if ctx.Err() != nil {
				return true, ctx.Err()
			}
			progress("round %d/%d: %s", round, cfg.Rounds, r.w.name)
			t0 := time.Now()
			m, err := r.w.run(ctx, l)
			var skip skipError
			if errors.As(err, &skip) {
				progress("  skipped: %s", skip.why)
				r.skipped = skip.why
				continue
			}
			if err != nil {
				progress("  FAILED: %v", err)
				r.errs = append(r.errs, fmt.Errorf("round %d: %w", round, err))
				failed = true
				continue
			}
			progress("  %s (%s)", m.brief(), time.Since(t0).Round(100*time.Millisecond))
			r.runs = append(r.runs, m)
		}
	}
	rep := report{cfg: cfg, mach: mach, rows: rows, began: began, took: time.Since(began)}
	out := rep.markdown()
	fmt.Println(out)
	path := benchDir() + "/RESULTS.md"
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		return true, fmt.Errorf("writing %s: %w", path, err)
	}
	progress("wrote %s", path)
	return failed, nil
}
